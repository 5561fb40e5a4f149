// A /files upload from request to visible file: the multipart form is read as it streams, the file
// goes through FileUpload (placement, chunks, cleanup on failure), hashed with SHA-256 (its ETag).
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { badRequest, unavailable } from '../http/api-error.js';
import { FILES_BUCKET_ID, type ChunkRow, type FileRow, type Metadata } from '../metadata/metadata.js';
import { fileSizeFromHead, multipartBoundary, parseMultipartHead } from '../http/multipart-head.js';
import { entityTooLarge, FILE_FIELD, peekBody, receiveSingleFile, type IncomingFile } from '../http/multipart-receiver.js';
import type { ForegroundActivity } from './foreground-activity.js';
import type { FileUpload, FileUploads } from './file-upload.js';

const HEAD_PEEK_BYTES = 64 * 1024;

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
  constructor(
    private readonly files: FileUploads,
    private readonly metadata: Metadata,
    private readonly activity: ForegroundActivity,
  ) {}

  private get maxFileSize(): number {
    return this.files.config.maxFileSize;
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
    if (size.expected > this.maxFileSize) throw entityTooLarge(this.maxFileSize);
    return { bound: Math.max(0, size.max), contentType };
  }

  upload(req: IncomingMessage): Promise<UploadedFile> {
    return this.activity.during(() => this.store(req));
  }

  private async store(req: IncomingMessage): Promise<UploadedFile> {
    const boundary = multipartBoundary(req.headers['content-type']);
    if (!boundary) throw badRequest('expected a multipart/form-data body with a boundary, the file in the field "file"');
    const { bound, contentType: partContentType } = await this.inspectHead(req, boundary);
    const upload: FileUpload = this.files.begin(bound);
    try {
      const { written, sha256 } = await receiveSingleFile(req, this.maxFileSize, async (incoming: IncomingFile) => {
        await upload.open({
          filename: checkFilename(incoming.filename),
          contentType: checkContentType(partContentType ?? incoming.contentType),
          place: { bucketId: FILES_BUCKET_ID },
        });
        const hash = createHash('sha256');
        for await (const data of incoming.stream) {
          hash.update(data as Buffer);
          await upload.write(data as Buffer);
        }
        return { written: await upload.complete(), sha256: hash.digest('hex') };
      });
      // Only now is the whole body read and found right (no second file, the client still there,
      // every byte its Content-Length announced): a request that fails leaves no visible file.
      const file = await upload.commit(written, async (w) => {
        const done = await this.metadata.completeUpload(
          w.fileId,
          w.size,
          sha256,
          w.chunks.map((c) => ({ chunkNumber: c.chunkNumber, size: c.size, checksum: null, state: c.state })),
        );
        if (!done) throw unavailable('the upload was abandoned by the janitor before it completed; retry');
        return done;
      });
      return { file, chunks: await this.metadata.getChunks(file.id) };
    } catch (err) {
      await upload.cancel();
      throw err;
    }
  }
}
