// Redundancy and cleaning: degraded reads and the stripes they rebuilt, the healer's rebuilds and
// moves, the scrubber's progress, the janitor's passes, and the lengths of the heal and deletion
// queues (read from PostgreSQL at scrape time, see metadata/queue-lengths.ts). Counters are this
// gateway's own work; the queues are the cluster's, shared by all gateways.
import { Counter, Gauge } from 'prom-client';
import type { QueueLengths } from '../metadata/queue-lengths.js';
import { beforeScrape, PREFIX, registry } from './registry.js';

const degradedReads = new Counter({
  name: `${PREFIX}degraded_reads_total`,
  help: 'Downloads (REST or S3) that could not read some data chunk directly and decoded around it',
  registers: [registry],
});

const readFaults = new Counter({
  name: `${PREFIX}read_chunk_faults_total`,
  help: 'Chunks that failed during a download, by fault (unavailable, stalled, corrupt, refused); each is queued for healing',
  labelNames: ['fault'] as const,
  registers: [registry],
});

const reconstructions = new Counter({
  name: `${PREFIX}reconstructed_stripes_total`,
  help: 'Stripes whose missing data units a download rebuilt with Reed-Solomon',
  registers: [registry],
});

const heals = new Counter({
  name: `${PREFIX}heal_chunks_total`,
  help: 'Chunks the healer of this gateway rebuilt (kind=rebuild) or moved (kind=move), by result (done, failed)',
  labelNames: ['kind', 'result'] as const,
  registers: [registry],
});

const healedBytes = new Counter({
  name: `${PREFIX}heal_bytes_total`,
  help: 'Bytes of the chunks the healer of this gateway rebuilt or moved, by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});

const scrubbedBytes = new Counter({
  name: `${PREFIX}scrubbed_bytes_total`,
  help: 'Chunk bytes the scrubber of this gateway had their nodes verify',
  registers: [registry],
});

const scrubbedChunks = new Counter({
  name: `${PREFIX}scrubbed_chunks_total`,
  help: 'Chunks the scrubber of this gateway looked at',
  registers: [registry],
});

const scrubProblems = new Counter({
  name: `${PREFIX}scrub_problems_total`,
  help: 'Chunks the scrubber found absent, short or corrupt, or on a dead node (each queued for healing)',
  registers: [registry],
});

const janitorRuns = new Counter({
  name: `${PREFIX}janitor_runs_total`,
  help: 'Passes of the janitor of this gateway, by result (ok, failed)',
  labelNames: ['result'] as const,
  registers: [registry],
});

const janitorRemoved = new Counter({
  name: `${PREFIX}janitor_removed_total`,
  help:
    'What the janitor removed, by what: stale_uploads (abandoned uploads), stale_multipart_uploads, ' +
    'chunk_deletions (queued deletions carried out), orphan_chunks (chunks no metadata references)',
  labelNames: ['what'] as const,
  registers: [registry],
});

// Every series exists from the start, at 0, so that rates and alerts see the first event too.
for (const what of ['stale_uploads', 'stale_multipart_uploads', 'chunk_deletions', 'orphan_chunks']) janitorRemoved.inc({ what }, 0);
for (const result of ['ok', 'failed']) janitorRuns.inc({ result }, 0);
for (const fault of ['unavailable', 'stalled', 'corrupt', 'refused']) readFaults.inc({ fault }, 0);
for (const kind of ['rebuild', 'move']) {
  healedBytes.inc({ kind }, 0);
  for (const result of ['done', 'failed']) heals.inc({ kind, result }, 0);
}

let readQueues: (() => Promise<QueueLengths | null>) | undefined;
/** Read once per scrape, before the gauges render it; null: unknown at this scrape. */
let lastQueues: QueueLengths | null = null;

/** Where the queue gauges read from; null from it: unknown now (the gauges are NaN for this scrape). */
export function watchQueues(read: () => Promise<QueueLengths | null>): void {
  readQueues = read;
}

beforeScrape(async () => {
  lastQueues = null;
  lastQueues = (await readQueues?.().catch(() => null)) ?? null;
});

function queueGauge(name: string, help: string, pick: (q: QueueLengths) => number): void {
  new Gauge({
    name: `${PREFIX}${name}`,
    help: `${help} (NaN when the database could not be asked cheaply or did not answer in time)`,
    registers: [registry],
    collect() {
      this.set(lastQueues ? pick(lastQueues) : Number.NaN);
    },
  });
}

queueGauge('heal_queue_files', 'Files in the heal queue (all gateways)', (q) => q.healFiles);
queueGauge('heal_queue_chunks', 'Chunks queued for rebuilding (all gateways)', (q) => q.healChunks);
queueGauge('deletion_queue_chunks', 'Chunk deletions queued and not yet confirmed by their node (all gateways)', (q) => q.deletions);

export function degradedRead(): void {
  degradedReads.inc();
}

export function readFault(fault: string): void {
  readFaults.inc({ fault });
}

export function stripeReconstructed(): void {
  reconstructions.inc();
}

export function healEnded(kind: 'heal' | 'move', result: 'done' | 'failed', bytes = 0): void {
  const label = kind === 'heal' ? 'rebuild' : 'move';
  heals.inc({ kind: label, result });
  if (bytes > 0) healedBytes.inc({ kind: label }, bytes);
}

export function chunkScrubbed(bytes: number, problem: boolean): void {
  scrubbedChunks.inc();
  scrubbedBytes.inc(bytes);
  if (problem) scrubProblems.inc();
}

export function janitorPassed(report: { staleUploads: number; staleMultipartUploads: number; deletions: number; orphans: number }): void {
  janitorRuns.inc({ result: 'ok' });
  janitorRemoved.inc({ what: 'stale_uploads' }, report.staleUploads);
  janitorRemoved.inc({ what: 'stale_multipart_uploads' }, report.staleMultipartUploads);
  janitorRemoved.inc({ what: 'chunk_deletions' }, report.deletions);
  janitorRemoved.inc({ what: 'orphan_chunks' }, report.orphans);
}

export function janitorFailed(): void {
  janitorRuns.inc({ result: 'failed' });
}
