import { describe, expect, test } from 'vitest';
import { placeChunks, planChunks, type PlacementCandidate, type PlannedChunk } from '../../gateway/cluster/placement.js';
import { chunkLength, chunkNumbers } from '../../gateway/data/stripe-layout.js';

const MiB = 1024 * 1024;
const layout = { unit: MiB, width: 4, parity: 2 };
/** The chunks of a file of `size` bytes with k = 4, m = 2 and 1 MiB units. */
const chunksOf = (size: number): PlannedChunk[] =>
  chunkNumbers(size, layout).map((chunkNumber) => ({ chunkNumber, bytes: chunkLength(size, chunkNumber, layout) }));
const same = (numbers: number[]): PlannedChunk[] => numbers.map((chunkNumber) => ({ chunkNumber, bytes: 1 }));

const nodes = (used: number[]): PlacementCandidate[] => used.map((u, i) => ({ id: i + 1, usedBytes: u, writable: true }));

describe('placement', () => {
  test('least used nodes first, one chunk per distinct node', () => {
    expect(placeChunks('f', 3, nodes([50, 10, 40, 20, 30]))).toEqual([2, 4, 5]);
  });

  test('nodes that cannot take writes are skipped; too few writable gives null', () => {
    const list = nodes([0, 0, 0]);
    list[0]!.writable = false;
    expect(placeChunks('f', 2, list)?.sort()).toEqual([2, 3]);
    expect(placeChunks('f', 3, list)).toBeNull();
  });

  test('ties are broken by the file id, spreading first chunks over all nodes', () => {
    const firsts = new Set<number>();
    for (let i = 0; i < 200; i++) firsts.add(placeChunks(`file-${i}`, 1, nodes([0, 0, 0, 0, 0, 0]))![0]!);
    expect(firsts.size).toBe(6);
    // Deterministic for the same file id.
    expect(placeChunks('x', 6, nodes([0, 0, 0, 0, 0, 0]))).toEqual(placeChunks('x', 6, nodes([0, 0, 0, 0, 0, 0])));
  });

  test('simulated uploads keep nodes within 10% of the mean', () => {
    const used = [0, 0, 0, 0, 0, 0];
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let f = 0; f < 60; f++) {
      const sizes = [3, 3, 2, 2, 2, 2].map((units) => Math.floor(units * (0.5 + random()) * 1e6));
      const order = placeChunks(`f${f}`, 6, nodes(used))!;
      sizes.sort((a, b) => b - a).forEach((s, i) => (used[order[i]! - 1]! += s));
    }
    const mean = used.reduce((a, b) => a + b) / used.length;
    expect(Math.max(...used) - Math.min(...used)).toBeLessThanOrEqual(0.1 * mean);
  });
});

describe('planChunks (erasure-coded files)', () => {
  test('k + m chunks on k + m distinct nodes', () => {
    const plan = planChunks('f', same([0, 1, 2, 3, 4, 5]), 4, nodes([0, 0, 0, 0, 0, 0]));
    expect([...plan.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(plan.values()).size).toBe(6);
    expect([...plan.values()].every((id) => id !== null)).toBe(true);
  });

  test('fewer nodes than chunks: data chunks placed first, the rest of the parity left without a node', () => {
    const plan = planChunks('f', same([0, 1, 2, 3, 4, 5]), 4, nodes([0, 0, 0, 0, 0]));
    expect([0, 1, 2, 3, 4].map((n) => plan.get(n))).not.toContain(null);
    expect(plan.get(5)).toBeNull();
    expect(new Set([0, 1, 2, 3, 4].map((n) => plan.get(n))).size).toBe(5);
    const three = planChunks('g', same([0, 1, 2, 3, 4, 5]), 4, nodes([5, 1, 3]));
    expect([0, 1, 2].map((n) => three.get(n))).toEqual([2, 3, 1]); // least used first
    expect([3, 4, 5].map((n) => three.get(n))).toEqual([null, null, null]);
  });

  test('a small file: one data chunk and its parity chunks (numbered from k)', () => {
    const plan = planChunks('f', same([0, 4, 5]), 4, nodes([0, 0, 0, 0, 0, 0]));
    expect([...plan.keys()]).toEqual([0, 4, 5]);
    expect(new Set(plan.values()).size).toBe(3);
  });

  test('the largest chunks go to the least used nodes, parity included', () => {
    // 5.5 MiB: chunk 0 and both parity chunks hold 2 MiB, chunk 1 1.5 MiB, chunks 2 and 3 1 MiB.
    const plan = planChunks('f', chunksOf(5.5 * MiB), 4, nodes([60, 10, 50, 20, 40, 30]));
    const largest = [plan.get(0), plan.get(4), plan.get(5)].sort();
    expect(largest).toEqual([2, 4, 6]);
    expect(plan.get(1)).toBe(5);
    expect([plan.get(2), plan.get(3)].sort()).toEqual([1, 3]);
  });

  test('60 files of mixed sizes keep nodes within 10% of the mean (sizes that spread 9.5 MiB when parity went to the fullest nodes)', () => {
    const sizes = [
      5430131, 1880743, 4015327, 5612922, 3527210, 915519, 5363529, 7325620, 4473091, 1769695, 5094366, 4428052, 604551,
      4608166, 6203966, 4687794, 3268916, 8255540, 1249348, 2114256, 5594461, 6797811, 2399659, 5915648, 8355180, 2240865,
      6976755, 7857151, 4626082, 5540587, 4506047, 6384782, 1154709, 3971162, 1923997, 5730304, 6331060, 6219154, 3975770,
      593995, 4626908, 2971746, 4867142, 6346478, 7859279, 4278160, 6976902, 4083753, 6331942, 554258, 5688765, 5978141,
      2664899, 4572250, 3507710, 5878287, 6150098, 938130, 5326990, 5835596,
    ];
    const used = [0, 0, 0, 0, 0, 0];
    sizes.forEach((size, f) => {
      const chunks = chunksOf(size);
      const plan = planChunks(`f${f}`, chunks, 4, nodes(used));
      for (const c of chunks) used[plan.get(c.chunkNumber)! - 1]! += c.bytes;
    });
    const mean = used.reduce((a, b) => a + b) / used.length;
    expect(Math.max(...used) - Math.min(...used)).toBeLessThanOrEqual(0.1 * mean);
  });
});
