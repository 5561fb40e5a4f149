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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(?<month>${MONTHS.join('|')})`;
const TIME = '(?<h>\\d{2}):(?<m>\\d{2}):(?<s>\\d{2})';
// The three HTTP-date forms (RFC 9110 5.6.7), all in GMT: IMF-fixdate, RFC 850 and asctime.
const HTTP_DATES = [
  new RegExp(`^[A-Z][a-z]{2}, (?<day>\\d{2}) ${MONTH} (?<year>\\d{4}) ${TIME} GMT$`),
  new RegExp(`^[A-Z][a-z]{5,8}, (?<day>\\d{2})-${MONTH}-(?<year>\\d{2}) ${TIME} GMT$`),
  new RegExp(`^[A-Z][a-z]{2} ${MONTH} (?<day>[ \\d]\\d) ${TIME} (?<year>\\d{4})$`),
];

/**
 * Milliseconds of an HTTP-date, or null when `value` is not one: HTTP says such a condition is
 * ignored. Not Date.parse, which reads "1" as the year 2001 and asctime in the server's time zone.
 */
function parseHttpDate(value: string | undefined): number | null {
  if (value === undefined) return null;
  const g = HTTP_DATES.map((re) => re.exec(value)).find((m) => m !== null)?.groups;
  if (!g) return null;
  let year = Number(g.year);
  if (g.year!.length === 2) {
    // RFC 850's two-digit years: one more than 50 years ahead is in the past century.
    year += 2000;
    if (year > new Date().getUTCFullYear() + 50) year -= 100;
  }
  const fields = [year, MONTHS.indexOf(g.month!), Number(g.day), Number(g.h), Number(g.m), Number(g.s)] as const;
  const ms = Date.UTC(...fields);
  // Date.UTC rolls 32 March over to 1 April and 25:00 to the next day: such values are not dates.
  const d = new Date(ms);
  const back = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
  return back.every((v, i) => v === fields[i]) ? ms : null;
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
    const since = parseHttpDate(h.ifUnmodifiedSince);
    if (since !== null && modified > since) return { kind: 'failed', condition: 'If-Unmodified-Since' };
  }
  const notModified = (condition: string): ConditionOutcome =>
    forWrite ? { kind: 'failed', condition } : { kind: 'not-modified' };
  if (h.ifNoneMatch !== undefined) {
    if (etagListMatches(h.ifNoneMatch, object.etag)) return notModified('If-None-Match');
  } else {
    const since = parseHttpDate(h.ifModifiedSince);
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
