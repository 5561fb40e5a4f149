import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { BLOCK_SIZE, blockChecksums } from '../../proto/block-checksums.js';
import { BlockTable } from '../../storage-node/block-table.js';

function appendInPieces(data: Buffer, sizes: number[]): BlockTable {
  const table = new BlockTable();
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    table.append(data.subarray(at, at + n));
    at += n;
  }
  return table;
}

describe('BlockTable (block checksums built as messages arrive)', () => {
  test('any split of the data gives the checksums of the whole', () => {
    const data = randomBytes(40 * BLOCK_SIZE + 777); // 41 blocks: the table grows past its first size
    const expected = blockChecksums(data);
    const splits = [[data.length], [4099], [BLOCK_SIZE], [BLOCK_SIZE - 1], [BLOCK_SIZE + 1], [1024 * 1024], [3, 70_000, 0, 200_001], [100_000]];
    for (const sizes of splits) {
      const table = appendInPieces(data, sizes);
      expect(table.size).toBe(data.length);
      expect(table.finish().equals(expected), JSON.stringify(sizes)).toBe(true);
    }
  });

  test('empty data has an empty table; an exact multiple of the block has no short block', () => {
    expect(new BlockTable().finish().length).toBe(0);
    const data = randomBytes(2 * BLOCK_SIZE);
    const t = new BlockTable();
    t.append(data);
    t.append(Buffer.alloc(0));
    expect(t.finish().equals(blockChecksums(data))).toBe(true);
  });

  test('checksumsOf gives complete blocks and the block still being filled', () => {
    const data = randomBytes(3 * BLOCK_SIZE + 10);
    const t = new BlockTable();
    t.append(data.subarray(0, BLOCK_SIZE + 5));
    t.append(data.subarray(BLOCK_SIZE + 5));
    const all = blockChecksums(data);
    expect(t.checksumsOf(0, 3).equals(all.subarray(0, 24))).toBe(true);
    expect(t.checksumsOf(1, 3).equals(all.subarray(8, 32))).toBe(true); // the short last block so far
    expect(t.checksumsOf(3, 1).equals(all.subarray(24, 32))).toBe(true);
    expect(() => t.checksumsOf(2, 3)).toThrow(RangeError);
    expect(t.finish().equals(all)).toBe(true);
  });
});
