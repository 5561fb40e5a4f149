// Which chunks to move so that nodes hold about the same bytes. Pure: no I/O.

export interface NodeFill {
  id: number;
  bytes: number; // chunk bytes the metadata places on the node
}

export interface MovableChunk {
  fileId: string;
  chunkNumber: number;
  nodeId: number;
  bytes: number;
  fileNodes: number[]; // every node holding a chunk of the same file
}

export interface PlannedMove {
  fileId: string;
  chunkNumber: number;
  from: number;
  to: number;
  bytes: number;
}

export const spreadOf = (nodes: NodeFill[]): { spread: number; mean: number } => {
  if (nodes.length === 0) return { spread: 0, mean: 0 };
  const values = nodes.map((n) => n.bytes);
  return { spread: Math.max(...values) - Math.min(...values), mean: values.reduce((a, b) => a + b, 0) / values.length };
};

/**
 * Moves from the fullest node to the emptiest one that can take a chunk (no other chunk of the same
 * file on it), each chunk smaller than the gap so that every move narrows it, until the fullest and
 * the emptiest differ by at most `tolerance` of the mean or no move helps. `maxMoves` bounds a round.
 */
export function planRebalance(nodes: NodeFill[], chunks: MovableChunk[], tolerance = 0.1, maxMoves = 10_000): PlannedMove[] {
  const used = new Map(nodes.map((n) => [n.id, n.bytes]));
  const onNode = new Map<number, MovableChunk[]>();
  for (const c of chunks) {
    if (!used.has(c.nodeId)) continue;
    if (!onNode.has(c.nodeId)) onNode.set(c.nodeId, []);
    onNode.get(c.nodeId)!.push({ ...c, fileNodes: [...c.fileNodes] });
  }
  const fileNodes = new Map<string, Set<number>>();
  for (const c of chunks) fileNodes.set(c.fileId, new Set([...(fileNodes.get(c.fileId) ?? []), ...c.fileNodes]));
  const moves: PlannedMove[] = [];
  while (moves.length < maxMoves) {
    const order = [...used.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    const mean = order.reduce((a, [, b]) => a + b, 0) / Math.max(1, order.length);
    const [fullest, most] = order[order.length - 1] ?? [0, 0];
    let moved = false;
    for (const [emptiest, least] of order) {
      const gap = most - least;
      if (gap <= tolerance * mean) break;
      const candidates = (onNode.get(fullest) ?? []).filter((c) => c.bytes > 0 && c.bytes < gap && !fileNodes.get(c.fileId)!.has(emptiest));
      if (candidates.length === 0) continue;
      // The chunk closest to half the gap narrows it the most.
      const chunk = candidates.sort((a, b) => Math.abs(a.bytes - gap / 2) - Math.abs(b.bytes - gap / 2))[0]!;
      onNode.set(fullest, onNode.get(fullest)!.filter((c) => c !== chunk));
      fileNodes.get(chunk.fileId)!.delete(fullest);
      fileNodes.get(chunk.fileId)!.add(emptiest);
      used.set(fullest, most - chunk.bytes);
      used.set(emptiest, least + chunk.bytes);
      moves.push({ fileId: chunk.fileId, chunkNumber: chunk.chunkNumber, from: fullest, to: emptiest, bytes: chunk.bytes });
      moved = true;
      break;
    }
    if (!moved) break;
  }
  return moves;
}
