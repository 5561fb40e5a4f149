// HTTP exchanges with the S3 port that a client library does not make: a GET paused after its first
// bytes, a body announced longer than sent or sent in two halves with something done in between,
// bytes that are not valid HTTP, and a plain GET of a presigned URL that decodes nothing.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { RawS3 } from './s3-raw-request.js';

/** A GET of a URL (a presigned one) as bytes, without decoding any Content-Encoding. */
export function plainGet(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A GET of a (presigned) URL whose body is read up to its first bytes, then paused until `readRest`. */
export function pausedGet(url: string): Promise<{ res: IncomingMessage; readRest: () => Promise<{ body: Buffer; error: string | null }> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      const parts: Buffer[] = [];
      let error: string | null = null;
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('error', (err) => ((error = err.message), done()));
        res.on('aborted', () => ((error = 'aborted'), done()));
        res.on('close', () => done());
      });
      res.once('data', (d: Buffer) => {
        parts.push(d);
        res.pause();
        resolve({
          res,
          readRest: async () => {
            res.on('data', (x: Buffer) => parts.push(x));
            res.resume();
            await ended;
            if (!res.complete && error === null) error = 'incomplete';
            return { body: Buffer.concat(parts), error };
          },
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes on a new connection and reads the answer until the server closes it. */
export function rawExchange(endpoint: string, request: string): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const socket = connect(Number(url.port), url.hostname, () => socket.write(request));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      const [head = '', ...body] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text: body.join('\r\n\r\n') });
    });
  });
}

/**
 * Sends a request head announcing more bytes than `body`, then `body`, then closes the connection;
 * resolves with the bytes written once the socket is closed.
 */
export function cutPut(endpoint: string, head: string, body: Buffer): Promise<number> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(head);
      socket.write(body, () => setTimeout(() => socket.destroy(), 200));
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(body.length));
  });
}

/**
 * A signed PUT whose body goes out in two halves, with `between` awaited after the first: the
 * request is then in the middle of its body. Resolves with the answer.
 */
export async function putInTwoHalves(
  raw: RawS3,
  path: string,
  query: Record<string, string>,
  body: Buffer,
  between: () => Promise<void>,
): Promise<{ status: number; text: string }> {
  const url = raw.url;
  const headers = await raw.signedHeaders('PUT', path, query, body.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method: 'PUT', path: `${path}?${RawS3.queryString(query)}`, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.subarray(0, half), () => {
      between().then(
        () => req.end(body.subarray(half)),
        (err: unknown) => (req.destroy(), reject(err)),
      );
    });
  });
}

