// The hash threads (gateway/data/hash-threads.ts) with real worker threads, from the build: digests
// equal node:crypto's for bytes fed in pieces from shared memory, many hashes at once keep apart,
// and a thread that dies fails its hashes instead of hanging them, while new hashes still work.
import { createHash, randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { ThreadedHash } from '../../dist/gateway/data/hash-threads.js';

/** `bytes` copied into shared memory, as the stripe writer keeps them. */
function shared(bytes: Buffer): Buffer {
  const out = Buffer.from(new SharedArrayBuffer(bytes.length));
  bytes.copy(out);
  return out;
}

test('MD5 and SHA-256 of bytes fed in pieces equal node:crypto', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const memory = shared(data);
  for (const algorithm of ['md5', 'sha256'] as const) {
    const hash = new ThreadedHash(algorithm);
    const updates: Promise<void>[] = [];
    for (let at = 0; at < memory.length; at += 700_001) updates.push(hash.update(memory.subarray(at, at + 700_001)));
    await Promise.all(updates);
    expect(await hash.digest()).toBe(createHash(algorithm).update(data).digest('hex'));
  }
  const empty = new ThreadedHash('md5');
  expect(await empty.digest()).toBe(createHash('md5').digest('hex'));
});

test('many hashes at once, more than there are threads, each get their own bytes', async () => {
  const inputs = Array.from({ length: 12 }, (_, i) => randomBytes(200_000 + i));
  const hashes = inputs.map((_, i) => new ThreadedHash(i % 2 ? 'md5' : 'sha256'));
  const memories = inputs.map(shared);
  // Interleaved: piece j of every hash before piece j + 1 of any.
  for (let at = 0; at < 210_000; at += 50_000) {
    await Promise.all(hashes.map((h, i) => (at < memories[i]!.length ? h.update(memories[i]!.subarray(at, at + 50_000)) : undefined)));
  }
  const digests = await Promise.all(hashes.map((h) => h.digest()));
  digests.forEach((d, i) => expect(d).toBe(createHash(i % 2 ? 'md5' : 'sha256').update(inputs[i]!).digest('hex')));
});

test('bytes outside shared memory are refused; a digest is given once', async () => {
  const hash = new ThreadedHash('md5');
  await expect(hash.update(Buffer.from('not shared'))).rejects.toThrow(TypeError);
  await hash.digest();
  await expect(hash.digest()).rejects.toThrow(/after digest/);
  hash.dispose(); // harmless after the digest
});

test('a thread that dies fails the hashes on it; a new hash starts a new thread', async () => {
  const hash = new ThreadedHash('sha256');
  const memory = shared(randomBytes(1024 * 1024));
  await hash.update(memory);
  await hash.terminateThread();
  await expect(hash.update(memory)).rejects.toThrow(/hash thread exited/);
  await expect(hash.digest()).rejects.toThrow(/hash thread exited/);

  const next = new ThreadedHash('sha256');
  await next.update(memory);
  expect(await next.digest()).toBe(createHash('sha256').update(memory).digest('hex'));
});
