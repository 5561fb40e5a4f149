import { describe, expect, test } from 'vitest';
import { ErasureCoder } from '../../gateway/data/erasure-code.js';

// Seeded so that a failure can be replayed: the seed is in every failure message.
const SEED = Number(process.env.ERASURE_TEST_SEED ?? Date.now() % 2 ** 31);

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const rng = random(SEED);
const randomInt = (below: number): number => Math.floor(rng() * below);

function randomBytes(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = randomInt(256);
  return bytes;
}

interface Stripe {
  k: number;
  m: number;
  shardSize: number;
  data: Buffer;
  parity: Buffer;
}

async function encodedStripe(coder: ErasureCoder, shardSize: number): Promise<Stripe> {
  const data = randomBytes(coder.k * shardSize);
  const parity = Buffer.alloc(coder.m * shardSize);
  await coder.encode(data, parity, shardSize);
  return { k: coder.k, m: coder.m, shardSize, data, parity };
}

const shard = (s: Stripe, i: number): Buffer =>
  i < s.k ? s.data.subarray(i * s.shardSize, (i + 1) * s.shardSize) : s.parity.subarray((i - s.k) * s.shardSize, (i - s.k + 1) * s.shardSize);

/** Copies the stripe, overwrites the `missing` shards with garbage, rebuilds them, and checks every shard against the original. */
async function eraseAndRebuild(coder: ErasureCoder, original: Stripe, missing: number[]): Promise<void> {
  const damaged: Stripe = { ...original, data: Buffer.from(original.data), parity: Buffer.from(original.parity) };
  for (const i of missing) shard(damaged, i).set(randomBytes(original.shardSize));
  await coder.reconstruct(damaged.data, damaged.parity, original.shardSize, missing);
  for (let i = 0; i < original.k + original.m; i++) {
    const context = `seed ${SEED}, ${original.k}+${original.m}, shardSize ${original.shardSize}, missing [${missing}], shard ${i}`;
    expect(shard(damaged, i).equals(shard(original, i)), context).toBe(true);
  }
}

/** Every set of `count` indexes out of 0..n-1. */
function* combinations(n: number, count: number, first = 0): Generator<number[]> {
  if (count === 0) {
    yield [];
    return;
  }
  for (let i = first; i <= n - count; i++) for (const rest of combinations(n, count - 1, i + 1)) yield [i, ...rest];
}

function randomErasure(n: number, count: number): number[] {
  const indexes = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [indexes[i], indexes[j]] = [indexes[j]!, indexes[i]!];
  }
  return indexes.slice(0, count);
}

