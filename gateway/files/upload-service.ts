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
import { placeChunks } from '../cluster/placement.js';
import { chunkCount, type StripeLayout } from '../data/stripe-layout.js';
import { StripeWriter } from '../data/stripe-writer.js';

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
  ) {
    this.layout = { unit: config.stripeUnit, width: config.stripeWidth };
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

  async upload(req: IncomingMessage): Promise<UploadedFile> {
    const boundary = multipartBoundary(req.headers['content-type']);
    if (!boundary) throw badRequest('expected a multipart/form-data body with a boundary, the file in the field "file"');
    const { bound, contentType: partContentType } = await this.inspectHead(req, boundary);
    const planned = bound === null ? this.layout.width : Math.max(1, chunkCount(bound, this.layout));
    const fileId = randomUUID();
    const nodeIds = placeChunks(fileId, planned, this.registry.candidates());
    if (!nodeIds) {
      throw unavailable(`${planned} healthy storage nodes are needed, ${this.registry.healthyCount()} are healthy`);
    }
    const reservedEach = Math.ceil((bound ?? 0) / planned);
    this.registry.reserve(nodeIds, reservedEach);
    let created = false;
    let writer: StripeWriter | undefined;
    const heartbeat = setInterval(() => void this.metadata.touchUpload(fileId).catch(() => undefined), HEARTBEAT_MS);
    try {
      const written = await receiveSingleFile(req, this.config.maxFileSize, async (file: IncomingFile) => {
        const filename = checkFilename(file.filename);
        const contentType = checkContentType(partContentType ?? file.contentType);
        await this.metadata.createUpload(
          { id: fileId, filename, contentType, stripeUnit: this.layout.unit, stripeWidth: this.layout.width },
          nodeIds.map((nodeId, chunkNumber) => ({ chunkNumber, chunkId: chunkIdFor(fileId, chunkNumber), nodeId })),
        );
        created = true;
        writer = new StripeWriter(this.layout, (n) => {
          if (n >= nodeIds.length) throw entityTooLarge(this.config.maxFileSize); // more data than Content-Length announced
          return new ChunkSender(this.registry.client(nodeIds[n]!), chunkIdFor(fileId, n));
        });
        for await (const data of file.stream) await writer.write(data as Buffer);
        return writer.finish();
      });
      const file = await this.metadata.completeUpload(fileId, written.size, written.checksum, written.chunks);
      if (!file) throw unavailable('the upload was abandoned by the janitor before it completed; retry');
      written.chunks.forEach((c) => this.registry.stored(nodeIds[c.chunkNumber]!, c.size));
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
      this.registry.release(nodeIds, reservedEach);
    }
  }
}
