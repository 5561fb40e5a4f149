import { describe, expect, test } from 'vitest';
import { planRebalance, spreadOf, type MovableChunk, type NodeFill } from '../../gateway/cluster/rebalance-plan.js';

/** Six full nodes holding `files` files of six equal chunks each, and an empty seventh. */
function cluster(files: number, chunkBytes: number): { nodes: NodeFill[]; chunks: MovableChunk[] } {
  const chunks: MovableChunk[] = [];
  for (let f = 0; f < files; f++) {
    for (let n = 0; n < 6; n++) chunks.push({ fileId: `f${f}`, chunkNumber: n, nodeId: n + 1, bytes: chunkBytes, fileNodes: [1, 2, 3, 4, 5, 6] });
  }
  const nodes = [1, 2, 3, 4, 5, 6, 7].map((id) => ({ id, bytes: chunks.filter((c) => c.nodeId === id).reduce((a, c) => a + c.bytes, 0) }));
  return { nodes, chunks };
}

function apply(nodes: NodeFill[], moves: ReturnType<typeof planRebalance>): NodeFill[] {
  const used = new Map(nodes.map((n) => [n.id, n.bytes]));
  for (const m of moves) {
    used.set(m.from, used.get(m.from)! - m.bytes);
    used.set(m.to, used.get(m.to)! + m.bytes);
  }
  return [...used].map(([id, bytes]) => ({ id, bytes }));
}

describe('planRebalance', () => {
  test('a seventh, empty node is filled until every node is within 10% of the mean', () => {
    const { nodes, chunks } = cluster(40, 1000);
    const moves = planRebalance(nodes, chunks);
    const after = spreadOf(apply(nodes, moves));
    expect(after.spread).toBeLessThanOrEqual(0.1 * after.mean);
    expect(moves.every((m) => m.to === 7)).toBe(true);
  });

  test('never two chunks of one file on one node', () => {
    const { nodes, chunks } = cluster(40, 1000);
    const moves = planRebalance(nodes, chunks);
    const perFile = new Map<string, number>();
    for (const m of moves) perFile.set(m.fileId, (perFile.get(m.fileId) ?? 0) + 1);
    expect(Math.max(...perFile.values())).toBe(1); // the new node can take one chunk of each file
  });

  test('a balanced cluster, or one where no move narrows the gap, plans nothing', () => {
    expect(planRebalance([{ id: 1, bytes: 100 }, { id: 2, bytes: 105 }], [])).toEqual([]);
    // The only chunk is larger than the gap: moving it would just swap the roles.
    const chunks = [{ fileId: 'a', chunkNumber: 0, nodeId: 1, bytes: 300, fileNodes: [1] }];
    expect(planRebalance([{ id: 1, bytes: 300 }, { id: 2, bytes: 100 }], chunks)).toEqual([]);
  });

  test('stops at maxMoves', () => {
    const { nodes, chunks } = cluster(40, 1000);
    expect(planRebalance(nodes, chunks, 0.1, 3)).toHaveLength(3);
  });
});
