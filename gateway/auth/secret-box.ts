// Encryption at rest of S3 secret keys: AES-256-GCM under the 32-byte server key. Pure (no I/O).
//
// A box is: version (1 byte, 1) | key id (4 bytes) | nonce (12) | GCM tag (16) | ciphertext.
// The key id is the first 4 bytes of HMAC-SHA256(server key, "secret-box key id"): it tells "this
// was sealed under another server key" (an operator changed SERVER_KEY) apart from "this box was
// damaged", which GCM alone cannot. The header and a context (the access key id) are authenticated
// as associated data, so a box copied onto another key's row does not open.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export const SERVER_KEY_BYTES = 32;
const VERSION = 1;
const KEY_ID_BYTES = 4;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES;
export const BOX_OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

export type SecretBoxProblem = 'wrong-key' | 'damaged' | 'unknown-version';

export class SecretBoxError extends Error {
  constructor(
    readonly problem: SecretBoxProblem,
    message: string,
    /** Key id of the box (hex), when it could be read. */
    readonly boxKeyId?: string,
  ) {
    super(message);
  }
}

function checkKey(serverKey: Buffer): void {
  if (serverKey.length !== SERVER_KEY_BYTES) throw new Error(`the server key must be ${SERVER_KEY_BYTES} bytes, not ${serverKey.length}`);
}

/** The 4-byte id of a server key, as stored in every box it seals (hex: 8 characters). */
export function serverKeyId(serverKey: Buffer): Buffer {
  checkKey(serverKey);
  return createHmac('sha256', serverKey).update('secret-box key id').digest().subarray(0, KEY_ID_BYTES);
}

function associatedData(header: Buffer, context: string): Buffer {
  return Buffer.concat([header, Buffer.from(context, 'utf8')]);
}

/** Seals `secret` under `serverKey`; `context` (the access key id) must be given again to open it. */
export function sealSecret(serverKey: Buffer, secret: string, context: string): Buffer {
  const header = Buffer.concat([Buffer.of(VERSION), serverKeyId(serverKey)]);
  const nonce = randomBytes(NONCE_BYTES); // random 96-bit nonces: safe far beyond the number of keys we store
  const cipher = createCipheriv('aes-256-gcm', serverKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(header, context));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([header, nonce, cipher.getAuthTag(), ciphertext]);
}

/** Key id (hex) a box was sealed under, or null if the box is too short or of an unknown version. */
export function boxKeyId(box: Buffer): string | null {
  if (box.length < BOX_OVERHEAD || box[0] !== VERSION) return null;
  return box.subarray(1, HEADER_BYTES).toString('hex');
}

/** Opens a box sealed by sealSecret; throws SecretBoxError saying which problem it has. */
export function openSecret(serverKey: Buffer, box: Buffer, context: string): string {
  if (box.length < 1 || box[0] !== VERSION) {
    throw new SecretBoxError('unknown-version', `secret box of unknown format version ${box[0] ?? '(empty)'}`);
  }
  if (box.length < BOX_OVERHEAD) throw new SecretBoxError('damaged', `secret box of ${box.length} bytes is too short`);
  const header = box.subarray(0, HEADER_BYTES);
  const keyId = header.subarray(1).toString('hex');
  const ourId = serverKeyId(serverKey).toString('hex');
  if (keyId !== ourId) {
    throw new SecretBoxError('wrong-key', `sealed under server key ${keyId}, not under this server key (${ourId})`, keyId);
  }
  const nonce = box.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
  const tag = box.subarray(HEADER_BYTES + NONCE_BYTES, BOX_OVERHEAD);
  const decipher = createDecipheriv('aes-256-gcm', serverKey, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(header, context));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(box.subarray(BOX_OVERHEAD)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretBoxError('damaged', 'secret box failed its authentication check (damaged, or stored for another key)', keyId);
  }
}
