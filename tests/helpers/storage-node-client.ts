// A storage node process together with a gRPC client of its own, for the node's tests.
import { createStorageClient, type StorageServiceClient } from '../../proto/storage-proto.js';
import { startStorageNode, type StorageNodeProcess } from './processes.js';

export interface NodeWithClient {
  proc: StorageNodeProcess;
  client: StorageServiceClient;
  /** Closes the client, then stops the node and removes its folder. */
  cleanup(): Promise<void>;
}

export async function startNodeWithClient(env: NodeJS.ProcessEnv = {}): Promise<NodeWithClient> {
  const proc = await startStorageNode(env);
  const client = createStorageClient(proc.address, {}, proc.clusterToken);
  return {
    proc,
    client,
    async cleanup() {
      client.close();
      await proc.cleanup();
    },
  };
}
