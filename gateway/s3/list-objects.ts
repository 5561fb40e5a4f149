// One page of an S3 object listing (ListObjectsV2 and ListObjects v1): keys and common prefixes
// in UTF-8 byte order, read from a source that walks the keys in order (an index in SQL). Pure:
// the source is injected.
//
// What a listing after a position M returns: the full listing of the bucket under the prefix (its
// keys, and its common prefixes in place of the keys they cover) less every entry whose name is
// not greater than M. So a common prefix that M falls inside (M starts with it) was listed before
// M and is not listed again, nor are the keys under it; S3 does the same.
import { compareKeys, prefixSuccessor } from './key-order.js';
import { encodeContinuationToken, type ListObjectsRequest } from './list-objects-request.js';

export interface ObjectEntry {
  key: string;
  size: number;
  etag: string; // without quotes
  lastModified: Date;
}

/**
 * What the listing asks its source for: keys that start with `prefix`, are greater than `after`
 * (when not null) and not less than `from` (when not null), in UTF-8 byte order, at most `limit`
 * of them. Fewer than `limit` means that no more keys are in that range.
 *
 * With `delimiter` set (non-empty), the source may leave out any key whose common prefix (the key
 * up to and including the first `delimiter` after `prefix`) is that of the key before it in the
 * same answer; the listing does not need them. A source that cannot skip them returns every key.
 * It may also return a key that has a common prefix as a RolledUpKey, without its metadata.
 * The listing sets it only once a batch has ended inside a common prefix: skipping costs the
 * database a probe per key, reading on costs less while keys do not share prefixes.
 */
export interface KeyRange {
  prefix: string;
  after: string | null;
  from: string | null;
  limit: number;
  delimiter: string | null;
}

/**
 * A key that a source asked with `delimiter` read only far enough to see that it rolls up into a
 * common prefix (the listing needs its name, not its size or ETag).
 */
export interface RolledUpKey {
  key: string;
  rolledUp: true;
}

export type KeySource<T extends { key: string } = ObjectEntry> = (range: KeyRange) => Promise<(T | RolledUpKey)[]>;

export interface PageRequest {
  prefix: string;
  delimiter: string | null; // null or '': no common prefixes
  maxKeys: number; // 0..1000: keys and common prefixes together
  after: string | null; // list what comes after this position (start-after, marker, continuation)
}

export interface ListPage<T extends { key: string } = ObjectEntry> {
  contents: T[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix of the page (null when empty): where the next page starts after. */
  lastEntry: string | null;
  /** How many times the source was asked (for tests and measurements). */
  queries: number;
}

// With a delimiter, a first batch of 1,001 keys all under one large common prefix cost 2-3 ms of
// rows thrown away on a page of 1,000 prefixes; 100 cost a quarter of that, and a page of plain
// keys pays one more query (about 0.3 ms).
const FIRST_BATCH = 100;

/** The common prefix that `key` (which starts with `prefix`) rolls up into, or null. */
export function commonPrefixOf(key: string, prefix: string, delimiter: string): string | null {
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? null : key.slice(0, at + delimiter.length);
}

/**
 * One page: asks the source for max-keys + 1 keys at a time, rolls keys up into common prefixes,
 * and when a batch ends inside a common prefix, asks again from the first key after everything
 * under that prefix, so a prefix that covers a million keys costs one query, not a million rows;
 * from then on the source may skip within common prefixes itself (see KeyRange).
 */
export async function listPage<T extends { key: string }>(source: KeySource<T>, request: PageRequest): Promise<ListPage<T>> {
  const { prefix, maxKeys } = request;
  const delimiter = request.delimiter ? request.delimiter : null;
  const page: ListPage<T> = { contents: [], commonPrefixes: [], isTruncated: false, lastEntry: null, queries: 0 };
  if (maxKeys === 0) return page;
  let count = 0;
  let lastPrefix: string | null = null; // the last common prefix listed: the keys under it are skipped
  let after = request.after;
  let from: string | null = null;
  let skipping = false; // a batch ended inside a common prefix: let the source skip within them
  for (;;) {
    // One more than the page needs (is there anything after it?); with a delimiter, a short first
    // batch: it costs little whether its keys share prefixes (then the rest is skipped) or not.
    const limit = Math.min(maxKeys - count + 1, page.queries === 0 && delimiter ? FIRST_BATCH : Infinity);
    const rows = await source({ prefix, after, from, limit, delimiter: skipping ? delimiter : null });
    page.queries++;
    let group: string | null = null;
    for (const row of rows) {
      group = delimiter ? commonPrefixOf(row.key, prefix, delimiter) : null;
      if (group !== null && (group === lastPrefix || (request.after !== null && compareKeys(group, request.after) <= 0))) continue;
      if (count === maxKeys) {
        page.isTruncated = true;
        return page;
      }
      count++;
      if (group !== null) {
        page.commonPrefixes.push(group);
        lastPrefix = group;
        page.lastEntry = group;
      } else if ('rolledUp' in row) {
        throw new Error(`listing source: the key ${JSON.stringify(row.key)} came without its row but rolls up into no common prefix`);
      } else {
        page.contents.push(row);
        page.lastEntry = row.key;
      }
    }
    if (rows.length < limit) return page; // nothing more in range
    if (group !== null) {
      // The batch ended inside a common prefix: go on from the first key past all of it.
      from = prefixSuccessor(group);
      if (from === null) return page;
      after = null;
      skipping = true;
    } else {
      after = rows[rows.length - 1]!.key;
      from = null;
    }
  }
}

export interface ListObjectsResult {
  request: ListObjectsRequest;
  contents: ObjectEntry[];
  commonPrefixes: string[];
  isTruncated: boolean;
  keyCount: number; // keys and common prefixes in this answer
  nextContinuationToken: string | null; // v2, when truncated
  nextMarker: string | null; // v1, when truncated and a delimiter was given (as S3 does)
}

/** The answer to a ListObjectsV2 or ListObjects request, before rendering. */
export async function listObjects(source: KeySource, request: ListObjectsRequest): Promise<ListObjectsResult> {
  const page = await listPage(source, request);
  const next = page.isTruncated ? page.lastEntry : null;
  return {
    request,
    contents: page.contents,
    commonPrefixes: page.commonPrefixes,
    isTruncated: page.isTruncated,
    keyCount: page.contents.length + page.commonPrefixes.length,
    nextContinuationToken: request.version === 2 && next !== null ? encodeContinuationToken(next) : null,
    nextMarker: request.version === 1 && request.delimiter !== '' ? next : null,
  };
}
