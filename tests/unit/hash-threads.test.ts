// The hash threads (gateway/data/hash-threads.ts) with real worker threads, from the build: digests
// equal node:crypto's for bytes fed in pieces, also pieces larger than all of a thread's blocks,
// many hashes at once keep apart, the caller's bytes may change once update() resolves, and a
// thread that dies fails its hashes instead of hanging them, while new hashes still work.
import { createHash, randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { BLOCK_BYTES, ThreadedHash } from '../../dist/gateway/data/hash-threads.js';

test('MD5 and SHA-256 of bytes fed in pieces, small and larger than every block together, equal node:crypto', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const large = randomBytes(5 * BLOCK_BYTES + 3);
  for (const algorithm of ['md5', 'sha256'] as const) {
    const hash = new ThreadedHash(algorithm);
    const updates: Promise<void>[] = [];
    for (let at = 0; at < data.length; at += 700_001) updates.push(hash.update(data.subarray(at, at + 700_001)));
    updates.push(hash.update(large)); // not awaited in between: the order of the calls is the order hashed
    await Promise.all(updates);
    expect(await hash.digest()).toBe(createHash(algorithm).update(data).update(large).digest('hex'));
  }
  const empty = new ThreadedHash('md5');
  expect(await empty.digest()).toBe(createHash('md5').digest('hex'));
});

test('many hashes at once, more than there are threads, each get their own bytes', async () => {
  const inputs = Array.from({ length: 12 }, (_, i) => randomBytes(200_000 + i));
  const hashes = inputs.map((_, i) => new ThreadedHash(i % 2 ? 'md5' : 'sha256'));
  // Interleaved: piece j of every hash before piece j + 1 of any.
  for (let at = 0; at < 210_000; at += 50_000) {
    await Promise.all(hashes.map((h, i) => (at < inputs[i]!.length ? h.update(inputs[i]!.subarray(at, at + 50_000)) : undefined)));
  }
  const digests = await Promise.all(hashes.map((h) => h.digest()));
  digests.forEach((d, i) => expect(d).toBe(createHash(i % 2 ? 'md5' : 'sha256').update(inputs[i]!).digest('hex')));
});

test('the caller may overwrite its bytes once update() resolves; a digest is given once', async () => {
  const reused = Buffer.alloc(BLOCK_BYTES + 1000);
  const hash = new ThreadedHash('md5');
  const expected = createHash('md5');
  for (let round = 0; round < 12; round++) {
    reused.fill(round); // as a stripe buffer is refilled
    expected.update(reused);
    await hash.update(reused);
  }
  reused.fill(0xff);
  expect(await hash.digest()).toBe(expected.digest('hex'));
  await expect(hash.digest()).rejects.toThrow(/after digest/);
  hash.dispose(); // harmless after the digest
});

test('a thread that dies fails the hashes on it; a new hash starts a new thread', async () => {
  const hash = new ThreadedHash('sha256');
  const memory = randomBytes(1024 * 1024);
  await hash.update(memory);
  await hash.terminateThread();
  await expect(hash.update(memory)).rejects.toThrow(/hash thread exited/);
  await expect(hash.digest()).rejects.toThrow(/hash thread exited/);

  const next = new ThreadedHash('sha256');
  await next.update(memory);
  expect(await next.digest()).toBe(createHash('sha256').update(memory).digest('hex'));
});
