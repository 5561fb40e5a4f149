// One file written into the cluster, whatever API it came from (/files, S3 PUT, a multipart part, a
// copy): placement before the first byte, the `uploading` row, striping to the nodes, and a commit
// that the caller supplies (each API makes a file visible its own way). On any failure before the
// commit, everything written is removed again.
import { randomUUID } from 'node:crypto';
import { ChunkSender } from '../data/chunk-sender.js';
import type { ChunkDeleter } from '../cluster/chunk-deleter.js';
import type { GatewayConfig } from '../config.js';
import { entityTooLarge } from '../http/multipart-receiver.js';
import type { FilePlace, Metadata } from '../metadata/metadata.js';
import type { NodeRegistry } from '../cluster/node-registry.js';
import { planChunks } from '../cluster/placement.js';
import type { HealRequests } from '../cluster/healer.js';
import { chunkLength, chunkNumbers, parityOf, stripeBytes, type StripeLayout } from '../data/stripe-layout.js';
import type { ErasureCoder } from '../data/erasure-code.js';
import { StripeWriter, type WrittenFile } from '../data/stripe-writer.js';
import { StorageUnavailable } from '../data/storage-unavailable.js';
import { bytesUploaded } from '../metrics/http-metrics.js';

const HEARTBEAT_MS = 30_000;
/** A cancelled chunk stream may still be committed by its node just after the first deletion. */
const RECHECK_DELETIONS_MS = 3_000;

export const chunkIdFor = (fileId: string, chunkNumber: number): string => `${fileId}.${chunkNumber}`;

export interface FileSpec {
  filename: string;
  contentType: string;
  place: FilePlace;
}

export interface WrittenUpload extends WrittenFile {
  fileId: string;
}

export class FileUploads {
  readonly layout: StripeLayout;

  constructor(
    readonly config: GatewayConfig,
    private readonly metadata: Metadata,
    private readonly registry: NodeRegistry,
    private readonly deleter: ChunkDeleter,
    private readonly coder: (k: number, m: number) => ErasureCoder,
    private readonly heals: HealRequests,
  ) {
    this.layout = { unit: config.stripeUnit, width: config.dataUnits, parity: config.parityUnits };
  }

  /** Chunks a file may lose and still be stored: k + m minus the write quorum. */
  get tolerated(): number {
    return this.config.dataUnits + this.config.parityUnits - this.config.writeQuorum;
  }

  /**
   * Places the chunks of a file of at most `bound` bytes (null: unknown, plan a full stripe) and
   * reserves their room. Fails with StorageUnavailable when too few nodes can take it.
   */
  begin(bound: number | null): FileUpload {
    return new FileUpload(this, this.metadata, this.registry, this.deleter, this.coder, this.heals, bound);
  }
}

