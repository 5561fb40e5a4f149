// An upload from request to visible file: placement, the `uploading` row, striping to the nodes,
// and the commit that makes it visible; on any failure, everything it wrote is removed again.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ChunkSender } from '../data/chunk-sender.js';
import type { ChunkDeleter } from '../cluster/chunk-deleter.js';
import type { GatewayConfig } from '../config.js';
import { badRequest, unavailable } from '../http/api-error.js';
import type { ChunkRow, FileRow, Metadata } from '../metadata/metadata.js';
import { fileSizeFromHead, multipartBoundary, parseMultipartHead } from '../http/multipart-head.js';
import { entityTooLarge, FILE_FIELD, peekBody, receiveSingleFile, type IncomingFile } from '../http/multipart-receiver.js';
import type { NodeRegistry } from '../cluster/node-registry.js';
import { planChunks } from '../cluster/placement.js';
import type { HealRequests } from '../cluster/healer.js';
import type { ForegroundActivity } from './foreground-activity.js';
import { chunkLength, chunkNumbers, parityOf, stripeBytes, type StripeLayout } from '../data/stripe-layout.js';
import type { ErasureCoder } from '../data/erasure-code.js';
import { StripeWriter } from '../data/stripe-writer.js';
import { StorageUnavailable } from '../data/storage-unavailable.js';

const HEAD_PEEK_BYTES = 64 * 1024;
const HEARTBEAT_MS = 30_000;
/** A cancelled chunk stream may still be committed by its node just after the first deletion. */
const RECHECK_DELETIONS_MS = 3_000;

export const chunkIdFor = (fileId: string, chunkNumber: number): string => `${fileId}.${chunkNumber}`;

export interface UploadedFile {
  file: FileRow;
  chunks: ChunkRow[];
}

function checkFilename(name: string): string {
  if (!name) throw badRequest('the file part has no filename');
  if (name.length > 1024) throw badRequest('the filename is longer than 1024 characters');
  if (/[\u0000-\u001f\u007f]/.test(name)) throw badRequest('the filename contains control characters');
  return name;
}

function checkContentType(value: string | undefined): string {
  if (!value) return 'application/octet-stream';
  if (value.length > 255) throw badRequest('the file part\'s Content-Type is longer than 255 characters');
  if (/[\u0000-\u001f\u007f]/.test(value)) throw badRequest('the file part\'s Content-Type contains control characters');
  return value;
}

export class UploadService {
  private readonly layout: StripeLayout;

  constructor(
    private readonly config: GatewayConfig,
    private readonly metadata: Metadata,
    private readonly registry: NodeRegistry,
    private readonly deleter: ChunkDeleter,
    private readonly coder: (k: number, m: number) => ErasureCoder,
    private readonly heals: HealRequests,
    private readonly activity: ForegroundActivity,
  ) {
    this.layout = { unit: config.stripeUnit, width: config.dataUnits, parity: config.parityUnits };
  }

  /** Chunks a file may lose and still be stored: k + m minus the write quorum. */
  private get tolerated(): number {
    return this.config.dataUnits + this.config.parityUnits - this.config.writeQuorum;
  }

  /**
   * Reads the first part's headers before the body is parsed: the part's exact Content-Type (busboy
   * drops its parameters) and the most bytes the file can have, so an oversized upload is refused
   * before anything is stored. Null bound: no Content-Length (chunked), counted while streaming.
   */
  private async inspectHead(req: IncomingMessage, boundary: string): Promise<{ bound: number | null; contentType: string | null }> {
    const head = await peekBody(req, HEAD_PEEK_BYTES, (h) => parseMultipartHead(h, boundary) !== null);
    const parsed = parseMultipartHead(head, boundary);
    const isOurFile = parsed?.isFile === true && parsed.fieldName === FILE_FIELD;
    const contentType = isOurFile ? parsed.contentType : null;
    const header = req.headers['content-length'];
    if (header === undefined) return { bound: null, contentType };
    const contentLength = Number(header);
    if (!parsed?.isFile) return { bound: contentLength, contentType };
    const size = fileSizeFromHead(contentLength, boundary, parsed);
    if (size.expected > this.config.maxFileSize) throw entityTooLarge(this.config.maxFileSize);
    return { bound: Math.max(0, size.max), contentType };
  }

  upload(req: IncomingMessage): Promise<UploadedFile> {
    return this.activity.during(() => this.store(req));
  }

