// Keeps the cluster clean: removes uploads abandoned by a crashed gateway and multipart uploads left
// open past MULTIPART_TTL_MS, retries queued chunk deletions, and deletes chunks that nodes hold but
// no metadata references (after a grace period).
import type { ChunkDeleter } from './chunk-deleter.js';
import type { Metadata } from '../metadata/metadata.js';
import type { NodeRegistry } from './node-registry.js';
import type { ObjectStore } from '../metadata/object-store.js';
import { janitorFailed, janitorPassed } from '../metrics/repair-metrics.js';
import { log } from '../../proto/log.js';

const BATCH = 500;

export interface JanitorReport {
  staleUploads: number;
  staleMultipartUploads: number;
  deletions: number;
  orphans: number;
}

export class Janitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<JanitorReport> | null = null;
  /** The last pass that ended, for the status page. */
  last: { at: Date; report?: JanitorReport; error?: string } | null = null;

  constructor(
    private readonly metadata: Metadata,
    private readonly registry: NodeRegistry,
    private readonly deleter: ChunkDeleter,
    private readonly options: { uploadTtlMs: number; orphanGraceMs: number; multipartTtlMs: number },
    private readonly store: ObjectStore,
  ) {}

  start(intervalMs: number): void {
    const tick = (): void => {
      this.runOnce().catch((err: unknown) => log.error(`janitor: ${(err as Error).message}`));
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass; concurrent callers share the pass in progress. */
  runOnce(): Promise<JanitorReport> {
    this.running ??= this.pass()
      .then(
        (report) => {
          this.last = { at: new Date(), report };
          janitorPassed(report);
          return report;
        },
        (err: unknown) => {
          this.last = { at: new Date(), error: (err as Error).message };
          janitorFailed();
          throw err;
        },
      )
      .finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<JanitorReport> {
    const cutoff = new Date(Date.now() - this.options.uploadTtlMs);
    let staleUploads = 0;
    for (const fileId of await this.metadata.uploadsIdleSince(cutoff)) {
      if (await this.deleter.removeFile(fileId, 'uploading')) staleUploads += 1;
    }
    // Multipart uploads never completed or aborted: their parts are deleted like any file's chunks.
    let staleMultipartUploads = 0;
    for (const uploadId of await this.store.uploadsStartedBefore(new Date(Date.now() - this.options.multipartTtlMs))) {
      const queued = await this.store.abortMultipartUpload(uploadId);
      if (queued) {
        staleMultipartUploads += 1;
        await this.deleter.deleteNow(queued);
      }
    }
    const deletions = await this.deleter.deleteDue();
    let orphans = 0;
    for (const node of this.registry.list().filter((n) => n.status !== 'down' && n.status !== 'dead')) {
      orphans += await this.collectOrphans(node.id).catch(() => 0);
    }
    return { staleUploads, staleMultipartUploads, deletions, orphans };
  }

  private async collectOrphans(nodeId: number): Promise<number> {
    const client = this.registry.client(nodeId);
    const olderThan = Date.now() - this.options.orphanGraceMs;
    let deleted = 0;
    let batch: string[] = [];
    const sweep = async (): Promise<void> => {
      const known = await this.metadata.knownChunkIds(batch);
      for (const id of batch.filter((id) => !known.has(id))) {
        await client.deleteChunk(id);
        deleted += 1;
      }
      batch = [];
    };
    for await (const chunk of client.listChunks()) {
      if (chunk.modifiedAtMs >= olderThan) continue; // may belong to an upload that is just starting
      batch.push(chunk.chunkId);
      if (batch.length >= BATCH) await sweep();
    }
    if (batch.length) await sweep();
    return deleted;
  }
}
