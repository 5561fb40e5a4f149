// Promise-shaped calls to a storage node for tests, plus looks at its data folder.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import type { StorageServiceClient } from '../../proto/storage-proto.js';
import type { PutChunkRequest } from '../../proto/generated/storage/PutChunkRequest.js';
import type { PutChunkResponse__Output } from '../../proto/generated/storage/PutChunkResponse.js';
import type { HealthCheckResponse__Output } from '../../proto/generated/storage/HealthCheckResponse.js';
import type { StatChunkResponse__Output } from '../../proto/generated/storage/StatChunkResponse.js';
import type { ListChunksResponse__Output } from '../../proto/generated/storage/ListChunksResponse.js';

export const MiB = 1024 * 1024;

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Splits a buffer into messages of `size` bytes (the last one shorter). */
export function* pieces(data: Buffer, size = MiB): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, Math.min(data.length, i + size));
}

export interface PutOptions {
  /** SHA-256 to send with the stream. */
  checksum?: string;
  /** Send the checksum in the first message (default) or in an extra last message. */
  checksumAt?: 'first' | 'last';
  /** Bytes per message when `data` is one Buffer. */
  messageSize?: number;
}

/**
 * PutChunk: chunk_id in the first message, data in messages, honouring backpressure
 * (write() false → wait for 'drain'). Rejects with the node's ServiceError.
 */
export async function putChunk(
  client: StorageServiceClient,
  chunkId: string,
  data: Buffer | Iterable<Buffer> | AsyncIterable<Buffer>,
  options: PutOptions = {},
): Promise<PutChunkResponse__Output> {
  let call!: ReturnType<StorageServiceClient['putChunk']>;
  const result = new Promise<PutChunkResponse__Output>((resolve, reject) => {
    call = client.putChunk((err, response) => (err ? reject(err) : resolve(response!)));
  });
  result.catch(() => undefined); // observed below; avoid an unhandled rejection while writing
  const parts = Buffer.isBuffer(data) ? pieces(data, options.messageSize) : data;
  const checksumFirst = options.checksum !== undefined && options.checksumAt !== 'last';
  let first = true;
  const send = async (message: PutChunkRequest): Promise<void> => {
    if (!call.write(message)) await Promise.race([once(call, 'drain'), result]);
  };
  try {
    for await (const part of parts) {
      await send(first ? { chunkId, data: part, ...(checksumFirst ? { checksum: options.checksum } : {}) } : { data: part });
      first = false;
    }
    if (first) await send({ chunkId, ...(checksumFirst ? { checksum: options.checksum } : {}) });
    if (options.checksum !== undefined && !checksumFirst) await send({ checksum: options.checksum });
    call.end();
  } catch (err) {
    // The node answered (with an error) while we were still writing: report its answer.
    await result;
    throw err;
  }
  return result;
}

export interface GetOptions {
  offset?: number;
  length?: number;
}

/** GetChunk, calling `onData` for each message; resolves with the largest message size. */
export async function streamChunk(
  client: StorageServiceClient,
  chunkId: string,
  options: GetOptions,
  onData: (data: Buffer) => void,
): Promise<{ maxMessage: number; messages: number }> {
  const call = client.getChunk({ chunkId, ...options });
  let maxMessage = 0;
  let messages = 0;
  for await (const msg of call as AsyncIterable<{ data: Buffer }>) {
    maxMessage = Math.max(maxMessage, msg.data.length);
    messages += 1;
    onData(msg.data);
  }
  return { maxMessage, messages };
}

export async function getChunk(client: StorageServiceClient, chunkId: string, options: GetOptions = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  await streamChunk(client, chunkId, options, (d) => parts.push(d));
  return Buffer.concat(parts);
}

function unary<Req, Res>(
  fn: (req: Req, cb: (err: ServiceError | null, res?: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res!))));
}

export const statChunk = (client: StorageServiceClient, chunkId: string): Promise<StatChunkResponse__Output> =>
  unary(client.statChunk.bind(client), { chunkId });

export const deleteChunk = (client: StorageServiceClient, chunkId: string) =>
  unary(client.deleteChunk.bind(client), { chunkId });

export const health = (client: StorageServiceClient): Promise<HealthCheckResponse__Output> =>
  unary(client.healthCheck.bind(client), {});

export async function listChunks(client: StorageServiceClient): Promise<ListChunksResponse__Output[]> {
  const out: ListChunksResponse__Output[] = [];
  for await (const c of client.listChunks({}) as AsyncIterable<ListChunksResponse__Output>) out.push(c);
  return out;
}

/** The gRPC status code a call fails with; throws if it succeeds. */
export async function grpcCode(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (err) {
    const code = (err as Partial<ServiceError>).code;
    if (typeof code !== 'number') throw err;
    return code;
  }
  throw new Error('the call succeeded but was expected to fail');
}

/** Every file (not folder) below `dir`, as paths relative to it; [] when `dir` does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Files a node keeps for chunks, finished or not: everything below chunks/ and tmp/. */
export async function storedFiles(dataDir: string): Promise<string[]> {
  const [chunks, tmp] = await Promise.all([filesUnder(join(dataDir, 'chunks')), filesUnder(join(dataDir, 'tmp'))]);
  return [...chunks.map((f) => `chunks/${f}`), ...tmp.map((f) => `tmp/${f}`)];
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resident memory of a process in bytes (Linux /proc). */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = status.match(/^VmRSS:\s+(\d+)\s+kB/m);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** Samples a process's resident memory every `everyMs` until stopped; returns peak and count. */
export function sampleMemory(pid: number, everyMs = 100): { stop(): Promise<{ peak: number; samples: number }> } {
  let peak = 0;
  let samples = 0;
  let pending: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    pending = residentBytes(pid).then(
      (rss) => {
        peak = Math.max(peak, rss);
        samples += 1;
      },
      () => undefined,
    );
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      return { peak, samples };
    },
  };
}
