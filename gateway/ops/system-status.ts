// GET /admin/status: the whole system on one page, from what this gateway knows (its registry, its
// healer, janitor and pool) and what the database says (redundancy, queues, scrub passes, the last
// consistency check). Each part that cannot be read says why instead of failing the page.
import { hostname } from 'node:os';
import type pg from 'pg';
import type { Healer } from '../cluster/healer.js';
import type { Janitor } from '../cluster/janitor.js';
import { diskFill, type NodeRegistry } from '../cluster/node-registry.js';
import { round3 } from './round.js';
import type { ConsistencyStore } from '../metadata/consistency-store.js';
import type { Metadata } from '../metadata/metadata.js';
import type { RepairStore } from '../metadata/repair-store.js';

const PART_TIMEOUT_MS = 3_000;

export interface StatusSources {
  version: string;
  startedAt: Date;
  pool: pg.Pool;
  metadata: Metadata;
  registry: NodeRegistry;
  repair: RepairStore;
  healer: Healer;
  janitor: Janitor;
  consistency: ConsistencyStore;
  scrubIntervalMs: number;
}

/** A part of the page: its value, or `{error}` when it could not be read within PART_TIMEOUT_MS. */
async function part<T>(read: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await Promise.race([
      read(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${PART_TIMEOUT_MS} ms`)), PART_TIMEOUT_MS).unref()),
    ]);
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export async function systemStatus(s: StatusSources) {
  const pingStarted = process.hrtime.bigint();
  const [ping, holdings, redundancy, deletions, scrub, consistency] = await Promise.all([
    part(async () => {
      await s.metadata.ping();
      return { latency_ms: Number(process.hrtime.bigint() - pingStarted) / 1e6 };
    }),
    part(() => s.metadata.nodeHoldings()),
    part(() => s.repair.redundancy()),
    part(() => s.metadata.deletionQueue()),
    part(() => s.repair.scrubRuns()),
    part(() => s.consistency.latest()),
  ]);
  const held = holdings instanceof Map ? holdings : new Map<number, { chunks: number; bytes: number }>();
  const janitor = s.janitor.last;
  return {
    version: s.version,
    gateway: { host: hostname(), pid: process.pid, started_at: s.startedAt.toISOString(), uptime_seconds: Math.round((Date.now() - s.startedAt.getTime()) / 1000) },
    database: {
      reachable: !('error' in ping),
      ...('error' in ping ? { error: ping.error } : { latency_ms: Math.round(ping.latency_ms * 10) / 10 }),
      pool: { total: s.pool.totalCount, idle: s.pool.idleCount, waiting: s.pool.waitingCount },
    },
    nodes: s.registry.list().map((n) => ({
      id: n.id,
      address: n.address,
      name: n.name,
      status: n.status,
      breaker: s.registry.isAvailable(n.id) ? 'closed' : 'open',
      draining: n.draining,
      disk_fill: round3(diskFill(n)),
      chunks: held.get(n.id)?.chunks ?? null,
      chunk_bytes: held.get(n.id)?.bytes ?? null,
      last_seen_at: n.lastSeenAt?.toISOString() ?? null,
      error: n.error,
    })),
    redundancy:
      'error' in redundancy
        ? redundancy
        : {
            files: redundancy.files,
            fully_redundant: redundancy.fully_redundant,
            degraded: redundancy.degraded.reduce((a, d) => a + d.files, 0),
            unreadable: redundancy.unreadable,
            bytes_at_risk: redundancy.bytes_at_risk,
          },
    healer: {
      ...s.healer.activity,
      queue: 'error' in redundancy ? redundancy : redundancy.heal_queue,
      heals: 'error' in redundancy ? redundancy : redundancy.heals,
    },
    scrubber:
      'error' in scrub
        ? scrub
        : {
            enabled: s.scrubIntervalMs > 0,
            running: scrub.current !== null,
            last_finished_at: scrub.last?.finishedAt ?? null,
            last_problems_found: scrub.last?.problemsFound ?? null,
          },
    janitor: janitor
      ? { last_run_at: janitor.at.toISOString(), ...(janitor.report ? { last_removed: janitor.report } : { last_error: janitor.error }) }
      : { last_run_at: null },
    deletion_queue: 'error' in deletions ? deletions : { chunks: deletions.chunks, oldest: deletions.oldest?.toISOString() ?? null },
    consistency_check:
      consistency === null
        ? null
        : 'error' in consistency
          ? consistency
          : { id: consistency.id, state: consistency.state, started_at: consistency.startedAt.toISOString(), finished_at: consistency.finishedAt?.toISOString() ?? null, counts: (consistency.report as { counts?: unknown } | null)?.counts ?? null },
  };
}
