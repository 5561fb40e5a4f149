// Asks a node whether it holds a chunk intact: the node checks every block checksum in place
// (VerifyChunk), so the chunk's bytes do not cross the network.
import type { NodeClient } from './node-client.js';

export type ChunkCondition = { intact: true } | { intact: false; problem: string };

/**
 * `intact` when the node holds the chunk at the expected size with every block as written; a
 * problem otherwise (absent, wrong size, corrupt). Rejects when the node could not be asked (down,
 * deadline): that says nothing of the chunk.
 */
export async function checkChunk(client: NodeClient, chunkId: string, expectedSize: number): Promise<ChunkCondition> {
  const r = await client.verifyChunk(chunkId);
  if (!r.exists) return { intact: false, problem: `absent from ${client.address}` };
  if (Number(r.size) !== expectedSize) return { intact: false, problem: `${r.size} bytes on ${client.address}, expected ${expectedSize}` };
  if (!r.ok) {
    const blocks = r.badBlocks.length > 0 ? ` (blocks ${r.badBlocks.slice(0, 5).join(', ')}${r.badBlocks.length > 5 ? ', ...' : ''})` : '';
    return { intact: false, problem: `corrupt on ${client.address}${blocks}: ${r.errorMessage || 'checksum mismatch'}` };
  }
  return { intact: true };
}