  private async store(req: IncomingMessage): Promise<UploadedFile> {
    const boundary = multipartBoundary(req.headers['content-type']);
    if (!boundary) throw badRequest('expected a multipart/form-data body with a boundary, the file in the field "file"');
    const { bound, contentType: partContentType } = await this.inspectHead(req, boundary);
    // Without a length, plan for a file of at least one full stripe (all k + m chunks).
    const plannedSize = bound === null ? stripeBytes(this.layout) : Math.max(1, bound);
    const planned = chunkNumbers(plannedSize, this.layout);
    const fileId = randomUUID();
    const plan = planChunks(
      fileId,
      planned.map((chunkNumber) => ({ chunkNumber, bytes: chunkLength(plannedSize, chunkNumber, this.layout) })),
      this.layout.width,
      this.registry.candidates(),
    );
    const unplaced = planned.filter((n) => plan.get(n) === null).length;
    if (unplaced > this.tolerated) {
      const needed = planned.length - this.tolerated;
      throw new StorageUnavailable(
        `${needed} healthy storage nodes are needed to store this file (write quorum), ${this.registry.healthyCount()} are healthy`,
      );
    }
    // Promised bytes per node until the upload ends, so concurrent uploads spread out.
    const reserved = new Map<number, number>();
    for (const [chunkNumber, nodeId] of plan) {
      if (nodeId !== null) reserved.set(nodeId, bound === null ? 0 : chunkLength(bound, chunkNumber, this.layout));
    }
    this.registry.reserve(reserved);
    let created = false;
    let writer: StripeWriter | undefined;
    const heartbeat = setInterval(() => void this.metadata.touchUpload(fileId).catch(() => undefined), HEARTBEAT_MS);
    try {
      const written = await receiveSingleFile(req, this.config.maxFileSize, async (file: IncomingFile) => {
        const filename = checkFilename(file.filename);
        const contentType = checkContentType(partContentType ?? file.contentType);
        await this.metadata.createUpload(
          {
            id: fileId,
            filename,
            contentType,
            stripeUnit: this.layout.unit,
            dataUnits: this.layout.width,
            parityUnits: parityOf(this.layout),
          },
          planned.map((chunkNumber) => ({ chunkNumber, chunkId: chunkIdFor(fileId, chunkNumber), nodeId: plan.get(chunkNumber)! })),
        );
        created = true;
        const coder = this.coder(this.layout.width, parityOf(this.layout));
        writer = new StripeWriter(
          this.layout,
          coder,
          (n) => {
            if (!plan.has(n)) throw entityTooLarge(this.config.maxFileSize); // more data than Content-Length announced
            const nodeId = plan.get(n)!;
            if (nodeId === null) return null;
            return new ChunkSender(this.registry.client(nodeId), chunkIdFor(fileId, n), this.config.nodeStallMs);
          },
          this.tolerated,
        );
        for await (const data of file.stream) await writer.write(data as Buffer);
        return writer.finish();
      });
      for (const c of written.chunks) {
        const nodeId = plan.get(c.chunkNumber);
        if (c.state === 'missing' && nodeId) this.registry.callFailed(nodeId, c.error);
      }
      const file = await this.metadata.completeUpload(
        fileId,
        written.size,
        written.checksum,
        written.chunks.map((c) => ({ chunkNumber: c.chunkNumber, size: c.size, checksum: null, state: c.state })),
      );
      if (!file) throw unavailable('the upload was abandoned by the janitor before it completed; retry');
      // Chunks that failed or had no node to go to are rebuilt by the healer.
      const missing = written.chunks.filter((c) => c.state === 'missing').map((c) => c.chunkNumber);
      if (missing.length > 0) this.heals.request(fileId, missing, 'degraded write');
      for (const c of written.chunks) {
        const nodeId = plan.get(c.chunkNumber);
        if (c.state === 'ok' && nodeId) this.registry.stored(nodeId, c.size);
      }
      return { file, chunks: await this.metadata.getChunks(fileId) };
    } catch (err) {
      writer?.abort();
      if (created) {
        // If this fails too (database down), the janitor removes the stale upload after UPLOAD_TTL_MS.
        await this.deleter.removeFile(fileId, 'uploading', RECHECK_DELETIONS_MS).catch(() => undefined);
      }
      throw err;
    } finally {
      clearInterval(heartbeat);
      this.registry.release(reserved);
    }
  }
}
