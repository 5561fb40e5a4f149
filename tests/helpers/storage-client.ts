// Promise-shaped calls to a storage node for tests, plus looks at its data folder.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { xxh64 } from '@node-rs/xxhash';
import type { StorageServiceClient } from '../../proto/storage-proto.js';
import type { PutChunkRequest } from '../../proto/generated/storage/PutChunkRequest.js';
import type { PutChunkResponse__Output } from '../../proto/generated/storage/PutChunkResponse.js';
import type { HealthCheckResponse__Output } from '../../proto/generated/storage/HealthCheckResponse.js';
import type { VerifyChunkResponse__Output } from '../../proto/generated/storage/VerifyChunkResponse.js';
import type { StatChunkResponse__Output } from '../../proto/generated/storage/StatChunkResponse.js';
import type { ListChunksResponse__Output } from '../../proto/generated/storage/ListChunksResponse.js';
import type { GetChunkResponse__Output } from '../../proto/generated/storage/GetChunkResponse.js';

export const MiB = 1024 * 1024;

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * xxHash64 (seed 0, 8 bytes big-endian) of each 64 KiB block of `data`, computed here the plain
 * way so that tests check the node against something other than its own code.
 */
export function xxh64Blocks(data: Buffer, blockSize = 65536): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += blockSize) {
    const sum = Buffer.alloc(8);
    sum.writeBigUInt64BE(xxh64(data.subarray(i, i + blockSize)));
    out.push(sum);
  }
  return Buffer.concat(out);
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
  /** Set skip_sha256 in the first message. */
  skipSha256?: boolean;
  /** block_checksums to send with the data of message `index` (undefined: none). */
  blockChecksums?: (data: Buffer, index: number) => Buffer | undefined;
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
  const firstFields: PutChunkRequest = {
    chunkId,
    ...(checksumFirst ? { checksum: options.checksum } : {}),
    ...(options.skipSha256 ? { skipSha256: true } : {}),
  };
  let first = true;
  let index = 0;
  const send = async (message: PutChunkRequest): Promise<void> => {
    if (!call.write(message)) await Promise.race([once(call, 'drain'), result]);
  };
  try {
    for await (const part of parts) {
      const sums = options.blockChecksums?.(part, index++);
      await send({ ...(first ? firstFields : {}), data: part, ...(sums ? { blockChecksums: sums } : {}) });
      first = false;
    }
    if (first) await send(firstFields);
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
  withBlockChecksums?: boolean;
}

/** GetChunk, calling `onData` for each message; resolves with the largest message size. */
export async function streamChunk(
  client: StorageServiceClient,
  chunkId: string,
  options: GetOptions,
  onData: (data: Buffer, message: GetChunkResponse__Output) => void,
): Promise<{ maxMessage: number; messages: number }> {
  const call = client.getChunk({ chunkId, ...options });
  let maxMessage = 0;
  let messages = 0;
  for await (const msg of call as AsyncIterable<GetChunkResponse__Output>) {
    maxMessage = Math.max(maxMessage, msg.data.length);
    messages += 1;
    onData(msg.data, msg);
  }
  return { maxMessage, messages };
}

/** Every message of a GetChunk call (for with_block_checksums answers). */
export async function getChunkMessages(
  client: StorageServiceClient,
  chunkId: string,
  options: GetOptions = {},
): Promise<GetChunkResponse__Output[]> {
  const out: GetChunkResponse__Output[] = [];
  await streamChunk(client, chunkId, options, (_data, msg) => out.push(msg));
  return out;
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

export const verifyChunk = (client: StorageServiceClient, chunkId: string): Promise<VerifyChunkResponse__Output> =>
  unary(client.verifyChunk.bind(client), { chunkId });

export const health = (client: StorageServiceClient): Promise<HealthCheckResponse__Output> =>
  unary(client.healthCheck.bind(client), {});

export async function listChunks(client: StorageServiceClient): Promise<ListChunksResponse__Output[]> {
  const out: ListChunksResponse__Output[] = [];
  for await (const c of client.listChunks({}) as AsyncIterable<ListChunksResponse__Output>) out.push(c);
  return out;
}

/** The gRPC status code a call fails with; throws if it succeeds. */
export async function grpcCode(promise: Promise<unknown>): Promise<number> {
  return (await grpcError(promise)).code;
}

/** The gRPC error (code and details) a call fails with; throws if it succeeds. */
export async function grpcError(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (err) {
    const { code, details } = err as Partial<ServiceError>;
    if (typeof code !== 'number') throw err;
    return { code, details: details ?? '' };
  }
  throw new Error('the call succeeded but was expected to fail');
}

/** The path (below dataDir) of the file holding chunk `chunkId`; throws unless exactly one. */
export async function chunkFile(dataDir: string, chunkId: string): Promise<string> {
  const found = (await filesUnder(join(dataDir, 'chunks'))).filter((f) => f.endsWith(`/${chunkId}`));
  if (found.length !== 1) throw new Error(`expected one file for chunk ${chunkId}, found ${JSON.stringify(found)}`);
  return join(dataDir, 'chunks', found[0]!);
}

/** Bytes a process has read through read syscalls (files and sockets alike), from /proc/<pid>/io. */
export async function bytesRead(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  const m = io.match(/^rchar:\s+(\d+)/m);
  if (!m) throw new Error(`no rchar in /proc/${pid}/io`);
  return Number(m[1]);
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

/**
 * Peak resident memory of a process since the last resetPeakResident (Linux VmHWM). Unlike sampling,
 * it cannot miss a short spike.
 */
export async function peakResidentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = status.match(/^VmHWM:\s+(\d+)\s+kB/m);
  if (!m) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** Resets a process's peak resident memory to its current (writing 5 to /proc/<pid>/clear_refs). */
export async function resetPeakResident(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5');
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
