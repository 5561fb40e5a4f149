// S3 requests of the benchmarks. Transfers go through the SDK v3 client as an application would use
// it, with checksums only where S3 requires them: a PutObject of a stream then goes out as
// UNSIGNED-PAYLOAD with Content-Length and a plain body (no aws-chunked framing, no CRC trailer;
// seen in a capture of what it sends over http), and GetObject asks for no checksum. Latency is
// measured with bare signed GETs whose answers are read but not parsed, so the client's XML parser
// is not in the figure.
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Readable } from 'node:stream';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { MiB } from './bench-support.js';

export const REGION = 'us-east-1';

export interface S3Target {
  url: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export function benchS3Client(target: S3Target): S3Client {
  return new S3Client({
    endpoint: target.url,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1, // a failed transfer is a failed measurement, not something to hide by retrying
  });
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

export async function deleteObject(client: S3Client, bucket: string, key: string): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

const seconds = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e9;
const unquote = (etag: string | undefined): string => (etag ?? '').replace(/^"(.*)"$/, '$1');

/** PutObject of `size` bytes streamed from `blocks` (never held whole); the ETag answered and the time. */
export async function putObjectStream(
  client: S3Client,
  bucket: string,
  key: string,
  blocks: Iterable<Buffer>,
  size: number,
): Promise<{ etag: string; seconds: number }> {
  const started = process.hrtime.bigint();
  const body = Readable.from(blocks, { objectMode: false, highWaterMark: MiB });
  const out = await client.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size, ContentType: 'application/octet-stream' }),
  );
  return { etag: unquote(out.ETag), seconds: seconds(started) };
}

/** GetObject, the body counted and hashed (SHA-256) as it arrives; the ETag answered and the time. */
export async function getObjectHashed(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<{ etag: string; bytes: number; sha256: string; seconds: number }> {
  const started = process.hrtime.bigint();
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = out.Body as Readable;
  const hash = createHash('sha256');
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    body.on('data', (d: Buffer) => {
      hash.update(d);
      bytes += d.length;
    });
    body.on('end', resolve);
    body.on('error', reject);
  });
  return { etag: unquote(out.ETag), bytes, sha256: hash.digest('hex'), seconds: seconds(started) };
}

/** S3's URI encoding of a query name or value (RFC 3986 unreserved characters stay). */
export const s3QueryEncode = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Bytes of an answer kept for the caller: a listing's KeyCount and NextContinuationToken come before its first key. */
const KEPT_BYTES = 8 * 1024;

export interface SignedAnswer {
  status: number;
  /** The first KEPT_BYTES of the body (all of it when shorter, as an error document is). */
  head: string;
  bytes: number;
  /** From sending the request (signed) to the last byte of the answer. */
  ms: number;
}

/** GETs signed with SigV4 (UNSIGNED-PAYLOAD) over one kept-alive connection at a time. */
export class SignedGetter {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  readonly #signer: SignatureV4;
  readonly #url: URL;

  constructor(target: S3Target) {
    this.#url = new URL(target.url);
    this.#signer = new SignatureV4({
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
      region: REGION,
      service: 's3',
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false, // as @aws-sdk/client-s3 configures it
    });
  }

  /**
   * The answer is read to its end but only its head is kept: holding and decoding a 200 KB page cost
   * the client about 1 ms a request here, which is not the server's time.
   */
  async get(path: string, query: Record<string, string>): Promise<SignedAnswer> {
    const signed = await this.#signer.sign({
      method: 'GET',
      protocol: this.#url.protocol,
      hostname: this.#url.hostname,
      port: Number(this.#url.port),
      path,
      query,
      headers: { host: this.#url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const search = Object.entries(query)
      .map(([name, value]) => `${s3QueryEncode(name)}=${s3QueryEncode(value)}`)
      .join('&');
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const target = { host: this.#url.hostname, port: this.#url.port, path: search ? `${path}?${search}` : path };
      const req = request(
        { ...target, headers: signed.headers, agent: this.#agent },
        (res) => {
          const head = Buffer.alloc(KEPT_BYTES);
          let bytes = 0;
          res.on('data', (d: Buffer) => {
            if (bytes < KEPT_BYTES) d.copy(head, bytes, 0, Math.min(d.length, KEPT_BYTES - bytes));
            bytes += d.length;
          });
          res.on('end', () => {
            const ms = performance.now() - started;
            resolve({ status: res.statusCode ?? 0, head: head.toString('utf8', 0, Math.min(bytes, KEPT_BYTES)), bytes, ms });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
