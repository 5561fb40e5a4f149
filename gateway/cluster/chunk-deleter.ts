// Deletes chunk data on the nodes. Every deletion is queued in chunk_deletions first (in the same
// transaction that drops the metadata) and leaves the queue only once the node confirms it.
import type { ChunkLocation, Metadata } from '../metadata/metadata.js';
import type { NodeRegistry } from './node-registry.js';

export class ChunkDeleter {
  constructor(
    private readonly metadata: Metadata,
    private readonly registry: NodeRegistry,
  ) {}

  /**
   * Drops a file's metadata and deletes its chunks now where the nodes answer. False: no such file.
   * `recheckAfterMs`: for an upload just cancelled, a node may still be finishing a chunk when the
   * first deletion finds nothing, so the deletions are sent once more after that delay (a deletion
   * that then fails is queued durably; a gateway that dies before leaves it to the orphan sweep).
   */
  async removeFile(fileId: string, onlyIf?: 'uploading' | 'completed', recheckAfterMs?: number): Promise<boolean> {
    const queued = await this.metadata.removeFile(fileId, onlyIf);
    if (!queued) return false;
    await this.deleteQueued(queued);
    if (recheckAfterMs !== undefined) setTimeout(() => void this.recheck(queued), recheckAfterMs).unref();
    return true;
  }

  private async recheck(items: (ChunkLocation & { address: string })[]): Promise<void> {
    await Promise.all(
      items.map((item) =>
        this.registry
          .clientFor(item.nodeId, item.address)
          .deleteChunk(item.chunkId)
          .catch(() => this.metadata.queueDeletions([item], 0).catch(() => undefined)),
      ),
    );
  }

  /** Retries whatever is due in the queue; returns how many deletions succeeded. */
  async deleteDue(): Promise<number> {
    return this.deleteQueued(await this.metadata.dueDeletions());
  }

  /** Carries out deletions already queued (in the transaction that dropped their metadata). */
  deleteNow(items: (ChunkLocation & { address: string })[]): Promise<number> {
    return this.deleteQueued(items);
  }

  private async deleteQueued(items: (ChunkLocation & { address: string })[]): Promise<number> {
    const results = await Promise.all(
      items.map(async (item) => {
        try {
          await this.registry.clientFor(item.nodeId, item.address).deleteChunk(item.chunkId);
          await this.metadata.deletionDone(item);
          return true;
        } catch (err) {
          await this.metadata.deletionFailed(item, err instanceof Error ? err.message : String(err)).catch(() => undefined);
          return false;
        }
      }),
    );
    return results.filter(Boolean).length;
  }
}
