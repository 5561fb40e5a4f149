// npm run bench:node — PutChunk and GetChunk throughput of one storage node for a 1 GiB chunk in
// 1 MiB messages, next to the same bytes written (with fsync) and read through plain fs streams
// in the same file system. Each figure is the median of 3 runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, createReadStream, createWriteStream, fsync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createStorageClient, type StorageServiceClient } from '../../proto/storage-proto.js';
import { HEAP_FLAGS } from '../../scripts/heap-flags.js';
import type { PutChunkResponse__Output } from '../../proto/generated/storage/PutChunkResponse.js';

const MiB = 1024 * 1024;
const SIZE = 1024 * MiB;
const RUNS = 3;
const TARGET_MBPS = 200;
const TARGET_RATIO = 0.7;

// 16 distinct random 1 MiB blocks, cycled: both sides send the same bytes and neither pays for
// generating them inside the timed part.
const blocks = Array.from({ length: 16 }, () => randomBytes(MiB));
const blockAt = (i: number): Buffer => blocks[i % blocks.length]!;
const MESSAGES = SIZE / MiB;
/** The node checks it on every call, as in production (AUTH on). */
const CLUSTER_TOKEN = randomBytes(32).toString('base64url');

async function startNode(dataDir: string): Promise<{ child: ChildProcess; address: string }> {
  const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'storage-node', 'main.js');
  const child = spawn(process.execPath, [...HEAP_FLAGS, main], {
    env: { ...process.env, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', DATA_DIR: dataDir, AUTH: 'on', CLUSTER_TOKEN },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/listening on \S+:(\d+)/);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`storage node exited with ${code}: ${out}`)));
  });
  return { child, address: `127.0.0.1:${port}` };
}

async function nodePut(client: StorageServiceClient): Promise<PutChunkResponse__Output> {
  let call!: ReturnType<StorageServiceClient['putChunk']>;
  const response = new Promise<PutChunkResponse__Output>((resolve, reject) => {
    call = client.putChunk((err, res) => (err ? reject(err) : resolve(res!)));
  });
  for (let i = 0; i < MESSAGES; i++) {
    const message = i === 0 ? { chunkId: 'bench', data: blockAt(i) } : { data: blockAt(i) };
    if (!call.write(message)) await Promise.race([once(call, 'drain'), response]);
  }
  call.end();
  return response;
}

async function nodeGet(client: StorageServiceClient): Promise<number> {
  let bytes = 0;
  for await (const msg of client.getChunk({ chunkId: 'bench' }) as AsyncIterable<{ data: Buffer }>) bytes += msg.data.length;
  return bytes;
}

async function fsWrite(path: string): Promise<void> {
  // A plain fd: fsync on a FileHandle that a stream has used never settles on Node 20.
  const fd = openSync(path, 'w');
  try {
    const stream = createWriteStream('', { fd, autoClose: false, highWaterMark: MiB });
    for (let i = 0; i < MESSAGES; i++) {
      if (!stream.write(blockAt(i))) await once(stream, 'drain');
    }
    stream.end();
    await finished(stream);
    await promisify(fsync)(fd);
  } finally {
    closeSync(fd);
  }
}

async function fsRead(path: string): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: MiB }) as AsyncIterable<Buffer>) bytes += chunk.length;
  return bytes;
}

/** Runs `fn` and returns MB/s (10^6 bytes per second) for SIZE bytes. */
async function mbps(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return SIZE / 1e6 / seconds;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'node-bench-'));
  let node: { child: ChildProcess; address: string } | undefined;
  let client: StorageServiceClient | undefined;
  try {
    node = await startNode(join(root, 'node'));
    client = createStorageClient(node.address, {}, CLUSTER_TOKEN);
    const expected = createHash('sha256');
    for (let i = 0; i < MESSAGES; i++) expected.update(blockAt(i));
    const expectedSha = expected.digest('hex');

    const runs = { put: [] as number[], get: [] as number[], write: [] as number[], read: [] as number[] };
    const baselineFile = join(root, 'baseline.bin');
    for (let run = 1; run <= RUNS; run++) {
      const c = client;
      runs.put.push(
        await mbps(async () => {
          const res = await nodePut(c);
          if (res.size !== SIZE || res.checksum !== expectedSha) throw new Error(`PutChunk stored ${res.size} bytes, ${res.checksum}`);
        }),
      );
      runs.get.push(
        await mbps(async () => {
          const got = await nodeGet(c);
          if (got !== SIZE) throw new Error(`GetChunk returned ${got} bytes`);
        }),
      );
      runs.write.push(await mbps(() => fsWrite(baselineFile)));
      runs.read.push(
        await mbps(async () => {
          const got = await fsRead(baselineFile);
          if (got !== SIZE) throw new Error(`fs read returned ${got} bytes`);
        }),
      );
      await rm(baselineFile);
      const f = (xs: number[]): string => xs.at(-1)!.toFixed(0);
      console.log(`run ${run}/${RUNS}: PutChunk ${f(runs.put)} MB/s, fs write+fsync ${f(runs.write)} MB/s, GetChunk ${f(runs.get)} MB/s, fs read ${f(runs.read)} MB/s`);
    }

    const rows = [
      ['write 1 GiB (PutChunk vs fs write stream + fsync)', median(runs.put), median(runs.write)],
      ['read 1 GiB (GetChunk vs fs read stream)', median(runs.get), median(runs.read)],
    ] as const;
    console.log(`\nmedian of ${RUNS} runs, 1 MiB messages, MB/s = 10^6 bytes/s; reads are likely served from the page cache on both sides`);
    console.log(['what'.padEnd(50), 'node MB/s'.padStart(10), 'fs MB/s'.padStart(10), 'ratio'.padStart(7), '  targets'].join(''));
    for (const [what, nodeMbps, fsMbps] of rows) {
      const ratio = nodeMbps / fsMbps;
      const verdict = `${nodeMbps >= TARGET_MBPS ? 'ok' : 'LOW'} (>= ${TARGET_MBPS}), ${ratio >= TARGET_RATIO ? 'ok' : 'LOW'} (>= ${TARGET_RATIO})`;
      console.log([what.padEnd(50), nodeMbps.toFixed(0).padStart(10), fsMbps.toFixed(0).padStart(10), ratio.toFixed(2).padStart(7), `  ${verdict}`].join(''));
    }
  } finally {
    client?.close();
    if (node && node.child.exitCode === null) {
      const exited = once(node.child, 'exit');
      node.child.kill('SIGTERM');
      await exited;
    }
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
