import { describe, expect, test } from 'vitest';
import {
  chunkBytesBefore,
  chunkCount,
  chunkLength,
  chunkNumbers,
  roleOf,
  stripeCount,
  unitLength,
  chunkRangesFor,
  chunkSizes,
  locate,
  piecesFor,
  type StripeLayout,
} from '../../gateway/data/stripe-layout.js';

const MiB = 1024 * 1024;
const six: StripeLayout = { unit: MiB, width: 6 };

/** Reference model: deal every byte one by one. */
function naiveChunkOf(size: number, layout: StripeLayout): { chunk: number; chunkOffset: number }[] {
  const counters = new Array<number>(layout.width).fill(0);
  return Array.from({ length: size }, (_, offset) => {
    const chunk = Math.floor(offset / layout.unit) % layout.width;
    return { chunk, chunkOffset: counters[chunk]!++ };
  });
}

describe('stripe layout', () => {
  test('chunk count: one per stripe unit, at most the width', () => {
    expect(chunkCount(0, six)).toBe(0);
    expect(chunkCount(1, six)).toBe(1);
    expect(chunkCount(MiB, six)).toBe(1);
    expect(chunkCount(MiB + 1, six)).toBe(2);
    expect(chunkCount(6 * MiB, six)).toBe(6);
    expect(chunkCount(10 * 1024 * MiB, six)).toBe(6);
  });

  test('chunk sizes add up to the file and differ by at most one unit', () => {
    for (const size of [0, 1, MiB - 1, MiB, 6 * MiB, 6 * MiB + 1, 10 * 1024 * MiB, 10 * 1024 * MiB + 1, 123_456_789]) {
      const sizes = chunkSizes(size, six);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(size);
      if (sizes.length) expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(MiB);
      for (let i = 1; i < sizes.length; i++) expect(sizes[i]!).toBeLessThanOrEqual(sizes[i - 1]!);
    }
    // 10 GiB over six chunks: about 1.67 GiB each.
    expect(chunkSizes(10 * 1024 * MiB, six)[0]).toBe(1_789_919_232);
  });

  test('locate agrees with dealing bytes one by one (small units)', () => {
    const layout = { unit: 4, width: 3 };
    const naive = naiveChunkOf(100, layout);
    naive.forEach((expected, offset) => expect(locate(offset, layout)).toEqual(expected));
    for (let c = 0; c < 3; c++) {
      expect(chunkBytesBefore(100, c, layout)).toBe(naive.filter((x) => x.chunk === c).length);
    }
  });

  test('ranges per chunk are contiguous and cover exactly the requested bytes', () => {
    const layout = { unit: 4, width: 3 };
    const size = 57;
    const naive = naiveChunkOf(size, layout);
    for (let start = 0; start <= size; start += 3) {
      for (let end = start; end <= size; end += 5) {
        const ranges = chunkRangesFor(start, end, size, layout);
        const expected = new Map<number, number[]>();
        for (let o = start; o < end; o++) {
          const { chunk, chunkOffset } = naive[o]!;
          expected.set(chunk, [...(expected.get(chunk) ?? []), chunkOffset]);
        }
        expect(ranges.length).toBe(expected.size);
        for (const r of ranges) {
          const offsets = expected.get(r.chunk)!;
          expect(r.offset).toBe(offsets[0]);
          expect(r.length).toBe(offsets.length);
          expect(offsets[offsets.length - 1]).toBe(r.offset + r.length - 1);
        }
      }
    }
  });

  test('pieces walk the range in file order, never crossing a stripe unit', () => {
    const layout = { unit: 4, width: 3 };
    const pieces = [...piecesFor(2, 19, layout)];
    expect(pieces).toEqual([
      { chunk: 0, length: 2 },
      { chunk: 1, length: 4 },
      { chunk: 2, length: 4 },
      { chunk: 0, length: 4 },
      { chunk: 1, length: 3 },
    ]);
    expect([...piecesFor(5, 5, layout)]).toEqual([]);
  });
});

describe('stripe layout with parity (k = 4, m = 2)', () => {
  const ec: StripeLayout = { unit: MiB, width: 4, parity: 2 };

  test('chunk numbers: data chunks by units, parity numbered from k, none for an empty file', () => {
    expect(chunkNumbers(0, ec)).toEqual([]);
    expect(chunkNumbers(10, ec)).toEqual([0, 4, 5]);
    expect(chunkNumbers(MiB + 1, ec)).toEqual([0, 1, 4, 5]);
    expect(chunkNumbers(4 * MiB - 3, ec)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(chunkNumbers(100 * MiB, ec)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(chunkNumbers(5 * MiB, { unit: MiB, width: 4 })).toEqual([0, 1, 2, 3]);
  });

  test('parity chunks are as long as data chunk 0; data chunks add up to the file', () => {
    for (const size of [1, 10, MiB + 1, 4 * MiB - 3, 17 * MiB + 12345, 100 * MiB]) {
      const numbers = chunkNumbers(size, ec);
      const data = numbers.filter((n) => roleOf(n, ec) === 'data').map((n) => chunkLength(size, n, ec));
      expect(data.reduce((a, b) => a + b, 0)).toBe(size);
      for (const n of numbers.filter((x) => roleOf(x, ec) === 'parity')) expect(chunkLength(size, n, ec)).toBe(data[0]);
    }
  });

  test('unit lengths per stripe match the byte-by-byte model', () => {
    const unit = 8;
    const small: StripeLayout = { unit, width: 4, parity: 2 };
    for (const size of [0, 1, 7, 8, 9, 31, 32, 33, 100]) {
      for (let s = 0; s < stripeCount(size, small) + 1; s++) {
        for (let i = 0; i < 4; i++) {
          let count = 0;
          for (let b = 0; b < size; b++) if (Math.floor(b / unit) === s * 4 + i) count++;
          expect(unitLength(size, s, i, small)).toBe(count);
        }
      }
    }
  });
});
