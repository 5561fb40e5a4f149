import { describe, expect, test } from 'vitest';
import { chooseRebuildTargets, triage, type ChunkView } from '../../gateway/cluster/heal-plan.js';
import type { PlacementCandidate } from '../../gateway/cluster/placement.js';

const nodes = (used: number[]): PlacementCandidate[] => used.map((u, i) => ({ id: i + 1, usedBytes: u, writable: true }));
const chunk = (chunkNumber: number, nodeId: number | null, state: ChunkView['state'] = 'ok'): ChunkView => ({ chunkNumber, nodeId, state });

describe('triage', () => {
  test('a chunk not ok, without a node, on an unknown or dead node is rebuilt', () => {
    expect(triage(chunk(0, 1, 'missing'), { available: true, dead: false })).toBe('rebuild');
    expect(triage(chunk(0, 1, 'healing'), { available: true, dead: false })).toBe('rebuild');
    expect(triage(chunk(0, null), undefined)).toBe('rebuild');
    expect(triage(chunk(0, 1), undefined)).toBe('rebuild');
    expect(triage(chunk(0, 1), { available: false, dead: true })).toBe('rebuild');
  });

  test('a chunk on a node that answers is verified; on a node down but not dead, it waits', () => {
    expect(triage(chunk(0, 1), { available: true, dead: false })).toBe('verify');
    expect(triage(chunk(0, 1), { available: false, dead: false })).toBe('wait');
  });
});

describe('chooseRebuildTargets', () => {
  test('never a node that keeps another chunk of the file; least used first, largest chunk first', () => {
    const kept = [chunk(0, 1), chunk(1, 2), chunk(2, 3), chunk(3, 4)];
    const plan = chooseRebuildTargets(
      kept,
      [
        { chunkNumber: 4, bytes: 10, avoid: new Set() },
        { chunkNumber: 5, bytes: 20, avoid: new Set() },
      ],
      nodes([0, 0, 0, 0, 50, 40, 60]),
    );
    expect(plan.get(5)).toBe(6); // the larger chunk to the least used free node
    expect(plan.get(4)).toBe(5);
  });

  test('a chunk with no free node left waits (null) rather than doubling up', () => {
    const kept = [chunk(0, 1), chunk(1, 2), chunk(2, 3), chunk(3, 4), chunk(4, 5)];
    const plan = chooseRebuildTargets(kept, [{ chunkNumber: 5, bytes: 1, avoid: new Set() }], nodes([0, 0, 0, 0, 0]));
    expect(plan.get(5)).toBeNull();
  });

  test('the chunk\'s own node may take it back (a corrupt copy rewritten in place) unless told to avoid it', () => {
    const kept = [chunk(0, 1), chunk(1, 2), chunk(2, 3), chunk(3, 4), chunk(4, 5)];
    const candidates = nodes([0, 0, 0, 0, 0, 0]);
    expect(chooseRebuildTargets(kept, [{ chunkNumber: 5, bytes: 1, avoid: new Set() }], candidates).get(5)).toBe(6);
    expect(chooseRebuildTargets(kept, [{ chunkNumber: 5, bytes: 1, avoid: new Set([6]) }], candidates).get(5)).toBeNull();
  });

  test('nodes that cannot take writes are not chosen; two rebuilt chunks go to two nodes', () => {
    const candidates = nodes([0, 0, 0, 0, 0, 0, 0]);
    candidates[5]!.writable = false;
    const kept = [chunk(0, 1), chunk(1, 2), chunk(2, 3), chunk(3, 4)];
    const plan = chooseRebuildTargets(
      kept,
      [
        { chunkNumber: 4, bytes: 1, avoid: new Set() },
        { chunkNumber: 5, bytes: 1, avoid: new Set() },
      ],
      candidates,
    );
    expect(new Set([plan.get(4), plan.get(5)])).toEqual(new Set([5, 7]));
  });
});