export class FileUpload {
  readonly fileId = randomUUID();
  private readonly plan: Map<number, number | null>;
  private readonly reserved = new Map<number, number>();
  private created = false;
  private writer: StripeWriter | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly uploads: FileUploads,
    private readonly metadata: Metadata,
    private readonly registry: NodeRegistry,
    private readonly deleter: ChunkDeleter,
    private readonly coder: (k: number, m: number) => ErasureCoder,
    private readonly heals: HealRequests,
    private readonly bound: number | null,
  ) {
    const layout = uploads.layout;
    // Without a length, plan for a file of at least one full stripe (all k + m chunks).
    const plannedSize = bound === null ? stripeBytes(layout) : Math.max(1, bound);
    const planned = chunkNumbers(plannedSize, layout);
    this.plan = planChunks(
      this.fileId,
      planned.map((chunkNumber) => ({ chunkNumber, bytes: chunkLength(plannedSize, chunkNumber, layout) })),
      layout.width,
      registry.candidates(),
    );
    const unplaced = planned.filter((n) => this.plan.get(n) === null).length;
    if (unplaced > uploads.tolerated) {
      throw new StorageUnavailable(
        `${planned.length - uploads.tolerated} healthy storage nodes are needed to store this file (write quorum), ${registry.healthyCount()} are healthy`,
      );
    }
    // Promised bytes per node until the upload ends, so concurrent uploads spread out.
    for (const [chunkNumber, nodeId] of this.plan) {
      if (nodeId !== null) this.reserved.set(nodeId, bound === null ? 0 : chunkLength(bound, chunkNumber, layout));
    }
    registry.reserve(this.reserved);
  }

  /** Creates the `uploading` row; bytes may be written after it. */
  async open(spec: FileSpec): Promise<void> {
    const layout = this.uploads.layout;
    await this.metadata.createUpload(
      {
        id: this.fileId,
        filename: spec.filename,
        contentType: spec.contentType,
        stripeUnit: layout.unit,
        dataUnits: layout.width,
        parityUnits: parityOf(layout),
        place: spec.place,
      },
      [...this.plan].map(([chunkNumber, nodeId]) => ({ chunkNumber, chunkId: chunkIdFor(this.fileId, chunkNumber), nodeId })),
    );
    this.created = true;
    this.heartbeat = setInterval(() => void this.metadata.touchUpload(this.fileId).catch(() => undefined), HEARTBEAT_MS);
    const stall = this.uploads.config.nodeStallMs;
    this.writer = new StripeWriter(
      layout,
      this.coder(layout.width, parityOf(layout)),
      (n) => {
        if (!this.plan.has(n)) throw entityTooLarge(this.uploads.config.maxFileSize); // more than Content-Length announced
        const nodeId = this.plan.get(n)!;
        if (nodeId === null) return null;
        return new ChunkSender(this.registry.client(nodeId), chunkIdFor(this.fileId, n), stall);
      },
      this.uploads.tolerated,
    );
  }

  get size(): number {
    return this.writer?.size ?? 0;
  }

  write(data: Buffer): Promise<void> {
    if (!this.writer) throw new Error('FileUpload.write before open');
    bytesUploaded(data.length);
    return this.writer.write(data);
  }

  /**
   * Ends the chunk streams and, once the nodes hold the chunks durably, runs `commit` (the SQL that
   * makes the file visible). Null from `commit`: the row was gone (the janitor judged it abandoned).
   * Afterwards, chunks that could not be written are queued for the healer.
   */
  async finish<T>(commit: (written: WrittenUpload) => Promise<T>): Promise<T> {
    return this.commit(await this.complete(), commit);
  }

  /**
   * Ends the chunk streams: once it resolves the nodes hold every chunk durably, and nothing is
   * visible yet (cancel() still removes it all). For a caller that must look at the rest of its
   * request before the file may become visible.
   */
  async complete(): Promise<WrittenUpload> {
    if (!this.writer) throw new Error('FileUpload.complete before open');
    const written = await this.writer.finish();
    for (const c of written.chunks) {
      const nodeId = this.plan.get(c.chunkNumber);
      if (c.state === 'missing' && nodeId) this.registry.callFailed(nodeId, c.error);
    }
    return { ...written, fileId: this.fileId };
  }

  /** Makes a completed upload visible through `commit` (see finish). */
  async commit<T>(written: WrittenUpload, commit: (written: WrittenUpload) => Promise<T>): Promise<T> {
    const result = await commit(written);
    this.created = false; // committed: from here on the file is the caller's
    const missing = written.chunks.filter((c) => c.state === 'missing').map((c) => c.chunkNumber);
    if (missing.length > 0) this.heals.request(this.fileId, missing, 'degraded write');
    for (const c of written.chunks) {
      const nodeId = this.plan.get(c.chunkNumber);
      if (c.state === 'ok' && nodeId) this.registry.stored(nodeId, c.size);
    }
    this.end();
    return result;
  }

  /** Removes whatever the upload wrote (call on any failure; harmless after a commit). */
  async cancel(): Promise<void> {
    this.writer?.abort();
    if (this.created) {
      this.created = false;
      // If this fails too (database down), the janitor removes the stale upload after UPLOAD_TTL_MS.
      await this.deleter.removeFile(this.fileId, 'uploading', RECHECK_DELETIONS_MS).catch(() => undefined);
    }
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    this.registry.release(this.reserved);
  }
}
