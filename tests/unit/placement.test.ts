import { describe, expect, test } from 'vitest';
import { placeChunks, planChunks, type PlacementCandidate } from '../../gateway/cluster/placement.js';

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
    const plan = planChunks('f', [0, 1, 2, 3, 4, 5], 4, nodes([0, 0, 0, 0, 0, 0]));
    expect([...plan.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(plan.values()).size).toBe(6);
    expect([...plan.values()].every((id) => id !== null)).toBe(true);
  });

  test('fewer nodes than chunks: data chunks placed first, the rest of the parity left without a node', () => {
    const plan = planChunks('f', [0, 1, 2, 3, 4, 5], 4, nodes([0, 0, 0, 0, 0]));
    expect([0, 1, 2, 3, 4].map((n) => plan.get(n))).not.toContain(null);
    expect(plan.get(5)).toBeNull();
    expect(new Set([0, 1, 2, 3, 4].map((n) => plan.get(n))).size).toBe(5);
    const three = planChunks('g', [0, 1, 2, 3, 4, 5], 4, nodes([5, 1, 3]));
    expect([0, 1, 2].map((n) => three.get(n))).toEqual([2, 3, 1]); // least used first
    expect([3, 4, 5].map((n) => three.get(n))).toEqual([null, null, null]);
  });

  test('a small file: one data chunk and its parity chunks (numbered from k)', () => {
    const plan = planChunks('f', [0, 4, 5], 4, nodes([0, 0, 0, 0, 0, 0]));
    expect([...plan.keys()]).toEqual([0, 4, 5]);
    expect(new Set(plan.values()).size).toBe(3);
  });
});
