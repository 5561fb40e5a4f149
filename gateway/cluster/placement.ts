// Which nodes get a new file's chunks. Pure: no I/O.
import { createHash } from 'node:crypto';

export interface PlacementCandidate {
  id: number;
  usedBytes: number; // bytes the node holds plus bytes promised to uploads in flight
  writable: boolean;
}

function tieBreak(fileId: string, nodeId: number): string {
  return createHash('sha256').update(`${fileId}:${nodeId}`).digest('hex');
}

/**
 * The `count` least-used writable nodes, least used first (chunk 0, the largest, goes to the
 * emptiest node); ties broken by a hash of the file id so equal nodes share the load.
 * Returns null when fewer than `count` nodes can take writes.
 */
export function placeChunks(fileId: string, count: number, nodes: PlacementCandidate[]): number[] | null {
  const candidates = nodes.filter((n) => n.writable);
  if (candidates.length < count) return null;
  return candidates
    .map((n) => ({ id: n.id, used: n.usedBytes, tie: tieBreak(fileId, n.id) }))
    .sort((a, b) => a.used - b.used || (a.tie < b.tie ? -1 : a.tie > b.tie ? 1 : 0))
    .slice(0, count)
    .map((n) => n.id);
}

export interface PlannedChunk {
  chunkNumber: number;
  bytes: number; // expected length, so the largest chunks go to the emptiest nodes
}

/**
 * Places a file's chunks (numbers as in stripe-layout: data below `dataWidth`, then parity) on
 * distinct nodes, as many as there are writable nodes. With too few nodes the parity chunks are
 * the ones left without a node (null): a missing data chunk would make every read decode, a
 * missing parity chunk only lowers redundancy. Among the chunks placed, the largest go to the
 * least used nodes, whatever their role: parity chunks are as large as chunk 0, and sending them
 * to the fullest nodes would widen the gap with every file.
 */
export function planChunks(
  fileId: string,
  chunks: PlannedChunk[],
  dataWidth: number,
  nodes: PlacementCandidate[],
): Map<number, number | null> {
  const writable = nodes.filter((n) => n.writable).length;
  const byRole = [...chunks].sort(
    (a, b) => Number(a.chunkNumber >= dataWidth) - Number(b.chunkNumber >= dataWidth) || a.chunkNumber - b.chunkNumber,
  );
  const placed = byRole.slice(0, Math.min(writable, byRole.length));
  const bySize = [...placed].sort((a, b) => b.bytes - a.bytes || a.chunkNumber - b.chunkNumber);
  const chosen = placeChunks(fileId, bySize.length, nodes) ?? [];
  const plan = new Map<number, number | null>(chunks.map((c) => [c.chunkNumber, null]));
  bySize.forEach((c, i) => plan.set(c.chunkNumber, chosen[i] ?? null));
  return plan;
}
