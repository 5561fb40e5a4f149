// A brute-force model of S3 listing semantics over UTF-8 bytes (Buffer.compare, as PostgreSQL
// COLLATE "C" orders text), and an in-memory key source that honours the KeyRange contract. Both
// work on bytes, independently of gateway/s3/key-order.ts, which they check.
import { expect } from 'vitest';
import { listObjects, type KeyRange, type KeySource, type ObjectEntry, type RolledUpKey } from '../../gateway/s3/list-objects.js';
import { parseListObjectsRequest } from '../../gateway/s3/list-objects-request.js';

export type ModelEntry = { kind: 'key' | 'prefix'; name: string };

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
export const byteCompare = (a: string, b: string): number => Buffer.compare(utf8(a), utf8(b));

function startsWithBytes(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.subarray(0, prefix.length).equals(prefix);
}

/** The common prefix of a key under `prefix`, found by byte search. */
function groupOf(key: Buffer, prefix: Buffer, delimiter: Buffer): string | null {
  if (delimiter.length === 0) return null;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? null : key.subarray(0, at + delimiter.length).toString('utf8');
}

export function sortedKeys(keys: Iterable<string>): string[] {
  return [...new Set(keys)]
    .map((key) => ({ key, bytes: utf8(key) }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map((k) => k.key);
}

/** Every entry of the listing under `prefix`, then only those whose name is greater than `after`. */
export function modelListing(keys: string[], prefix: string, delimiter: string, after: string | null): ModelEntry[] {
  const p = utf8(prefix);
  const d = utf8(delimiter);
  const entries: ModelEntry[] = [];
  for (const key of sortedKeys(keys)) {
    const k = utf8(key);
    if (!startsWithBytes(k, p)) continue;
    const group = groupOf(k, p, d);
    if (group === null) entries.push({ kind: 'key', name: key });
    else if (entries.at(-1)?.name !== group) entries.push({ kind: 'prefix', name: group });
  }
  return after === null ? entries : entries.filter((e) => byteCompare(e.name, after) > 0);
}

export const entryOf = (key: string): ObjectEntry => ({
  key,
  size: utf8(key).length,
  etag: `etag-${utf8(key).toString('hex').slice(0, 16)}`,
  lastModified: new Date(Date.UTC(2026, 11, 1, 12, 0, 0, utf8(key).length)),
});

/**
 * An in-memory source over `keys`. With `collapse`, it leaves out keys that share the common
 * prefix of the key before them and gives the names only of the keys that roll up, as the database
 * skip walk does; without, it returns every key with its entry.
 */
export function memorySource(keys: string[], collapse: boolean): { source: KeySource; queries: () => number; ranges: KeyRange[] } {
  const sorted = sortedKeys(keys).map((key) => ({ key, bytes: utf8(key) }));
  const ranges: KeyRange[] = [];
  const source: KeySource = async (range) => {
    ranges.push({ ...range });
    const p = utf8(range.prefix);
    const after = range.after === null ? null : utf8(range.after);
    const from = range.from === null ? null : utf8(range.from);
    const d = utf8(range.delimiter ?? '');
    const out: (ObjectEntry | RolledUpKey)[] = [];
    let lastGroup: string | null = null;
    // The first key in range by binary search (every condition holds from some index on), then on
    // while the keys start with the prefix.
    const inRange = (b: Buffer) =>
      Buffer.compare(b, p) >= 0 && (after === null || Buffer.compare(b, after) > 0) && (from === null || Buffer.compare(b, from) >= 0);
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (inRange(sorted[mid]!.bytes)) hi = mid;
      else lo = mid + 1;
    }
    for (let i = lo; i < sorted.length && out.length < range.limit; i++) {
      const { key, bytes } = sorted[i]!;
      if (!startsWithBytes(bytes, p)) break;
      const group = collapse ? groupOf(bytes, p, d) : null;
      if (group !== null && group === lastGroup) continue;
      lastGroup = group;
      out.push(group === null ? entryOf(key) : { key, rolledUp: true }); // as the SQL walk: no row for a key that rolls up
    }
    return out;
  };
  return { source, queries: () => ranges.length, ranges };
}

/** A seeded generator (mulberry32), so that a failing case can be run again. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces of keys: ASCII, the delimiters, 2- and 3-byte UTF-8 (é, U+E000, U+FFDA), 4-byte (emoji and
// U+10FFFF: surrogate pairs in JS, which sort before U+E000 in UTF-16 but after it in UTF-8).
export const PIECES = ['a', 'b', 'z', '0', '/', '/', '//', 'é', '😀', '\uffda', '\ue000', '\u{10ffff}', ' ', '+', '%'];
export const DELIMITERS = ['', '/', '/', '//', 'é', '😀', 'a/', 'ab', '\uffda', '\u{10ffff}', '\ue000/'];

export function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)]!;
}

export function randomString(rnd: () => number, maxPieces: number): string {
  let s = '';
  const n = 1 + Math.floor(rnd() * maxPieces);
  for (let i = 0; i < n; i++) s += pick(rnd, PIECES);
  return s;
}

/** A code-point-aligned start of a string (possibly all of it). */
export function head(rnd: () => number, s: string): string {
  const cps = Array.from(s);
  return cps.slice(0, Math.floor(rnd() * (cps.length + 1))).join('');
}

export function randomKeys(rnd: () => number): string[] {
  const keys = Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => randomString(rnd, 7));
  // Keys that equal a prefix of other keys ("a/" next to "a/b").
  for (let i = 0; i < 5; i++) {
    const h = head(rnd, pick(rnd, keys));
    if (h) keys.push(h);
  }
  return sortedKeys(keys);
}

