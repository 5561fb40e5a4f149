// S3 objects over the same engine as /files: a PUT, a part or a copy is written through FileUpload
// (striped, erasure coded) and committed through the object store; a GET reads the object's file,
// or its parts in order for a multipart object. No HTTP here: handlers parse and answer.
import { createHash, randomUUID } from 'node:crypto';
import type { ChunkDeleter } from '../cluster/chunk-deleter.js';
import type { DownloadService } from '../files/download-service.js';
import type { FileUpload, FileUploads } from '../files/file-upload.js';
import type { ForegroundActivity } from '../files/foreground-activity.js';
import type { ChunkRow, FileRow, Metadata, QueuedDeletion } from '../metadata/metadata.js';
import type { BucketRow, CommitResult, MultipartUploadRow, ObjectStore, PartRow, WriteConditions } from '../metadata/object-store.js';
import type { Sink } from '../data/stripe-reader.js';
import { S3Error, s3Errors } from './s3-error.js';
import type { ObjectHeaders } from './object-headers.js';
import { multipartEtag, type PartChoice, checkCompletedParts } from './multipart-parts.js';

/** S3's limits: a single PUT or part is at most 5 GiB; parts but the last at least 5 MiB. */
export const MAX_PART_SIZE = 5 * 1024 ** 3;
export const MAX_PARTS = 10_000;

/** Decoded request bytes and the digests S3 needs of them, checked once the body has ended. */
export interface ObjectPayload {
  length: number;
  body: AsyncIterable<Buffer>;
  /** After the body: the MD5 and the flexible checksums; throws BadDigest and the like on a mismatch. */
  digests(): Promise<PayloadDigest>;
}

export interface PayloadDigest {
  md5: string; // hex
  sha256: string | null; // hex, when it was computed (signed payload, SHA256 checksum)
  checksums: Record<string, string>; // by algorithm, base64
}

/** The object was replaced or deleted after it was looked up: its bytes are gone. */
export class ObjectChanged extends S3Error {
  constructor() {
    super(503, 'ServiceUnavailable', 'The object was replaced or deleted while it was read; retry.', { headers: { 'Retry-After': '1' } });
  }
}

function filenameOf(key: string): string {
  return (key.split('/').filter(Boolean).pop() ?? key).slice(0, 1024) || 'object';
}

export class ObjectService {
  constructor(
    private readonly store: ObjectStore,
    private readonly metadata: Metadata,
    private readonly files: FileUploads,
    private readonly downloads: DownloadService,
    private readonly deleter: ChunkDeleter,
    private readonly activity: ForegroundActivity,
    private readonly minPartSize: number,
  ) {}

  private get maxSize(): number {
    return this.files.config.maxFileSize;
  }

  /** Writes `feed`'s bytes as a new file and commits it with `commit`; cleans up on any failure. */
  private async write<T>(
    bound: number,
    spec: { filename: string; contentType: string; place: { bucketId: number; uploadId?: string; partNumber?: number } },
    feed: (upload: FileUpload) => Promise<void>,
    commit: (fileId: string, written: WrittenChunks) => Promise<T>,
  ): Promise<T> {
    return this.activity.during(async () => {
      const upload = this.files.begin(bound);
      try {
        await upload.open(spec);
        await feed(upload);
        if (upload.size !== bound) throw s3Errors.incompleteBody();
        return await upload.finish((written) =>
          commit(written.fileId, {
            size: written.size,
            chunks: written.chunks.map((c) => ({ chunkNumber: c.chunkNumber, size: c.size, checksum: null, state: c.state })),
          }),
        );
      } catch (err) {
        await upload.cancel();
        throw err;
      }
    });
  }

  private deleteLater(queued: QueuedDeletion[]): void {
    if (queued.length > 0) void this.deleter.deleteNow(queued).catch(() => undefined);
  }

  private settle(result: CommitResult): FileRow {
    if (result.kind === 'precondition-failed') throw s3Errors.preconditionFailed(result.condition);
    if (result.kind === 'gone') throw s3Errors.serviceUnavailable('the upload was abandoned before it completed; retry');
    this.deleteLater(result.replaced);
    return result.file;
  }

