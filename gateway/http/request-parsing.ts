// Validation of request parameters: listing queries, file, node and access key ids, key and grant
// bodies, byte ranges. Pure: no I/O.
import parseRange from 'range-parser';
import { accessKeyIdProblem, keyNameProblem } from '../auth/key-format.js';
import { bucketNameProblem } from '../s3/bucket-name.js';
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

/** An access key id in a path. */
export function parseAccessKeyId(raw: string): string {
  const problem = accessKeyIdProblem(raw);
  if (problem !== undefined) throw new InvalidInput(`access key id ${JSON.stringify(raw.slice(0, 140))} ${problem}`);
  return raw;
}

/** A bucket named by a grant: S3's rules for bucket names (so never the /files bucket, '.files'). */
export function parseGrantBucket(raw: string): string {
  const problem = bucketNameProblem(raw);
  if (problem !== null) throw new InvalidInput(`bucket ${JSON.stringify(raw.slice(0, 80))}: ${problem}`);
  return raw;
}

function jsonObject(body: unknown, what: string, fields: string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidInput(`body must be a JSON object: ${what}`);
  for (const key of Object.keys(body)) {
    if (!fields.includes(key)) throw new InvalidInput(`unknown field ${JSON.stringify(key.slice(0, 40))} (expected ${what})`);
  }
  return body as Record<string, unknown>;
}

/** POST /admin/keys: no body, or `{"name": "..."}`. */
export function parseNewKeyBody(body: unknown): { name: string } {
  if (body === undefined) return { name: '' };
  const { name } = jsonObject(body, '{"name": "..."}', ['name']);
  if (name === undefined) return { name: '' };
  if (typeof name !== 'string') throw new InvalidInput('name must be a string');
  const problem = keyNameProblem(name);
  if (problem !== undefined) throw new InvalidInput(`name ${problem}`);
  return { name };
}

/** PUT /admin/keys/{id}/grants/{bucket}: `{"read": true|false, "write": true|false}`, both given. */
export function parseGrantBody(body: unknown): { read: boolean; write: boolean } {
  const what = '{"read": true|false, "write": true|false}';
  const { read, write } = jsonObject(body ?? null, what, ['read', 'write']);
  if (typeof read !== 'boolean' || typeof write !== 'boolean') throw new InvalidInput(`read and write must both be given as true or false: ${what}`);
  return { read, write };
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
