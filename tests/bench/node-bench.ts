// npm run bench:node — PutChunk and GetChunk throughput of one storage node for a 1 GiB chunk in
// 1 MiB messages, and the node's CPU-seconds per GiB, with direct I/O (the default) and through the
// page cache (DIRECT_IO=off), next to the same bytes written (with fsync) and read through plain fs
// streams in the same file system. Each figure is the median of 3 runs.
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
import { startCpuMeter } from './cpu-usage.js';
import type { PutChunkResponse__Output } from '../../proto/generated/storage/PutChunkResponse.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
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

async function startNode(dataDir: string, directIo: 'auto' | 'off'): Promise<{ child: ChildProcess; address: string }> {
  const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'storage-node', 'main.js');
  const child = spawn(process.execPath, [...HEAP_FLAGS, main], {
    env: { ...process.env, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', DATA_DIR: dataDir, AUTH: 'on', CLUSTER_TOKEN, DIRECT_IO: directIo },
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

/** Runs `fn` and returns MB/s (10^6 bytes per second) for SIZE bytes, and the CPU-seconds per GiB `pid` used meanwhile. */
async function measure(fn: () => Promise<unknown>, pid?: number): Promise<{ mbps: number; cpu: number }> {
  const cpu = pid === undefined ? undefined : startCpuMeter([pid]);
  const start = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { mbps: SIZE / 1e6 / seconds, cpu: cpu ? cpu.stop() / (SIZE / GiB) : NaN };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface BenchNode {
  label: string;
  child: ChildProcess;
  client: StorageServiceClient;
  put: { mbps: number; cpu: number }[];
  get: { mbps: number; cpu: number }[];
}

async function stopNode(node: BenchNode): Promise<void> {
  node.client.close();
  if (node.child.exitCode !== null) return;
  const exited = once(node.child, 'exit');
  node.child.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'node-bench-'));
  const nodes: BenchNode[] = [];
  try {
    for (const [label, mode] of [['direct I/O', 'auto'], ['page cache', 'off']] as const) {
      const { child, address } = await startNode(join(root, mode), mode);
      nodes.push({ label, child, client: createStorageClient(address, {}, CLUSTER_TOKEN), put: [], get: [] });
    }
    const expected = createHash('sha256');
    for (let i = 0; i < MESSAGES; i++) expected.update(blockAt(i));
    const expectedSha = expected.digest('hex');

    const fs = { write: [] as number[], read: [] as number[] };
    const baselineFile = join(root, 'baseline.bin');
    for (let run = 1; run <= RUNS; run++) {
      // The two nodes take turns at going first.
      for (const node of run % 2 === 1 ? nodes : [...nodes].reverse()) {
        const c = node.client;
        node.put.push(
          await measure(async () => {
            const res = await nodePut(c);
            if (res.size !== SIZE || res.checksum !== expectedSha) throw new Error(`PutChunk stored ${res.size} bytes, ${res.checksum}`);
          }, node.child.pid),
        );
        node.get.push(
          await measure(async () => {
            const got = await nodeGet(c);
            if (got !== SIZE) throw new Error(`GetChunk returned ${got} bytes`);
          }, node.child.pid),
        );
      }
      fs.write.push((await measure(() => fsWrite(baselineFile))).mbps);
      fs.read.push(
        (
          await measure(async () => {
            const got = await fsRead(baselineFile);
            if (got !== SIZE) throw new Error(`fs read returned ${got} bytes`);
          })
        ).mbps,
      );
      await rm(baselineFile);
      const f = (m: { mbps: number; cpu: number }): string => `${m.mbps.toFixed(0)} MB/s ${m.cpu.toFixed(2)} CPU-s/GiB`;
      console.log(
        `run ${run}/${RUNS}: ` +
          nodes.map((n) => `${n.label}: PutChunk ${f(n.put.at(-1)!)}, GetChunk ${f(n.get.at(-1)!)}`).join('; ') +
          `; fs write+fsync ${fs.write.at(-1)!.toFixed(0)} MB/s, fs read ${fs.read.at(-1)!.toFixed(0)} MB/s`,
      );
    }

    console.log(`\nmedian of ${RUNS} runs, 1 MiB messages, MB/s = 10^6 bytes/s, node CPU-s per GiB (user + system, from /proc)`);
    console.log(['what'.padEnd(52), 'node MB/s'.padStart(10), 'CPU-s/GiB'.padStart(10), 'fs MB/s'.padStart(10), 'ratio'.padStart(7), '  targets'].join(''));
    for (const node of nodes) {
      const rows = [
        [`write 1 GiB, ${node.label} (PutChunk vs fs write + fsync)`, node.put, median(fs.write)],
        [`read 1 GiB, ${node.label} (GetChunk vs fs read stream)`, node.get, median(fs.read)],
      ] as const;
      for (const [what, runs, fsMbps] of rows) {
        const nodeMbps = median(runs.map((r) => r.mbps));
        const ratio = nodeMbps / fsMbps;
        const verdict = `${nodeMbps >= TARGET_MBPS ? 'ok' : 'LOW'} (>= ${TARGET_MBPS}), ${ratio >= TARGET_RATIO ? 'ok' : 'LOW'} (>= ${TARGET_RATIO})`;
        const cpu = median(runs.map((r) => r.cpu)).toFixed(2);
        console.log([what.padEnd(52), nodeMbps.toFixed(0).padStart(10), cpu.padStart(10), fsMbps.toFixed(0).padStart(10), ratio.toFixed(2).padStart(7), `  ${verdict}`].join(''));
      }
    }
  } finally {
    await Promise.all(nodes.map(stopNode));
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
