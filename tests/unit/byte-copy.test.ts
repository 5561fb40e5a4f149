// copyBytes (proto/byte-copy.ts): exact copies into and out of shared memory at any alignment,
// nothing written outside the range, and a range past the end refused rather than cut short.
import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { copyBytes } from '../../proto/byte-copy.js';

const sharedBuffer = (size: number): Buffer => Buffer.from(new SharedArrayBuffer(size));

test('copies into and out of shared memory at misaligned offsets, touching nothing else', () => {
  const source = randomBytes(100_003);
  for (const [target, from] of [
    [sharedBuffer(200_000), source.subarray(3)],
    [Buffer.alloc(200_000), sharedBuffer(100_003).fill(source).subarray(5)],
  ] as const) {
    target.fill(0xaa);
    copyBytes(target, 7, from);
    expect(target.subarray(7, 7 + from.length).equals(from)).toBe(true);
    expect(target[6]).toBe(0xaa);
    expect(target[7 + from.length]).toBe(0xaa);
  }
});

test('an empty source writes nothing; a range past the end is refused', () => {
  const target = Buffer.alloc(10, 1);
  copyBytes(target, 10, Buffer.alloc(0));
  expect(target.equals(Buffer.alloc(10, 1))).toBe(true);
  expect(() => copyBytes(target, 5, Buffer.alloc(6, 2))).toThrow(RangeError);
  expect(target.equals(Buffer.alloc(10, 1))).toBe(true);
});
