// What API tokens look like: generation, the hash that is stored, the prefix shown in listings, and
// the Authorization header that carries one. Pure apart from the random bytes, which can be passed in.
import { createHash } from 'node:crypto';
import { randomString, type RandomBytes } from './key-format.js';

export const TOKEN_PREFIX = 'ost_';
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_BODY_LENGTH = 43; // about 256 bits
/** Characters of a token shown in listings (the "ost_" and 6 more): enough to tell tokens apart, useless to guess one. */
export const SHOWN_PREFIX_LENGTH = TOKEN_PREFIX.length + 6;

/** A new token: "ost_" and 43 base62 characters. */
export function generateApiToken(random?: RandomBytes): string {
  return TOKEN_PREFIX + randomString(BASE62, TOKEN_BODY_LENGTH, random);
}

/** What is stored of a token: its SHA-256 (tokens carry 256 random bits; a slow hash would add nothing). */
export function hashApiToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The start of a token shown in listings; of a token an operator chose, only 4 characters. */
export function shownPrefix(token: string): string {
  return token.startsWith(TOKEN_PREFIX) ? token.slice(0, SHOWN_PREFIX_LENGTH) : token.slice(0, 4);
}

/**
 * A token an operator chooses (API_TOKEN): 32..256 printable ASCII characters without spaces, so
 * that it is long enough to resist guessing and passes through a header unchanged.
 */
export function apiTokenProblem(token: string): string | undefined {
  if (token.length < 32 || token.length > 256) return `must be 32 to 256 characters long (it has ${token.length})`;
  if (!/^[\x21-\x7e]+$/.test(token)) return 'may hold only printable ASCII characters, without spaces';
  return undefined;
}

export type BearerParse = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'other'; scheme: string } | { kind: 'malformed' };

/** The credentials of an Authorization header, as far as a bearer token goes. */
export function parseBearer(header: string | undefined): BearerParse {
  if (header === undefined || header === '') return { kind: 'none' };
  const m = /^(\S+) (\S+)$/.exec(header);
  const scheme = m?.[1] ?? header.split(' ')[0] ?? '';
  if (scheme.toLowerCase() !== 'bearer') return { kind: 'other', scheme: scheme.slice(0, 40) };
  if (!m || !/^[\x21-\x7e]{1,512}$/.test(m[2]!)) return { kind: 'malformed' };
  return { kind: 'bearer', token: m[2]! };
}
