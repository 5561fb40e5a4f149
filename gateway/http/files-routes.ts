// /files: upload, list, metadata, download, delete. Handlers parse, call, reply; each route names
// the scope it needs (read or write).
import { create as contentDisposition } from 'content-disposition';
import { Router, type Request } from 'express';
import type { ChunkDeleter } from '../cluster/chunk-deleter.js';
import { encodeCursor } from './list-cursor.js';
import { FILES_BUCKET_ID, type Metadata } from '../metadata/metadata.js';
import { parseByteRange, parseFileId, parseListQuery } from './request-parsing.js';
import type { DownloadService } from '../files/download-service.js';
import { ClientGone, responseSink } from './response-sink.js';
import type { UploadService } from '../files/upload-service.js';
import type { UploadSlots } from './upload-slots.js';
import { ApiError, notFound } from './api-error.js';
import { chunkJson, fileJson } from './file-json.js';
import { requireScope } from './rest-auth.js';
import { log } from '../../proto/log.js';

export function filesRouter(deps: {
  metadata: Metadata;
  uploads: UploadService;
  uploadSlots: UploadSlots;
  downloads: DownloadService;
  deleter: ChunkDeleter;
}): Router {
  const { metadata, uploads, uploadSlots, downloads, deleter } = deps;
  const router = Router();

  async function completedFile(req: Request) {
    const fileId = parseFileId(String(req.params.fileId));
    const file = await metadata.getFile(fileId);
    if (!file || file.status !== 'completed' || file.bucket_id !== FILES_BUCKET_ID) throw notFound(`file ${fileId} does not exist`);
    return file;
  }

  router.post('/files', requireScope('write'), async (req, res) => {
    // Refused before a byte of the body is read: no queue of uploads waiting for a slot.
    const release = uploadSlots.tryTake();
    if (!release) {
      throw new ApiError(503, 'TooManyUploads', `this gateway is at its limit of ${uploadSlots.max} uploads in flight; retry shortly`, { 'Retry-After': '1' });
    }
    try {
      const { file, chunks } = await uploads.upload(req);
      res.status(201).json({ ...fileJson(file), chunks: chunks.map((c) => chunkJson(c, file.stripe_width)) });
    } finally {
      release();
    }
  });

  router.get('/files', requireScope('read'), async (req, res) => {
    const query = parseListQuery(req.query as Record<string, unknown>);
    if (query.mode === 'page') {
      const { files, total } = await metadata.listFilesPage(query.page, query.perPage);
      res.json({ files: files.map(fileJson), total, page: query.page, per_page: query.perPage });
      return;
    }
    // One extra row tells whether another page follows.
    const rows = await metadata.listFilesAfter(query.after, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    res.json({
      files: page.map(fileJson),
      limit: query.limit,
      next_cursor: rows.length > query.limit && last ? encodeCursor({ createdAtMicros: last.created_us, fileId: last.id }) : null,
    });
  });

  router.get('/files/:fileId/metadata', requireScope('read'), async (req, res) => {
    const file = await completedFile(req);
    res.json({ ...fileJson(file), chunks: (await metadata.getChunks(file.id)).map((c) => chunkJson(c, file.stripe_width)) });
  });

  router.get('/files/:fileId', requireScope('read'), async (req, res) => {
    const file = await completedFile(req);
    const chunks = await metadata.getChunks(file.id);
    const range = parseByteRange(req.headers.range, file.size);
    if (range.kind === 'unsatisfiable') {
      throw new ApiError(416, 'InvalidRange', `the range ${req.headers.range} is outside the file's ${file.size} bytes`, {
        'Content-Range': `bytes */${file.size}`,
      });
    }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, file.size];
    // Headers go out with the first byte, so a file that cannot be read gives a clean 503 instead.
    const writeHead = (): void => {
      res.status(range.kind === 'partial' ? 206 : 200).set({
        'Content-Length': String(end - start),
        'Content-Disposition': contentDisposition(file.filename),
        ETag: `"${file.checksum}"`,
        'Accept-Ranges': 'bytes',
        'Last-Modified': (file.completed_at ?? file.created_at).toUTCString(),
        ...(range.kind === 'partial' ? { 'Content-Range': `bytes ${start}-${end - 1}/${file.size}` } : {}),
      });
      res.setHeader('Content-Type', file.content_type); // exactly as uploaded (res.set would add a charset)
    };
    if (req.method === 'HEAD' || start === end) {
      writeHead();
      res.end();
      return;
    }
    try {
      await downloads.read(file, chunks, start, end, responseSink(res, writeHead));
      res.end();
    } catch (err) {
      if (!res.headersSent) throw err;
      // After the first byte only a cut connection can tell the client that something went wrong.
      if (!(err instanceof ClientGone)) log.warn(`download of ${file.id} cut: ${(err as Error).message}`, { fileId: file.id });
      res.destroy();
    }
  });

  router.delete('/files/:fileId', requireScope('write'), async (req, res) => {
    const file = await completedFile(req);
    if (!(await deleter.removeFile(file.id, 'completed'))) throw notFound(`file ${file.id} does not exist`);
    res.json({ message: 'file deleted', file_id: file.id });
  });

  return router;
}
