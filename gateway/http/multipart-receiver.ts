// Receives exactly one file from a multipart/form-data request, streaming, and reports every way the
// request can be wrong: not multipart, no `file` field, a second file, too large, client gone.
import type { IncomingMessage } from 'node:http';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { ApiError, badRequest } from './api-error.js';

export interface IncomingFile {
  stream: Readable;
  filename: string;
  contentType: string;
}

export const FILE_FIELD = 'file';

export function entityTooLarge(maxFileSize: number): ApiError {
  return new ApiError(413, 'EntityTooLarge', `the file is larger than the limit of ${maxFileSize} bytes`);
}

/**
 * Calls `onFile` for the file part and resolves with its result once the whole body has been read,
 * so a problem later in the body (a second file, a client gone before its Content-Length is in)
 * still fails the upload: `onFile` must leave the file invisible, for the caller to make visible
 * once this resolves. On any failure the file stream is destroyed, `onFile` is awaited (so it can
 * clean up), and the promise rejects.
 */
export function receiveSingleFile<T>(
  req: IncomingMessage,
  maxFileSize: number,
  onFile: (file: IncomingFile) => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8', // filenames are UTF-8 in every current client
        // busboy signals 'limit' when a file reaches fileSize; a file of exactly maxFileSize is allowed.
        limits: { fileSize: maxFileSize + 1, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 30, headerPairs: 50 },
      });
    } catch (err) {
      reject(badRequest(`expected a multipart/form-data body: ${(err as Error).message}`));
      return;
    }
    let fileStream: Readable | null = null;
    let work: Promise<T> | null = null;
    let failure: Error | null = null;
    let bodyDone = false;
    let settled = false;

    const settle = (): void => {
      if (settled) return;
      if (failure) {
        settled = true;
        const err = failure;
        void (work ?? Promise.resolve()).catch(() => undefined).then(() => reject(err));
      } else if (bodyDone) {
        settled = true;
        if (!work) reject(badRequest(`the form has no file in the field "${FILE_FIELD}"`));
        else work.then(resolve, reject);
      }
    };
    const fail = (err: Error): void => {
      if (failure) return;
      failure = err;
      req.unpipe(parser);
      fileStream?.destroy(err);
      settle();
    };

    parser.on('file', (name, stream, info) => {
      // busboy still emits the parts of what it had in hand when the form failed: starting one
      // now would store a file that no one cleans up (the failure has been answered already).
      if (failure) {
        stream.resume();
        return;
      }
      if (name !== FILE_FIELD) {
        stream.resume();
        fail(badRequest(`unexpected file in the field "${name}"; send the file in the field "${FILE_FIELD}"`));
        return;
      }
      fileStream = stream;
      // fail() destroys the stream with the error; if onFile stopped reading early, nobody else listens.
      stream.on('error', () => undefined);
      stream.once('limit', () => fail(entityTooLarge(maxFileSize)));
      work = onFile({ stream, filename: info.filename ?? '', contentType: info.mimeType });
      work.catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
    });
    parser.on('filesLimit', () => fail(badRequest('only one file may be uploaded per request')));
    parser.on('partsLimit', () => fail(badRequest('too many parts in the form')));
    parser.on('fieldsLimit', () => fail(badRequest('too many fields in the form')));
    parser.on('error', (err: Error) => fail(badRequest(`malformed multipart body: ${err.message}`)));
    parser.on('close', () => {
      bodyDone = true;
      settle();
    });
    req.on('error', () => fail(new ApiError(400, 'ClientAborted', 'the client closed the connection mid-upload')));
    req.on('close', () => {
      if (!req.complete) fail(new ApiError(400, 'ClientAborted', 'the client closed the connection mid-upload'));
    });
    req.pipe(parser);
  });
}

/**
 * Reads the start of the body (without consuming it) until `enough` says so or `maxBytes` are in.
 * The bytes are pushed back, so the body can then be parsed from its first byte.
 */
export async function peekBody(req: Readable, maxBytes: number, enough: (head: Buffer) => boolean): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  try {
    while (total < maxBytes) {
      const chunk = req.read() as Buffer | null;
      if (chunk === null) {
        if (req.readableEnded || req.destroyed) break;
        await Promise.race([once(req, 'readable'), once(req, 'close')]);
        continue;
      }
      parts.push(chunk);
      total += chunk.length;
      if (enough(Buffer.concat(parts, total))) break;
    }
  } finally {
    if (total > 0) req.unshift(Buffer.concat(parts, total));
  }
  return Buffer.concat(parts, total);
}
