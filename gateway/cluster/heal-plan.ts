// What the healer does with each chunk of a file, and where rebuilt chunks go. Pure: no I/O.
import type { PlacementCandidate } from './placement.js';

/**
 * rebuild: the chunk is gone or untrusted; verify: its node answers, ask it whether the chunk is
 * intact; wait: its node is down but not yet dead (it may come back with the chunk).
 */
export type ChunkVerdict = 'rebuild' | 'verify' | 'wait';

export interface ChunkView {
  chunkNumber: number;
  nodeId: number | null;
  state: 'ok' | 'missing' | 'healing';
}

export interface NodeView {
  available: boolean; // answers calls (circuit breaker closed)
  dead: boolean; // down for longer than NODE_DEAD_AFTER_MS, or removed from the cluster
}

export function triage(chunk: ChunkView, node: NodeView | undefined): ChunkVerdict {
  if (chunk.state !== 'ok' || chunk.nodeId === null || !node || node.dead) return 'rebuild';
  return node.available ? 'verify' : 'wait';
}

export interface RebuildTarget {
  chunkNumber: number;
  bytes: number;
  /** Nodes this chunk must not go to (a deletion of an old copy of it may still be pending there). */
  avoid: Set<number>;
}

/**
 * New nodes for rebuilt chunks, largest chunk to the least used node, never a node that holds
 * another chunk of the file: two chunks on one node would add no protection against losing that
 * node, so a chunk with no such node left waits (null) until a node joins or comes back.
 */
export function chooseRebuildTargets(
  kept: ChunkView[],
  targets: RebuildTarget[],
  candidates: PlacementCandidate[],
): Map<number, number | null> {
  const taken = new Set(kept.map((c) => c.nodeId).filter((id): id is number => id !== null));
  const used = new Map(candidates.filter((c) => c.writable).map((c) => [c.id, c.usedBytes]));
  const plan = new Map<number, number | null>();
  for (const t of [...targets].sort((a, b) => b.bytes - a.bytes || a.chunkNumber - b.chunkNumber)) {
    const choice = [...used.keys()]
      .filter((id) => !taken.has(id) && !t.avoid.has(id))
      .sort((a, b) => used.get(a)! - used.get(b)! || a - b)[0];
    plan.set(t.chunkNumber, choice ?? null);
    if (choice !== undefined) taken.add(choice);
  }
  return plan;
}
