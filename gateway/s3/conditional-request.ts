// Conditional requests (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since) evaluated
// against an object's ETag and Last-Modified, with S3's precedence rules. Pure.
import type { IncomingHttpHeaders } from 'node:http';

export type ConditionOutcome = { kind: 'proceed' } | { kind: 'not-modified' } | { kind: 'failed'; condition: string };

export interface ObjectVersion {
  etag: string; // without quotes
  lastModified: Date;
}

/** True when an If-Match / If-None-Match list names this ETag ("*" names any). */
export function etagListMatches(list: string, etag: string): boolean {
  return list
    .split(',')
    .map((t) => t.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1'))
    .some((t) => t === '*' || t === etag);
}

/** HTTP dates are to the second; an unparsable date is ignored, as HTTP says. */
function parseDate(value: string | undefined): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000) * 1000;

/**
 * S3's order: If-Match true wins over If-Unmodified-Since false; If-None-Match false wins over
 * If-Modified-Since true. Reads answer 304 where writes (`forWrite`) answer 412.
 */
export function evaluateConditions(
  h: { ifMatch?: string; ifNoneMatch?: string; ifModifiedSince?: string; ifUnmodifiedSince?: string },
  object: ObjectVersion,
  forWrite = false,
): ConditionOutcome {
  const modified = seconds(object.lastModified);
  if (h.ifMatch !== undefined) {
    if (!etagListMatches(h.ifMatch, object.etag)) return { kind: 'failed', condition: 'If-Match' };
  } else {
    const since = parseDate(h.ifUnmodifiedSince);
    if (since !== null && modified > since) return { kind: 'failed', condition: 'If-Unmodified-Since' };
  }
  const notModified = (condition: string): ConditionOutcome =>
    forWrite ? { kind: 'failed', condition } : { kind: 'not-modified' };
  if (h.ifNoneMatch !== undefined) {
    if (etagListMatches(h.ifNoneMatch, object.etag)) return notModified('If-None-Match');
  } else {
    const since = parseDate(h.ifModifiedSince);
    if (since !== null && modified <= since) return notModified('If-Modified-Since');
  }
  return { kind: 'proceed' };
}

const text = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

export function readConditions(headers: IncomingHttpHeaders) {
  return {
    ifMatch: text(headers['if-match']),
    ifNoneMatch: text(headers['if-none-match']),
    ifModifiedSince: text(headers['if-modified-since']),
    ifUnmodifiedSince: text(headers['if-unmodified-since']),
  };
}

/** The x-amz-copy-source-if-* headers of CopyObject and UploadPartCopy: any failure is a 412. */
export function readCopySourceConditions(headers: IncomingHttpHeaders) {
  return {
    ifMatch: text(headers['x-amz-copy-source-if-match']),
    ifNoneMatch: text(headers['x-amz-copy-source-if-none-match']),
    ifModifiedSince: text(headers['x-amz-copy-source-if-modified-since']),
    ifUnmodifiedSince: text(headers['x-amz-copy-source-if-unmodified-since']),
  };
}