describe('erasure code', () => {
  test('4+2: every single and every pair of lost shards is rebuilt bit-exact', async () => {
    const coder = new ErasureCoder(4, 2);
    // 65536 and 8: sizes the library takes whole; 1001 and 7: its aligned part plus a byte-wise tail, or the tail only.
    for (const shardSize of [65536, 8, 1001, 7]) {
      const stripe = await encodedStripe(coder, shardSize);
      const patterns = [...combinations(6, 1), ...combinations(6, 2)];
      expect(patterns).toHaveLength(6 + 15);
      for (const missing of patterns) await eraseAndRebuild(coder, stripe, missing);
    }
  });

  test('random k + m up to 16 + 6 with odd and even shard sizes, random erasures', async () => {
    const sizes = [1, 7, 9, 16, 1000, 4097, 65536, 65537];
    for (let round = 0; round < 24; round++) {
      const k = 1 + randomInt(16);
      const m = 1 + randomInt(round < 20 ? 4 : 6);
      const shardSize = sizes[randomInt(sizes.length)]!;
      const coder = new ErasureCoder(k, m);
      const stripe = await encodedStripe(coder, shardSize);
      for (let t = 0; t < 4; t++) await eraseAndRebuild(coder, stripe, randomErasure(k + m, 1 + randomInt(m)));
    }
  });

  test('every erasure of m shards is rebuilt, for wide stripes with a byte-wise tail', async () => {
    for (const [k, m, shardSize] of [
      [12, 4, 15],
      [5, 3, 23],
      [24, 2, 9],
      [1, 6, 3],
    ] as const) {
      const coder = new ErasureCoder(k, m);
      const stripe = await encodedStripe(coder, shardSize);
      for (const missing of combinations(k + m, m)) await eraseAndRebuild(coder, stripe, missing);
    }
  });

  test('the largest stripe the library allows: 24 + 6', async () => {
    const coder = new ErasureCoder(24, 6);
    for (const shardSize of [4096, 4099]) {
      const stripe = await encodedStripe(coder, shardSize);
      for (let t = 0; t < 8; t++) await eraseAndRebuild(coder, stripe, randomErasure(30, 1 + randomInt(6)));
    }
  });

  test('parity is a function of every data byte', async () => {
    const coder = new ErasureCoder(4, 2);
    for (const shardSize of [4096, 1001]) {
      const stripe = await encodedStripe(coder, shardSize);
      const again = Buffer.alloc(stripe.parity.length);
      await coder.encode(stripe.data, again, shardSize);
      expect(again.equals(stripe.parity)).toBe(true);
      expect(stripe.parity.equals(Buffer.alloc(stripe.parity.length))).toBe(false);
      // The first and last byte of the first and last data shard, a middle one, and the tail bytes of odd sizes.
      const positions = [0, shardSize - 1, 2 * shardSize + (shardSize >> 1), 3 * shardSize, 4 * shardSize - 1, 4 * shardSize - 3];
      for (const position of positions) {
        const data = Buffer.from(stripe.data);
        data[position] = data[position]! ^ (1 << randomInt(8));
        const parity = Buffer.alloc(stripe.parity.length);
        await coder.encode(data, parity, shardSize);
        for (let j = 0; j < 2; j++) {
          const before = stripe.parity.subarray(j * shardSize, (j + 1) * shardSize);
          const after = parity.subarray(j * shardSize, (j + 1) * shardSize);
          expect(after.equals(before), `parity ${j} after flipping data byte ${position}, shardSize ${shardSize}`).toBe(false);
        }
      }
    }
  });

  test('shards not listed as missing are only read: a present parity shard is not computed again', async () => {
    const coder = new ErasureCoder(4, 3);
    for (const shardSize of [4096, 1001]) {
      const stripe = await encodedStripe(coder, shardSize);
      const data = Buffer.from(stripe.data);
      const parity = Buffer.from(stripe.parity);
      const marker = Buffer.alloc(shardSize, 0xa5);
      // Shards 2..5 rebuild shards 0 and 1; shard 6 (the third parity) is present, not needed, so must stay as it is.
      parity.set(marker, 2 * shardSize);
      data.fill(0, 0, 2 * shardSize);
      await coder.reconstruct(data, parity, shardSize, [0, 1]);
      expect(data.equals(stripe.data)).toBe(true);
      expect(parity.subarray(2 * shardSize).equals(marker)).toBe(true);
    }
  });

  test('concurrent calls on one coder give the same results as one at a time', async () => {
    const coder = new ErasureCoder(6, 3);
    const stripes = await Promise.all(Array.from({ length: 8 }, (_, i) => encodedStripe(coder, i % 2 ? 32768 : 32771)));
    await Promise.all(stripes.map((s) => eraseAndRebuild(coder, s, randomErasure(9, 3))));
    for (const s of stripes) {
      const parity = Buffer.alloc(s.parity.length);
      await coder.encode(s.data, parity, s.shardSize);
      expect(parity.equals(s.parity)).toBe(true);
    }
  });

  test('more than m missing shards are refused, and nothing is written', async () => {
    const coder = new ErasureCoder(4, 2);
    const stripe = await encodedStripe(coder, 64);
    const data = Buffer.from(stripe.data);
    await expect(coder.reconstruct(data, stripe.parity, 64, [0, 1, 2])).rejects.toThrow(/3 shards missing, but 4\+2 can rebuild at most 2/);
    await expect(coder.reconstruct(data, stripe.parity, 64, [0, 1, 4, 5])).rejects.toThrow(/at most 2/);
    expect(data.equals(stripe.data)).toBe(true);
  });

  test('bad arguments are refused with a clear error', async () => {
    expect(() => new ErasureCoder(0, 2)).toThrow(/k \(data shards\) must be an integer from 1 to 24, got 0/);
    expect(() => new ErasureCoder(25, 2)).toThrow(/from 1 to 24, got 25/);
    expect(() => new ErasureCoder(4, 7)).toThrow(/m \(parity shards\) must be an integer from 0 to 6, got 7/);
    expect(() => new ErasureCoder(4, -1)).toThrow(/from 0 to 6/);
    expect(() => new ErasureCoder(2.5, 1)).toThrow(/got 2.5/);
    const coder = new ErasureCoder(4, 2);
    const data = Buffer.alloc(4 * 16);
    const parity = Buffer.alloc(2 * 16);
    await expect(coder.encode(data.subarray(1), parity, 16)).rejects.toThrow(/data must be a Buffer of k \* shardSize = 4 \* 16 bytes, got 63 bytes/);
    await expect(coder.encode(data, Buffer.alloc(3 * 16), 16)).rejects.toThrow(/parity must be a Buffer of m \* shardSize = 2 \* 16 bytes, got 48 bytes/);
    await expect(coder.encode(data, parity, -8)).rejects.toThrow(/shardSize must be an integer >= 0, got -8/);
    await expect(coder.encode(data, parity, 1.5)).rejects.toThrow(/got 1.5/);
    await expect(coder.encode(data, parity, 2 ** 30)).rejects.toThrow(/over the library's limit/);
    await expect(coder.reconstruct(data, parity, 16, [6])).rejects.toThrow(/missing shard index 6 is not in 0..5/);
    await expect(coder.reconstruct(data, parity, 16, [-1])).rejects.toThrow(/index -1 is not in 0..5/);
    await expect(coder.reconstruct(data, parity, 16, [1, 1])).rejects.toThrow(/index 1 is listed twice/);
    const shared = Buffer.alloc(6 * 16);
    await expect(coder.encode(shared.subarray(0, 64), shared.subarray(48, 80), 16)).rejects.toThrow(/must not overlap/);
    // Adjacent views of one allocation do not overlap and are fine.
    await coder.encode(shared.subarray(0, 64), shared.subarray(64), 16);
  });

  test('m = 0: encode writes nothing, and no shard can be rebuilt', async () => {
    const coder = new ErasureCoder(3, 0);
    const data = randomBytes(3 * 40);
    const copy = Buffer.from(data);
    await coder.encode(data, Buffer.alloc(0), 40);
    await coder.reconstruct(data, Buffer.alloc(0), 40, []);
    expect(data.equals(copy)).toBe(true);
    await expect(coder.reconstruct(data, Buffer.alloc(0), 40, [0])).rejects.toThrow(/can rebuild at most 0/);
  });

  test('shardSize 0 and an empty missing list are no-ops', async () => {
    const coder = new ErasureCoder(4, 2);
    await coder.encode(Buffer.alloc(0), Buffer.alloc(0), 0);
    await coder.reconstruct(Buffer.alloc(0), Buffer.alloc(0), 0, [0, 5]);
    const stripe = await encodedStripe(coder, 24);
    const parity = Buffer.from(stripe.parity);
    await coder.reconstruct(stripe.data, parity, 24, []);
    expect(parity.equals(stripe.parity)).toBe(true);
  });
});
