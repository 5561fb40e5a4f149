// Validation of request parameters: listing queries, file, node and access key ids, key and grant
// bodies, byte ranges. Pure: no I/O.
import parseRange from 'range-parser';
import { accessKeyIdProblem, keyNameProblem } from '../auth/key-format.js';
import { bucketNameProblem } from '../s3/bucket-name.js';
import { isScope, SCOPES, type Scope } from '../auth/rest-access.js';
import { FILES_BUCKET_NAME } from '../auth/rest-caller.js';
import { decodeCursor, type ListPosition } from './list-cursor.js';

export class InvalidInput extends Error {}

/** A value from the request, quoted for a message: JSON-escaped and cut, so an answer stays short. */
export function quoted(raw: string, max = 80): string {
  return JSON.stringify(raw.length > max ? `${raw.slice(0, max)}...` : raw);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseFileId(raw: string): string {
  if (!UUID.test(raw)) throw new InvalidInput(`file id ${quoted(raw)} is not a UUID`);
  return raw.toLowerCase();
}

/** A storage node id in a path: a positive whole number. */
export function parseNodeId(raw: string): number {
  if (!/^[1-9]\d{0,8}$/.test(raw)) throw new InvalidInput(`node id ${quoted(raw, 40)} is not a whole number from 1 to 999999999`);
  return Number(raw);
}

/** An access key id in a path. */
export function parseAccessKeyId(raw: string): string {
  const problem = accessKeyIdProblem(raw);
  if (problem !== undefined) throw new InvalidInput(`access key id ${quoted(raw, 140)} ${problem}`);
  return raw;
}

/** A bucket named by a grant: S3's rules for bucket names, or '.files', the bucket of the REST /files API. */
export function parseGrantBucket(raw: string): string {
  if (raw === FILES_BUCKET_NAME) return raw;
  const problem = bucketNameProblem(raw);
  if (problem !== null) throw new InvalidInput(`bucket ${quoted(raw)}: ${problem}`);
  return raw;
}

function jsonObject(body: unknown, what: string, fields: string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidInput(`body must be a JSON object: ${what}`);
  for (const key of Object.keys(body)) {
    if (!fields.includes(key)) throw new InvalidInput(`unknown field ${quoted(key, 40)} (expected ${what})`);
  }
  return body as Record<string, unknown>;
}

/** POST /admin/tokens: `{"scope": "read" | "write" | "admin", "name": "..."}` (name optional). */
export function parseNewTokenBody(body: unknown): { name: string; scope: Scope } {
  const what = '{"scope": "read" | "write" | "admin", "name": "..."}';
  if (body === undefined) throw new InvalidInput(`body must be JSON ${what}`);
  const { name, scope } = jsonObject(body, what, ['name', 'scope']);
  if (!isScope(scope)) throw new InvalidInput(`scope must be one of ${SCOPES.map((s) => `"${s}"`).join(', ')}`);
  if (name !== undefined && typeof name !== 'string') throw new InvalidInput('name must be a string');
  const problem = name === undefined ? undefined : keyNameProblem(name);
  if (problem !== undefined) throw new InvalidInput(`name ${problem}`);
  return { name: (name as string | undefined) ?? '', scope };
}

/** An API token id in a path: a positive whole number. */
export function parseTokenId(raw: string): number {
  if (!/^[1-9]\d{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new InvalidInput(`token id ${quoted(raw, 40)} is not a whole number from 1`);
  return Number(raw);
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

/** A query parameter given once: `?a=1&a=2` arrives as an array, `?a[x]=1` (extended parsing) as an object. */
export function single(name: string, raw: unknown): string | undefined {
  if (raw === undefined || typeof raw === 'string') return raw;
  throw new InvalidInput(`${name} must be given once, as a plain value`);
}

export function positiveInt(name: string, raw: unknown, fallback: number, max: number): number {
  const text = single(name, raw);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new InvalidInput(`${name} must be a whole number from 1 to ${max}, not ${quoted(text, 40)}`);
  // Compared as text first: digits past 2^53 would round to a number that may pass.
  const value = text.replace(/^0+(?=\d)/, '').length > String(max).length ? Infinity : Number(text);
  if (value < 1 || value > max) throw new InvalidInput(`${name} must be a whole number from 1 to ${max}`);
  return value;
}

/** `?page=&per_page=` (offset paging) or `?limit=&cursor=` (keyset paging); never both. */
export function parseListQuery(query: Record<string, unknown>): ListQuery {
  const known = new Set(['page', 'per_page', 'limit', 'cursor']);
  for (const key of Object.keys(query)) {
    if (!known.has(key)) throw new InvalidInput(`unknown query parameter ${quoted(key, 40)} (expected page and per_page, or limit and cursor)`);
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
  const cursor = single('cursor', query.cursor);
  if (cursor !== undefined) {
    after = decodeCursor(cursor);
    if (!after) throw new InvalidInput('cursor is not one this server issued (use next_cursor of the page before as it came)');
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
