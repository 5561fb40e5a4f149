// Asks a node whether it holds a chunk intact, without the chunk's bytes crossing the network.
import { status, type ServiceError } from '@grpc/grpc-js';
import type { NodeClient } from './node-client.js';

export type ChunkCondition = { intact: true } | { intact: false; problem: string };

/**
 * `intact` when the node holds the chunk at the expected size; a problem otherwise (absent, wrong
 * size, corrupt). Rejects when the node could not be asked (down, timeout): that says nothing of
 * the chunk.
 */
export function checkChunk(client: NodeClient, chunkId: string, expectedSize: number, timeoutMs: number): Promise<ChunkCondition> {
  return new Promise((resolve, reject) => {
    client.grpc.StatChunk({ chunkId }, { deadline: new Date(Date.now() + timeoutMs) }, (err: ServiceError | null, res) => {
      if (err?.code === status.NOT_FOUND) resolve({ intact: false, problem: `absent from ${client.address}` });
      else if (err?.code === status.DATA_LOSS) resolve({ intact: false, problem: `corrupt on ${client.address}: ${err.details}` });
      else if (err || !res) reject(err ?? new Error('no answer'));
      else if (Number(res.size) !== expectedSize) {
        resolve({ intact: false, problem: `${res.size} bytes on ${client.address}, expected ${expectedSize}` });
      } else resolve({ intact: true });
    });
  });
}
