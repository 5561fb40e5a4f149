// The storage node's metrics, served on METRICS_PORT (metrics-server.ts): chunk operations by
// result, bytes written and read, fsync latency, verification failures (bitrot), the disk and the
// chunks held, and the standard process metrics. Every label takes its value from a small fixed
// set: a result is `ok` or the name of the gRPC status the call ended with.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ChunkError } from './chunk-errors.js';
import type { StoreUsage } from './chunk-store.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const PREFIX = 'objstore_storage_';

/** `ok`, or the gRPC status of a failure in lower case (not_found, data_loss, cancelled, internal, ...). */
export function resultOf(err: unknown): string {
  return err === null ? 'ok' : err instanceof ChunkError ? err.code.toLowerCase() : 'internal';
}

function byResult(name: string, help: string): Counter<'result'> {
  return new Counter({ name: `${PREFIX}${name}`, help: `${help}, by result (ok, or the gRPC status in lower case)`, labelNames: ['result'] as const, registers: [registry] });
}

const puts = byResult('chunk_puts_total', 'PutChunk calls');
const gets = byResult('chunk_gets_total', 'GetChunk calls');
const deletes = byResult('chunk_deletes_total', 'DeleteChunk calls');
const verifies = new Counter({
  name: `${PREFIX}chunk_verifies_total`,
  help: 'VerifyChunk calls, by result (ok, corrupt, absent, or the gRPC status of a failure)',
  labelNames: ['result'] as const,
  registers: [registry],
});

const written = new Counter({
  name: `${PREFIX}written_bytes_total`,
  help: 'Chunk data bytes written to disk by PutChunk (also of puts that failed later)',
  registers: [registry],
});

const read = new Counter({
  name: `${PREFIX}read_bytes_total`,
  help: 'Chunk data bytes read from disk, verified and sent by GetChunk (whole blocks)',
  registers: [registry],
});

const verified = new Counter({
  name: `${PREFIX}verified_bytes_total`,
  help: 'Chunk data bytes read from disk and checked in place by VerifyChunk',
  registers: [registry],
});

const verificationFailures = new Counter({
  name: `${PREFIX}verification_failures_total`,
  help: 'Chunks found damaged on disk (bitrot: a block not matching its stored checksum, a damaged header or length), by operation (get, verify)',
  labelNames: ['operation'] as const,
  registers: [registry],
});

const fsyncDuration = new Histogram({
  name: `${PREFIX}fsync_duration_seconds`,
  help: 'Duration of the fsyncs that make a chunk durable, by target (file: its data; directory: its name)',
  labelNames: ['target'] as const,
  buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [registry],
});

for (const c of [puts, gets, deletes, verifies]) c.inc({ result: 'ok' }, 0);
for (const operation of ['get', 'verify']) verificationFailures.inc({ operation }, 0);

let usage: (() => Promise<StoreUsage>) | undefined;
let pending: Promise<StoreUsage | null> | null = null;

/** One look at the disk per scrape, shared by the gauges below (they are collected together). */
function readUsage(): Promise<StoreUsage | null> {
  if (!usage) return Promise.resolve(null);
  pending ??= usage()
    .catch(() => null)
    .finally(() => setImmediate(() => (pending = null)));
  return pending;
}

function usageGauge(name: string, help: string, pick: (u: StoreUsage) => number): void {
  new Gauge({
    name: `${PREFIX}${name}`,
    help,
    registers: [registry],
    async collect() {
      const u = await readUsage();
      this.set(u ? pick(u) : Number.NaN);
    },
  });
}

usageGauge('disk_total_bytes', 'Size of the file system that holds DATA_DIR', (u) => u.total);
usageGauge('disk_free_bytes', 'Free space on that file system, as the node may use it', (u) => u.available);
usageGauge('disk_used_bytes', 'Space used on that file system, by chunks and anything else', (u) => u.diskUsed);
usageGauge('disk_reserve_bytes', 'Free space the node keeps (DISK_RESERVE_BYTES): below it, it takes no new chunk', (u) => u.reserve);
usageGauge('chunks', 'Chunks stored on this node', (u) => u.chunks);
usageGauge('chunk_bytes', 'Data bytes of the chunks stored on this node', (u) => u.used);

const info = new Gauge({
  name: `${PREFIX}node_info`,
  help: 'Always 1: the node id (NODE_ID) this node reports to the gateways',
  labelNames: ['node_id'] as const,
  registers: [registry],
});

/** Where the disk gauges read from, and the node's id. */
export function watchStore(nodeId: string, read: () => Promise<StoreUsage>): void {
  usage = read;
  info.set({ node_id: nodeId }, 1);
}

export const putEnded = (err: unknown): void => puts.inc({ result: resultOf(err) });

/** A GetChunk ended; `cancelled`: its caller went away first (damage found meanwhile still counts as such). */
export function getEnded(err: unknown, cancelled: boolean): void {
  const result = cancelled && resultOf(err) !== 'data_loss' ? 'cancelled' : resultOf(err);
  gets.inc({ result });
  if (result === 'data_loss') verificationFailures.inc({ operation: 'get' });
}

export const deleteEnded = (err: unknown): void => deletes.inc({ result: resultOf(err) });

export function verifyEnded(outcome: { exists: boolean; ok: boolean; size: number } | null, err: unknown = null): void {
  const result = outcome === null ? resultOf(err) : !outcome.exists ? 'absent' : outcome.ok ? 'ok' : 'corrupt';
  verifies.inc({ result });
  if (outcome?.exists) verified.inc(outcome.size);
  if (result === 'corrupt') verificationFailures.inc({ operation: 'verify' });
}

export const bytesWritten = (n: number): void => written.inc(n);
export const bytesRead = (n: number): void => read.inc(n);

/** Times one fsync. */
export async function timedFsync<T>(target: 'file' | 'directory', sync: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await sync();
  } finally {
    fsyncDuration.observe({ target }, (performance.now() - start) / 1000);
  }
}
