import { randomBytes } from 'node:crypto';
import { xxh64 } from '@node-rs/xxhash';
import { describe, expect, test } from 'vitest';
import { BLOCK_SIZE, badBlocks, blockChecksums, blockCount, coveringBlocks, firstBadBlock } from '../../proto/block-checksums.js';

/** The reference: one allocation per block, the obvious way. */
function reference(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += BLOCK_SIZE) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(xxh64(data.subarray(i, i + BLOCK_SIZE)));
    parts.push(b);
  }
  return Buffer.concat(parts);
}

describe('block checksums', () => {
  test('xxHash64 seed 0, 8 bytes big-endian per 64 KiB block, the last block short', () => {
    expect(BLOCK_SIZE).toBe(65536);
    // Known answer: xxHash64 of "abc" with seed 0 is 44bc2cf5ad770999.
    expect(blockChecksums(Buffer.from('abc')).toString('hex')).toBe('44bc2cf5ad770999');
    for (const size of [0, 1, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 1, 16 * BLOCK_SIZE, 16 * BLOCK_SIZE + 12345]) {
      const data = randomBytes(size);
      const sums = blockChecksums(data);
      expect(sums.length, String(size)).toBe(blockCount(size) * 8);
      expect(sums.equals(reference(data)), String(size)).toBe(true);
    }
  });

  test('writes into a given buffer at an offset and refuses one that is too short', () => {
    const data = randomBytes(3 * BLOCK_SIZE);
    const out = Buffer.alloc(40, 0xee);
    expect(blockChecksums(data, out, 8)).toBe(out);
    expect(out.subarray(8, 32).equals(reference(data))).toBe(true);
    expect(out.subarray(0, 8).equals(Buffer.alloc(8, 0xee))).toBe(true);
    expect(out.subarray(32).equals(Buffer.alloc(8, 0xee))).toBe(true);
    expect(() => blockChecksums(data, Buffer.alloc(23))).toThrow(RangeError);
  });

  test('firstBadBlock finds the first changed or missing block, and -1 when all match', () => {
    const data = randomBytes(5 * BLOCK_SIZE + 100);
    const sums = blockChecksums(data);
    expect(firstBadBlock(data, sums)).toBe(-1);
    expect(firstBadBlock(Buffer.alloc(0), Buffer.alloc(0))).toBe(-1);
    for (const at of [0, BLOCK_SIZE - 1, 2 * BLOCK_SIZE, 5 * BLOCK_SIZE + 99]) {
      const bad = Buffer.from(data);
      bad[at]! ^= 1;
      expect(firstBadBlock(bad, sums), String(at)).toBe(Math.floor(at / BLOCK_SIZE));
    }
    const twoBad = Buffer.from(data);
    twoBad[4 * BLOCK_SIZE]! ^= 0x80;
    twoBad[BLOCK_SIZE + 7]! ^= 0x80;
    expect(firstBadBlock(twoBad, sums)).toBe(1);
    expect(firstBadBlock(data, sums.subarray(0, 3 * 8))).toBe(3); // missing checksums
    expect(firstBadBlock(data, sums.subarray(0, 3 * 8 + 5))).toBe(3); // a partial checksum is missing too
    const wrongSum = Buffer.from(sums);
    wrongSum[2 * 8 + 7]! ^= 1;
    expect(firstBadBlock(data, wrongSum)).toBe(2);
    expect(firstBadBlock(data, new Uint8Array(sums))).toBe(-1);
  });

  test('badBlocks lists every changed or missing block, offset by the first block index', () => {
    const data = randomBytes(5 * BLOCK_SIZE + 100);
    const sums = blockChecksums(data);
    expect(badBlocks(data, sums)).toEqual([]);
    expect(badBlocks(Buffer.alloc(0), Buffer.alloc(0))).toEqual([]);
    const bad = Buffer.from(data);
    bad[4 * BLOCK_SIZE]! ^= 0x80;
    bad[BLOCK_SIZE + 7]! ^= 0x80;
    bad[5 * BLOCK_SIZE + 99]! ^= 0x01; // the short last block
    expect(badBlocks(bad, sums)).toEqual([1, 4, 5]);
    expect(badBlocks(bad, sums, BLOCK_SIZE, 100)).toEqual([101, 104, 105]);
    expect(badBlocks(data, sums.subarray(0, 3 * 8 + 5))).toEqual([3, 4, 5]); // missing and partial checksums
    const wrongSum = Buffer.from(sums);
    wrongSum[2 * 8]! ^= 1;
    expect(badBlocks(data, new Uint8Array(wrongSum))).toEqual([2]);
  });

  test('coveringBlocks: whole blocks around a range, clipped to the chunk', () => {
    const B = BLOCK_SIZE;
    const size = 5 * B + 100;
    expect(coveringBlocks(0, size, size)).toEqual({ firstBlock: 0, blocks: 6, start: 0, end: size });
    expect(coveringBlocks(B - 1, 2, size)).toEqual({ firstBlock: 0, blocks: 2, start: 0, end: 2 * B });
    expect(coveringBlocks(B, B, size)).toEqual({ firstBlock: 1, blocks: 1, start: B, end: 2 * B });
    expect(coveringBlocks(5 * B + 3, 1, size)).toEqual({ firstBlock: 5, blocks: 1, start: 5 * B, end: size });
    expect(coveringBlocks(17, 0, size).blocks).toBe(0);
    expect(coveringBlocks(size, 0, size).blocks).toBe(0);
    expect(coveringBlocks(0, 0, 0).blocks).toBe(0);
    expect(() => coveringBlocks(10, size, size)).toThrow(RangeError);
    expect(() => coveringBlocks(-1, 1, size)).toThrow(RangeError);
  });

  test('speed: 64 MiB in 64 KiB blocks, both directions, well over 1 GB/s', () => {
    const data = randomBytes(64 * 1024 * 1024);
    const t0 = process.hrtime.bigint();
    const sums = blockChecksums(data);
    expect(firstBadBlock(data, sums)).toBe(-1);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    // About 10 GB/s per core on the development machine; 1 GB/s leaves room for a busy machine.
    expect((2 * data.length) / seconds).toBeGreaterThan(1e9);
  });
});
