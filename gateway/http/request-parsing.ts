// Validation of request parameters: listing queries, file and node ids, byte ranges. Pure: no I/O.
import parseRange from 'range-parser';
import { decodeCursor, type ListPosition } from './list-cursor.js';

export class InvalidInput extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseFileId(raw: string): string {
  if (!UUID.test(raw)) throw new InvalidInput(`file id "${raw}" is not a UUID`);
  return raw.toLowerCase();
}

/** A storage node id in a path: a positive whole number. */
export function parseNodeId(raw: string): number {
  if (!/^[1-9]\d{0,8}$/.test(raw)) throw new InvalidInput(`node id ${JSON.stringify(raw.slice(0, 40))} is not a positive whole number`);
  return Number(raw);
}

export type ListQuery =
  | { mode: 'page'; page: number; perPage: number }
  | { mode: 'keyset'; limit: number; after: ListPosition | null };

export const MAX_PER_PAGE = 100;

function positiveInt(name: string, raw: unknown, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) throw new InvalidInput(`${name} must be a whole number`);
  const value = Number(raw);
  if (value < 1) throw new InvalidInput(`${name} must be at least 1`);
  if (value > max) throw new InvalidInput(`${name} must be at most ${max}`);
  return value;
}

/** `?page=&per_page=` (offset paging) or `?limit=&cursor=` (keyset paging); never both. */
export function parseListQuery(query: Record<string, unknown>): ListQuery {
  const known = new Set(['page', 'per_page', 'limit', 'cursor']);
  for (const key of Object.keys(query)) {
    if (!known.has(key)) throw new InvalidInput(`unknown query parameter "${key}"`);
  }
  const keyset = query.limit !== undefined || query.cursor !== undefined;
  if (keyset && (query.page !== undefined || query.per_page !== undefined)) {
    throw new InvalidInput('use either page/per_page or limit/cursor, not both');
  }
  if (!keyset) {
    return {
      mode: 'page',
      page: positiveInt('page', query.page, 1, 1_000_000_000),
      perPage: positiveInt('per_page', query.per_page, 20, MAX_PER_PAGE),
    };
  }
  let after: ListPosition | null = null;
  if (query.cursor !== undefined) {
    if (typeof query.cursor !== 'string') throw new InvalidInput('cursor must be a single value');
    after = decodeCursor(query.cursor);
    if (!after) throw new InvalidInput('cursor is not one this server issued');
  }
  return { mode: 'keyset', limit: positiveInt('limit', query.limit, 20, MAX_PER_PAGE), after };
}

export type ByteRange =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number } // end exclusive
  | { kind: 'unsatisfiable' };

/**
 * A single `Range: bytes=...` against a file of `size` bytes. Malformed or multi-range headers are
 * ignored (the whole file is served, as RFC 9110 allows).
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange {
  if (!header) return { kind: 'full' };
  const result = parseRange(size, header, { combine: true });
  if (result === -1) return { kind: 'unsatisfiable' };
  if (result === -2 || result.type !== 'bytes' || result.length !== 1) return { kind: 'full' };
  const range = result[0]!;
  return { kind: 'partial', start: range.start, end: range.end + 1 };
}
