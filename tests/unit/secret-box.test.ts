import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { BOX_OVERHEAD, boxKeyId, openSecret, sealSecret, SecretBoxError, serverKeyId } from '../../gateway/auth/secret-box.js';
import { parseServerKey, ServerKeyError } from '../../gateway/auth/server-key.js';

const key = randomBytes(32);
const secret = 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEYab';

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SecretBoxError);
    return (err as SecretBoxError).problem;
  }
  throw new Error('no error thrown');
}

describe('secret box', () => {
  test('round trip, and the box holds neither the secret nor the key', () => {
    const box = sealSecret(key, secret, 'AKEXAMPLE');
    expect(openSecret(key, box, 'AKEXAMPLE')).toBe(secret);
    expect(box.length).toBe(BOX_OVERHEAD + Buffer.byteLength(secret));
    expect(box.includes(Buffer.from(secret))).toBe(false);
    expect(box.includes(key)).toBe(false);
    expect(boxKeyId(box)).toBe(serverKeyId(key).toString('hex'));
    // A fresh nonce per seal: the same secret never gives the same bytes.
    expect(sealSecret(key, secret, 'AKEXAMPLE').equals(box)).toBe(false);
    expect(openSecret(key, sealSecret(key, 'ünïcødé secret', 'X1Y'), 'X1Y')).toBe('ünïcødé secret');
  });

  test('every flipped byte is detected', () => {
    const box = sealSecret(key, secret, 'AKEXAMPLE');
    for (let i = 0; i < box.length; i++) {
      const bad = Buffer.from(box);
      bad[i]! ^= 0x01;
      // The version byte reads as an unknown format, the key id as another key, the rest fails GCM.
      const expected = i === 0 ? 'unknown-version' : i < 5 ? 'wrong-key' : 'damaged';
      expect(problemOf(() => openSecret(key, bad, 'AKEXAMPLE')), `byte ${i}`).toBe(expected);
    }
    expect(problemOf(() => openSecret(key, box.subarray(0, BOX_OVERHEAD - 1), 'AKEXAMPLE'))).toBe('damaged');
    expect(problemOf(() => openSecret(key, box.subarray(0, box.length - 1), 'AKEXAMPLE'))).toBe('damaged');
    expect(problemOf(() => openSecret(key, Buffer.alloc(0), 'AKEXAMPLE'))).toBe('unknown-version');
  });

  test('a box opens only for the key id it was sealed for', () => {
    const box = sealSecret(key, secret, 'AKEXAMPLE');
    expect(problemOf(() => openSecret(key, box, 'AKOTHER'))).toBe('damaged');
  });

  test('another server key is told apart from damage', () => {
    const box = sealSecret(key, secret, 'AKEXAMPLE');
    const other = randomBytes(32);
    let error: SecretBoxError | undefined;
    try {
      openSecret(other, box, 'AKEXAMPLE');
    } catch (err) {
      error = err as SecretBoxError;
    }
    expect(error?.problem).toBe('wrong-key');
    expect(error?.boxKeyId).toBe(serverKeyId(key).toString('hex'));
    expect(error?.message).toContain(serverKeyId(other).toString('hex'));
    expect(() => sealSecret(randomBytes(16), secret, 'AKEXAMPLE')).toThrow(/32 bytes/);
  });
});

describe('SERVER_KEY format', () => {
  test('64 hex characters or base64 of 32 bytes', () => {
    const raw = randomBytes(32);
    expect(parseServerKey(raw.toString('hex')).equals(raw)).toBe(true);
    expect(parseServerKey(raw.toString('hex').toUpperCase()).equals(raw)).toBe(true);
    expect(parseServerKey(`  ${raw.toString('hex')}\n`).equals(raw)).toBe(true);
    expect(parseServerKey(raw.toString('base64')).equals(raw)).toBe(true);
    expect(parseServerKey(raw.toString('base64url')).equals(raw)).toBe(true);
  });
  test('anything else is refused with a message that says what is expected', () => {
    for (const bad of ['', 'abc', 'a'.repeat(63), 'a'.repeat(65), randomBytes(31).toString('base64'), randomBytes(33).toString('base64'), 'z'.repeat(64), `${'A'.repeat(42)}!=`]) {
      expect(() => parseServerKey(bad), bad).toThrow(ServerKeyError);
      expect(() => parseServerKey(bad), bad).toThrow(/64 hexadecimal characters or the base64 of 32 bytes/);
    }
  });
});
