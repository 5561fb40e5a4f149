// `files put` and `files get`: a file streamed to or from the gateway's /files API with progress,
// never held in memory. A download goes to a temporary file renamed into place once its SHA-256
// matches the file's ETag, so a cut transfer leaves nothing that looks whole.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CliError, EXIT, type Connection } from './admin-client.js';
import { refusal, send, unreachable } from './gateway-request.js';
import { TransferProgress } from './transfer-progress.js';

/** Uploads a local file; the gateway's JSON answer (file_id, size, checksum...). */
export async function putFile(conn: Connection, path: string, name = basename(path), quiet = false): Promise<any> {
  const size = (await stat(path)).size;
  const boundary = `----objstore${randomBytes(12).toString('hex')}`;
  const safeName = name.replace(/[\\"\r\n]/g, '_');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const progress = quiet ? undefined : new TransferProgress(`put ${name}`, size);
  const req = send(conn, 'POST', '/files', {
    'Content-Type': `multipart/form-data; boundary=${boundary}`,
    'Content-Length': String(head.length + size + tail.length),
  });
  const answer = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  const body = (async function* () {
    yield head;
    for await (const part of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      progress?.add((part as Buffer).length);
      yield part as Buffer;
    }
    yield tail;
  })();
  // The gateway may answer (an error) before the whole body is sent: the answer decides.
  const sent = pipeline(body, req).catch(() => undefined);
  let res: IncomingMessage;
  try {
    res = await answer;
  } catch (err) {
    throw unreachable(conn, err as Error);
  }
  if (res.statusCode !== 201) {
    req.destroy();
    throw await refusal('POST', '/files', res);
  }
  await sent;
  progress?.finish();
  let text = '';
  for await (const part of res) text += String(part);
  return JSON.parse(text);
}

/** Downloads a file to `outPath`; its size and SHA-256 (checked against the ETag). */
export async function getFile(conn: Connection, id: string, outPath: string, quiet = false): Promise<{ size: number; sha256: string }> {
  const path = `/files/${encodeURIComponent(id)}`;
  const req = send(conn, 'GET', path, {});
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', (err) => reject(unreachable(conn, err)));
    req.end();
  });
  if (res.statusCode !== 200) throw await refusal('GET', path, res);
  const total = Number(res.headers['content-length'] ?? 0);
  const progress = quiet ? undefined : new TransferProgress(`get ${id}`, total);
  const hash = createHash('sha256');
  let size = 0;
  const tmp = `${outPath}.${process.pid}.part`;
  try {
    await pipeline(
      res,
      async function* (source) {
        for await (const part of source) {
          hash.update(part as Buffer);
          size += (part as Buffer).length;
          progress?.add((part as Buffer).length);
          yield part as Buffer;
        }
      },
      createWriteStream(tmp),
    );
    const sha256 = hash.digest('hex');
    const etag = String(res.headers.etag ?? '').replace(/"/g, '');
    if (size !== total) throw new CliError(`GET ${path}: the transfer stopped after ${size} of ${total} bytes`, EXIT.refused);
    if (etag && etag !== sha256) throw new CliError(`GET ${path}: the SHA-256 of the bytes received (${sha256}) is not the file's (${etag})`, EXIT.refused);
    await rename(tmp, outPath);
    progress?.finish();
    return { size, sha256 };
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    if (err instanceof CliError) throw err;
    throw new CliError(`GET ${path}: ${(err as Error).message}`, EXIT.refused);
  }
}
