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

/**
 * Places a file's chunks (numbers as in stripe-layout: data below `dataWidth`, then parity) on
 * distinct nodes, as many as there are writable nodes. With too few nodes the parity chunks are
 * the ones left without a node (null): a missing data chunk would make every read decode, a
 * missing parity chunk only lowers redundancy.
 */
export function planChunks(
  fileId: string,
  chunkNumbers: number[],
  dataWidth: number,
  nodes: PlacementCandidate[],
): Map<number, number | null> {
  const writable = nodes.filter((n) => n.writable).length;
  const ordered = [...chunkNumbers].sort((a, b) => Number(a >= dataWidth) - Number(b >= dataWidth) || a - b);
  const chosen = placeChunks(fileId, Math.min(writable, ordered.length), nodes) ?? [];
  return new Map(ordered.map((n, i) => [n, chosen[i] ?? null]));
}
