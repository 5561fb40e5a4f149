import { describe, expect, test } from 'vitest';
import {
  chunkBytesBefore,
  chunkCount,
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
