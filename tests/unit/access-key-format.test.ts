import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  accessKeyIdProblem,
  generateAccessKeyId,
  generateSecretKey,
  keyNameProblem,
  randomString,
  secretKeyProblem,
} from '../../gateway/auth/key-format.js';
import { can, canSeeBucket } from '../../gateway/auth/key-permissions.js';
import { readRootKeyLine, rootKeyBanner, type RootCredentials } from '../../gateway/auth/root-key-banner.js';
import { ConfigError, loadGatewayConfig } from '../../gateway/config.js';

describe('generated keys', () => {
  test('ids are 20 characters of A-Z0-9, secrets 40 of base62, and they differ', () => {
    const ids = new Set<string>();
    const secrets = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const id = generateAccessKeyId();
      const secret = generateSecretKey();
      expect(id).toMatch(/^[A-Z0-9]{20}$/);
      expect(secret).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(accessKeyIdProblem(id)).toBeUndefined();
      expect(secretKeyProblem(secret)).toBeUndefined();
      ids.add(id);
      secrets.add(secret);
    }
    expect(ids.size).toBe(500);
    expect(secrets.size).toBe(500);
  });

  test('characters are drawn uniformly: biased bytes are skipped, not folded', () => {
    // 62 characters: bytes 248..255 would favour the first 8; they must be skipped.
    const fromBytes = (bytes: number[]) => {
      let i = 0;
      return (n: number) => Buffer.from(Array.from({ length: n }, () => bytes[i++ % bytes.length]!));
    };
    expect(randomString('abc', 4, fromBytes([255, 0, 1, 2, 3]))).toBe('abca');
    expect(randomString('ab', 3, fromBytes([0, 1]))).toBe('aba');
    // Over many draws every character of the 36-letter alphabet comes up about equally often.
    const counts = new Map<string, number>();
    for (const c of randomString('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 72_000, randomBytes)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(36);
    for (const n of counts.values()) expect(Math.abs(n - 2000)).toBeLessThan(250); // 5 standard deviations
    // Folding bytes 252..255 in (byte % 36) would give A-D 8/7 of the others' share (+14%).
    const first = ['A', 'B', 'C', 'D'].reduce((sum, c) => sum + counts.get(c)!, 0) / 4;
    expect(first / 2000).toBeLessThan(1.06);
  });
});

describe('validation', () => {
  test('access key ids: 3..128 of [A-Za-z0-9]', () => {
    for (const ok of ['abc', 'GK31c2f218a2e44f485b94239e', 'A'.repeat(128)]) expect(accessKeyIdProblem(ok), ok).toBeUndefined();
    for (const bad of ['ab', 'A'.repeat(129), 'AK-1234', 'AK 1234', 'AKé123', '']) expect(accessKeyIdProblem(bad), bad).toBeDefined();
  });
  test('secrets: 8..128 printable ASCII without spaces', () => {
    for (const ok of ['12345678', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '~'.repeat(128)]) expect(secretKeyProblem(ok)).toBeUndefined();
    for (const bad of ['1234567', 'x'.repeat(129), 'has space', 'tab\there', 'ünïcødé-secret']) expect(secretKeyProblem(bad), bad).toBeDefined();
  });
  test('key names', () => {
    expect(keyNameProblem('backup job (nightly)')).toBeUndefined();
    expect(keyNameProblem('x'.repeat(201))).toBeDefined();
    expect(keyNameProblem('line\nbreak')).toBeDefined();
  });
});

describe('permissions', () => {
  const grants = [
    { bucket: 'photos', read: true, write: false },
    { bucket: 'uploads', read: false, write: true },
    { bucket: 'both', read: true, write: true },
  ];
  test('an ordinary key may do what its grants say, nothing else', () => {
    const key = { isRoot: false, grants };
    expect([can(key, 'photos', 'read'), can(key, 'photos', 'write')]).toEqual([true, false]);
    expect([can(key, 'uploads', 'read'), can(key, 'uploads', 'write')]).toEqual([false, true]);
    expect([can(key, 'both', 'read'), can(key, 'both', 'write')]).toEqual([true, true]);
    expect([can(key, 'other', 'read'), can(key, 'other', 'write')]).toEqual([false, false]);
    expect(['photos', 'uploads', 'both', 'other'].filter((b) => canSeeBucket(key, b))).toEqual(['photos', 'uploads', 'both']);
  });
  test('the root key may do everything', () => {
    const root = { isRoot: true, grants: [] };
    expect([can(root, 'any', 'read'), can(root, 'any', 'write'), canSeeBucket(root, 'any')]).toEqual([true, true, true]);
  });
});

describe('root key banner', () => {
  test('the launcher finds the key in the block, with or without its prefix', () => {
    const key = { accessKeyId: generateAccessKeyId(), secretAccessKey: generateSecretKey() };
    for (const prefix of ['', '[gateway] ']) {
      const found: Partial<RootCredentials> = {};
      const done = rootKeyBanner(key).map((line) => readRootKeyLine(prefix + line, found));
      expect(done.indexOf(true)).toBeGreaterThan(0);
      expect(found).toEqual(key);
    }
    expect(readRootKeyLine('gateway listening on http://127.0.0.1:8080', {})).toBe(false);
  });
});

describe('configuration of keys', () => {
  const hex = 'ab'.repeat(32);
  test('SERVER_KEY, S3_ROOT_ACCESS_KEY, S3_ROOT_SECRET_KEY, S3_KEY_CACHE_MS', () => {
    const c = loadGatewayConfig({ CLUSTER_TOKEN: 'access-key-test-token', SERVER_KEY: hex, S3_ROOT_ACCESS_KEY: 'admin', S3_ROOT_SECRET_KEY: 'password123', S3_KEY_CACHE_MS: '0' });
    expect(c.serverKey?.toString('hex')).toBe(hex);
    expect(c.s3RootKey).toEqual({ accessKeyId: 'admin', secret: 'password123' });
    expect(c.keyCacheMs).toBe(0);
    const d = loadGatewayConfig({ CLUSTER_TOKEN: 'access-key-test-token' });
    expect([d.serverKey, d.s3RootKey, d.keyCacheMs]).toEqual([undefined, undefined, 5000]);
  });
  test('bad values are refused with the variable named', () => {
    const bad: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{ SERVER_KEY: 'secret' }, /^SERVER_KEY must be 64 hexadecimal/],
      [{ S3_ROOT_ACCESS_KEY: 'admin' }, /S3_ROOT_SECRET_KEY is not/],
      [{ S3_ROOT_SECRET_KEY: 'password123' }, /S3_ROOT_ACCESS_KEY is not/],
      [{ S3_ROOT_ACCESS_KEY: 'ad', S3_ROOT_SECRET_KEY: 'password123' }, /^S3_ROOT_ACCESS_KEY must be 3 to 128/],
      [{ S3_ROOT_ACCESS_KEY: 'ad-min', S3_ROOT_SECRET_KEY: 'password123' }, /^S3_ROOT_ACCESS_KEY may hold only/],
      [{ S3_ROOT_ACCESS_KEY: 'admin', S3_ROOT_SECRET_KEY: 'short' }, /^S3_ROOT_SECRET_KEY must be 8 to 128/],
      [{ S3_ROOT_ACCESS_KEY: 'admin', S3_ROOT_SECRET_KEY: 'pass word 123' }, /^S3_ROOT_SECRET_KEY may hold only/],
      [{ S3_KEY_CACHE_MS: '60001' }, /^S3_KEY_CACHE_MS/],
    ];
    for (const [env, message] of bad) {
      expect(() => loadGatewayConfig(env), JSON.stringify(env)).toThrow(ConfigError);
      expect(() => loadGatewayConfig(env), JSON.stringify(env)).toThrow(message);
    }
  });
});
