// The query of a bucket's entry listing (GET /buckets/{bucket}/entries): a name prefix, the order
// (newest first, or by name in UTF-8 byte order), a page size and an opaque keyset cursor, the
// position after the last entry of the page before. Pure: no I/O.
import { InvalidInput, positiveInt, quoted, single } from './request-parsing.js';

export type EntrySort = 'date' | 'name';

/** Where a page ends: the last entry's sort value and id (ids break ties between equal names and times). */
export type EntryPosition =
  | { sort: 'date'; micros: string; id: string } // completed_at in microseconds since the epoch (decimal)
  | { sort: 'name'; name: string; id: string };

export interface EntryQuery {
  prefix: string;
  sort: EntrySort;
  limit: number;
  after: EntryPosition | null;
}

export const MAX_ENTRIES_PER_PAGE = 1000;
const MAX_PREFIX = 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Years 1 to 9999, as list-cursor.ts: PostgreSQL refuses what lies outside with an error.
const MIN_MICROS = -62_135_596_800_000_000n;
const MAX_MICROS = 253_402_300_799_999_999n;

export function encodeEntryCursor(position: EntryPosition): string {
  const fields = position.sort === 'date' ? ['d', position.micros, position.id] : ['n', position.name, position.id];
  return Buffer.from(JSON.stringify(fields), 'utf8').toString('base64url');
}

/** The position a cursor names, or null when encodeEntryCursor did not make it. */
export function decodeEntryCursor(cursor: string): EntryPosition | null {
  if (!/^[A-Za-z0-9_-]{1,6000}$/.test(cursor)) return null;
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(fields) || fields.length !== 3 || !fields.every((f) => typeof f === 'string')) return null;
  const [kind, value, id] = fields as [string, string, string];
  if (!UUID.test(id)) return null;
  if (kind === 'd') {
    if (!/^-?\d{1,19}$/.test(value)) return null;
    const micros = BigInt(value);
    return micros < MIN_MICROS || micros > MAX_MICROS ? null : { sort: 'date', micros: value, id };
  }
  if (kind === 'n') return value.length === 0 || value.length > MAX_PREFIX || value.includes('\0') ? null : { sort: 'name', name: value, id };
  return null;
}

/** `?prefix=&sort=date|name&limit=&cursor=`; a cursor must come from a listing in the same order. */
export function parseEntryQuery(query: Record<string, unknown>): EntryQuery {
  const known = new Set(['prefix', 'sort', 'limit', 'cursor']);
  for (const key of Object.keys(query)) {
    if (!known.has(key)) throw new InvalidInput(`unknown query parameter ${quoted(key, 40)} (expected prefix, sort, limit, cursor)`);
  }
  const prefix = single('prefix', query.prefix) ?? '';
  if (prefix.length > MAX_PREFIX) throw new InvalidInput(`prefix is longer than ${MAX_PREFIX} characters`);
  if (prefix.includes('\0')) throw new InvalidInput('prefix must not contain U+0000');
  const sort = single('sort', query.sort) ?? 'date';
  if (sort !== 'date' && sort !== 'name') throw new InvalidInput(`sort must be "date" (newest first) or "name", not ${quoted(sort, 40)}`);
  const cursor = single('cursor', query.cursor);
  let after: EntryPosition | null = null;
  if (cursor !== undefined) {
    after = decodeEntryCursor(cursor);
    if (!after) throw new InvalidInput('cursor is not one this server issued (use next_cursor of the page before as it came)');
    if (after.sort !== sort) throw new InvalidInput(`cursor belongs to a listing sorted by ${after.sort}, not by ${sort}`);
  }
  return { prefix, sort, limit: positiveInt('limit', query.limit, 50, MAX_ENTRIES_PER_PAGE), after };
}
