// What access key ids, secret keys and key names look like: generation and validation. Pure apart
// from the random bytes, which can be passed in.
import { randomBytes } from 'node:crypto';

export const ACCESS_KEY_ID_LENGTH = 20;
export const SECRET_KEY_LENGTH = 40;
export const MAX_KEY_NAME_LENGTH = 200;

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
// Base62: like AWS's 40-character secrets but without '+' and '/', which shells and URLs mangle.
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export type RandomBytes = (n: number) => Buffer;

/** `length` characters drawn uniformly from `alphabet` (bytes that would bias the draw are skipped). */
export function randomString(alphabet: string, length: number, random: RandomBytes = randomBytes): string {
  const limit = 256 - (256 % alphabet.length); // bytes at or above this would favour the first characters
  let out = '';
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      if (byte >= limit) continue;
      out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A new access key id: 20 characters of A-Z0-9 (about 103 bits), shaped like AWS's. */
export function generateAccessKeyId(random?: RandomBytes): string {
  return randomString(UPPER_ALNUM, ACCESS_KEY_ID_LENGTH, random);
}

/** A new secret key: 40 base62 characters (about 238 bits). */
export function generateSecretKey(random?: RandomBytes): string {
  return randomString(BASE62, SECRET_KEY_LENGTH, random);
}

/** Any access key id this store accepts (3..128 of [A-Za-z0-9]: generated ones and S3_ROOT_ACCESS_KEY). */
export function accessKeyIdProblem(id: string): string | undefined {
  if (id.length < 3 || id.length > 128) return `must be 3 to 128 characters long (it has ${id.length})`;
  if (!/^[A-Za-z0-9]+$/.test(id)) return 'may hold only the letters A-Z, a-z and the digits 0-9';
  return undefined;
}

/** A secret key chosen by an operator (S3_ROOT_SECRET_KEY): 8..128 printable ASCII characters, no spaces. */
export function secretKeyProblem(secret: string): string | undefined {
  if (secret.length < 8 || secret.length > 128) return `must be 8 to 128 characters long (it has ${secret.length})`;
  if (!/^[\x21-\x7e]+$/.test(secret)) return 'may hold only printable ASCII characters, without spaces';
  return undefined;
}

/** A key's name (free text shown in listings). */
export function keyNameProblem(name: string): string | undefined {
  if (name.length > MAX_KEY_NAME_LENGTH) return `must be at most ${MAX_KEY_NAME_LENGTH} characters long`;
  if (/[\x00-\x1f\x7f]/.test(name)) return 'may not hold control characters';
  return undefined;
}