export function pageEntries(contents: { key: string }[], prefixes: string[]): ModelEntry[] {
  const entries: ModelEntry[] = [
    ...contents.map((c) => ({ kind: 'key' as const, name: c.key })),
    ...prefixes.map((p) => ({ kind: 'prefix' as const, name: p })),
  ];
  return entries.sort((x, y) => byteCompare(x.name, y.name));
}

export interface Case {
  keys: string[];
  prefix: string;
  delimiter: string;
  startAfter: string | null;
  maxKeys: number;
}

export function randomCase(rnd: () => number): Case {
  const keys = randomKeys(rnd);
  const r = rnd();
  const prefix = r < 0.3 ? '' : r < 0.8 ? head(rnd, pick(rnd, keys)) : randomString(rnd, 2);
  const delimiter = pick(rnd, DELIMITERS);
  const s = rnd();
  const full = modelListing(keys, prefix, delimiter, null);
  const startAfter =
    s < 0.4 ? null
    : s < 0.55 ? pick(rnd, keys)
    : s < 0.7 ? head(rnd, pick(rnd, keys))
    : s < 0.85 && full.length > 0 ? pick(rnd, full).name
    : randomString(rnd, 4);
  return { keys, prefix, delimiter, startAfter, maxKeys: 1 + Math.floor(rnd() * 7) };
}

/** Pages a v2 listing to the end with continuation tokens, checking each page against the model. */
export async function pageV2(
  c: Case,
  source: KeySource,
  expected = modelListing(c.keys, c.prefix, c.delimiter, c.startAfter),
): Promise<{ pages: number; queries: number[]; prefixes: number[] }> {
  const query: Record<string, string> = { prefix: c.prefix, delimiter: c.delimiter, 'max-keys': String(c.maxKeys) };
  if (c.startAfter !== null) query['start-after'] = c.startAfter;
  const queries: number[] = [];
  const prefixes: number[] = [];
  let offset = 0;
  for (let pages = 1; ; pages++) {
    const request = parseListObjectsRequest(2, query);
    let count = 0;
    const counting: KeySource = (range) => {
      count++;
      return source(range);
    };
    const result = await listObjects(counting, request);
    queries.push(count);
    prefixes.push(result.commonPrefixes.length);
    const got = pageEntries(result.contents, result.commonPrefixes);
    expect(got).toEqual(expected.slice(offset, offset + c.maxKeys));
    expect(result.keyCount).toBe(got.length);
    offset += got.length;
    expect(result.isTruncated).toBe(offset < expected.length);
    if (!result.isTruncated) {
      expect(result.nextContinuationToken).toBeNull();
      expect(offset).toBe(expected.length);
      return { pages, queries, prefixes };
    }
    expect(result.nextContinuationToken).not.toBeNull();
    query['continuation-token'] = result.nextContinuationToken!;
  }
}