  async putObject(
    bucket: BucketRow,
    key: string,
    payload: ObjectPayload,
    headers: ObjectHeaders,
    conditions: WriteConditions,
  ): Promise<FileRow> {
    if (payload.length > this.maxSize) throw s3Errors.entityTooLarge(this.maxSize);
    // Create-only: refuse before storing anything when the key is taken (checked again at commit).
    if (conditions.ifNoneMatchAny && (await this.store.object(bucket.id, key))) throw s3Errors.preconditionFailed('If-None-Match');
    return this.write(
      payload.length,
      { filename: filenameOf(key), contentType: headers.contentType, place: { bucketId: bucket.id } },
      async (upload) => {
        for await (const data of payload.body) await upload.write(data);
      },
      async (fileId, written) => {
        const digest = await payload.digests();
        const result = await this.store.commitObject(
          fileId,
          bucket.id,
          key,
          { ...written, md5: digest.md5, etag: digest.md5, sha256: digest.sha256, headers: headers.stored, checksums: digest.checksums },
          conditions,
        );
        return this.settle(result);
      },
    );
  }

  /**
   * Reads bytes [start, end) of an object, through its parts for a multipart object. Throws
   * ObjectChanged when the object was replaced or deleted after it was looked up.
   */
  async read(object: FileRow, start: number, end: number, sink: Sink): Promise<void> {
    if (object.part_count === 0) {
      await this.downloads.read(object, await this.chunksOf(object), start, end, sink);
      return;
    }
    const parts = await this.store.objectPartsWithChunks(object.id);
    if (parts.length !== object.part_count) throw new ObjectChanged();
    for (const { part, chunks } of parts) {
      const from = Math.max(start, part.part_offset!);
      const to = Math.min(end, part.part_offset! + part.size);
      if (from >= to) continue;
      if (part.size > 0 && chunks.length === 0) throw new ObjectChanged();
      await this.downloads.read(part, chunks, from - part.part_offset!, to - part.part_offset!, sink);
    }
  }

  /**
   * A stored file's chunks. A file with bytes always has chunk rows until it is dropped, and the
   * stripe reader takes a data chunk without a row for zeros: no rows means the file is gone.
   */
  private async chunksOf(file: FileRow): Promise<ChunkRow[]> {
    const chunks = await this.metadata.getChunks(file.id);
    if (file.size > 0 && chunks.length === 0) throw new ObjectChanged();
    return chunks;
  }

  /** Server-side copy of [start, end) of `source` into a new file, hashed with MD5 on the way. */
  private async copyInto<T>(
    source: FileRow,
    start: number,
    end: number,
    spec: { filename: string; contentType: string; place: { bucketId: number; uploadId?: string; partNumber?: number } },
    commit: (fileId: string, written: WrittenChunks, md5: string) => Promise<T>,
  ): Promise<T> {
    const md5 = createHash('md5');
    return this.write(
      end - start,
      spec,
      (upload) =>
        this.read(source, start, end, async (bytes) => {
          md5.update(bytes);
          await upload.write(bytes); // copies into the stripe buffer: the reader may reuse `bytes`
        }),
      (fileId, written) => commit(fileId, written, md5.digest('hex')),
    );
  }

  async copyObject(
    source: FileRow,
    bucket: BucketRow,
    key: string,
    headers: ObjectHeaders,
    conditions: WriteConditions,
  ): Promise<FileRow> {
    if (source.size > this.maxSize) throw s3Errors.entityTooLarge(this.maxSize);
    return this.copyInto(
      source,
      0,
      source.size,
      { filename: filenameOf(key), contentType: headers.contentType, place: { bucketId: bucket.id } },
      async (fileId, written, md5) =>
        this.settle(
          await this.store.commitObject(
            fileId,
            bucket.id,
            key,
            { ...written, md5, etag: md5, sha256: null, headers: headers.stored, checksums: {} },
            conditions,
          ),
        ),
    );
  }

  async deleteObject(bucket: BucketRow, key: string): Promise<boolean> {
    const queued = await this.store.deleteObject(bucket.id, key);
    if (queued) this.deleteLater(queued);
    return queued !== null;
  }

  // ---- multipart ----

  async createMultipartUpload(bucket: BucketRow, key: string, headers: ObjectHeaders, checksumAlgorithm?: string): Promise<string> {
    const id = randomUUID();
    await this.store.createMultipartUpload(id, bucket.id, key, { ...headers, ...(checksumAlgorithm ? { checksumAlgorithm } : {}) });
    return id;
  }

  /** The multipart upload `uploadId` of `key`: an upload id names nothing under another key, as in S3. */
  async upload(bucket: BucketRow, key: string, uploadId: string): Promise<MultipartUploadRow> {
    const upload = /^[0-9a-f-]{36}$/i.test(uploadId) ? await this.store.multipartUpload(uploadId) : null;
    if (!upload || upload.bucket_id !== bucket.id || upload.object_key !== key) throw s3Errors.noSuchUpload(uploadId);
    return upload;
  }

  private async commitPart(upload: MultipartUploadRow, partNumber: number, fileId: string, written: WrittenChunks, digest: PayloadDigest): Promise<PartRow> {
    const result = await this.store.commitPart(fileId, upload.id, partNumber, {
      ...written,
      md5: digest.md5,
      etag: digest.md5,
      sha256: digest.sha256,
      checksums: digest.checksums,
    });
    if (result.kind === 'gone') throw s3Errors.noSuchUpload(upload.id);
    this.deleteLater(result.replaced);
    return result.part;
  }

  async uploadPart(upload: MultipartUploadRow, partNumber: number, payload: ObjectPayload): Promise<PartRow> {
    if (payload.length > MAX_PART_SIZE) throw s3Errors.entityTooLarge(MAX_PART_SIZE);
    return this.write(
      payload.length,
      { filename: `part ${partNumber}`, contentType: 'application/octet-stream', place: { bucketId: upload.bucket_id, uploadId: upload.id, partNumber } },
      async (file) => {
        for await (const data of payload.body) await file.write(data);
      },
      async (fileId, written) => this.commitPart(upload, partNumber, fileId, written, await payload.digests()),
    ).catch((err: unknown) => {
      // The upload was aborted between the check and the part's row.
      if ((err as { code?: string }).code === '23503') throw s3Errors.noSuchUpload(upload.id);
      throw err;
    });
  }

  async uploadPartCopy(upload: MultipartUploadRow, partNumber: number, source: FileRow, start: number, end: number): Promise<PartRow> {
    if (end - start > MAX_PART_SIZE) throw s3Errors.entityTooLarge(MAX_PART_SIZE);
    return this.copyInto(
      source,
      start,
      end,
      { filename: `part ${partNumber}`, contentType: 'application/octet-stream', place: { bucketId: upload.bucket_id, uploadId: upload.id, partNumber } },
      (fileId, written, md5) => this.commitPart(upload, partNumber, fileId, written, { md5, sha256: null, checksums: {} }),
    );
  }

  async completeMultipartUpload(upload: MultipartUploadRow, chosen: PartChoice[], conditions: WriteConditions): Promise<FileRow> {
    const result = await this.store.completeMultipartUpload(
      upload,
      randomUUID(),
      chosen.map((p) => p.partNumber),
      (parts) => {
        checkCompletedParts(chosen, parts, this.minPartSize);
        const size = parts.reduce((sum, p) => sum + p.size, 0);
        if (size > this.maxSize) throw s3Errors.entityTooLarge(this.maxSize);
        return { etag: multipartEtag(parts.map((p) => p.md5)), size, checksums: {} };
      },
      conditions,
      { unit: this.files.layout.unit, width: this.files.layout.width, parity: this.files.layout.parity ?? 0 },
    );
    // Completed or aborted by another request meanwhile: a retry could only find it gone too.
    if (result.kind === 'gone') throw s3Errors.noSuchUpload(upload.id);
    return this.settle(result);
  }

  async abortMultipartUpload(upload: MultipartUploadRow): Promise<void> {
    const queued = await this.store.abortMultipartUpload(upload.id);
    if (queued === null) throw s3Errors.noSuchUpload(upload.id);
    this.deleteLater(queued);
  }
}

export interface WrittenChunks {
  size: number;
  chunks: { chunkNumber: number; size: number; checksum: null; state: 'ok' | 'missing' }[];
}
