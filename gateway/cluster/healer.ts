// Restores redundancy in the background: HEAL_CONCURRENCY workers take files from the heal queue
// (PostgreSQL, leased, so gateways share the work and a restarted one resumes) and hand each to the
// file healer under a lease they renew. Also queues every chunk of a node that stays down longer
// than NODE_DEAD_AFTER_MS (to rebuild) or is draining (to move).
import type { ErasureCoder } from '../data/erasure-code.js';
import { Throttle } from '../data/throttle.js';
import type { Metadata } from '../metadata/metadata.js';
import type { HealJob, RepairStore } from '../metadata/repair-store.js';
import type { ChunkDeleter } from './chunk-deleter.js';
import { FileHealer, retryAfterFailure, type HealOutcome } from './file-healer.js';
import type { NodeRegistry } from './node-registry.js';
import { log } from '../../proto/log.js';

export interface HealerSettings {
  claimant: string; // this gateway's name in leases and heal history
  concurrency: number; // files healed at once
  bytesPerSecond: () => number; // bytes read from surviving chunks, all heals together (0: no limit)
  leaseMs: number;
  pollMs: number;
  deadAfterMs: number;
  stallMs: number;
}

/** Where reads and writes report chunks they found wrong. */
export interface HealRequests {
  request(fileId: string, chunkNumbers: number[], reason: string): void;
}

/** Chunks uploaded to a draining node while its drain began are picked up by queueing it again. */
const DRAIN_REQUEUE_MS = 30_000;

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class Healer implements HealRequests {
  private readonly fileHealer: FileHealer;
  private readonly stopping = new AbortController();
  private readonly workers: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private readonly nodesQueued = new Map<number, { kind: 'heal' | 'move'; at: number }>();
  private nodeTimer: NodeJS.Timeout | undefined;
  private healthy = new Set<number>(); // nodes that could take chunks at the last tick

  constructor(
    metadata: Metadata,
    private readonly store: RepairStore,
    private readonly registry: NodeRegistry,
    deleter: ChunkDeleter,
    coder: (k: number, m: number) => ErasureCoder,
    private readonly settings: HealerSettings,
  ) {
    // One throttle for every worker: HEAL_RATE_MIB bounds this gateway's heals together.
    this.fileHealer = new FileHealer(metadata, store, registry, deleter, coder, new Throttle(settings.bytesPerSecond), settings);
  }

  start(): void {
    for (let i = 0; i < this.settings.concurrency; i++) this.workers.push(this.work());
    this.nodeTimer = setInterval(() => void this.queueNodes(), this.settings.pollMs);
    this.nodeTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.nodeTimer);
    this.stopping.abort();
    this.nudge();
    await Promise.allSettled(this.workers);
  }

  /** Queues chunks found wrong by a read or a write (never fails the caller: the scrubber is the backstop). */
  request(fileId: string, chunkNumbers: number[], reason: string): void {
    if (chunkNumbers.length === 0) return;
    this.store
      .queueHeal(fileId, chunkNumbers, reason)
      .then(() => this.nudge())
      .catch((err: unknown) => log.error(`healer: could not queue file ${fileId}: ${errorText(err)}`, { fileId }));
  }

  /** Workers of this gateway, and how many are claiming or healing rather than waiting for work. */
  get activity(): { workers: number; busy: number } {
    return { workers: this.workers.length, busy: Math.max(0, this.workers.length - this.sleepers.size) };
  }

  /** Something was queued: idle workers look now instead of at their next poll. */
  nudge(): void {
    for (const wake of this.sleepers) wake();
  }

  /**
   * Queues the chunks of nodes that became dead (once per node until it comes back) and of draining
   * nodes (again every DRAIN_REQUEUE_MS, for chunks of uploads that were running when the drain began).
   */
  private async queueNodes(): Promise<void> {
    const nodes = this.registry.list();
    const healthy = new Set(nodes.filter((n) => n.status === 'healthy' && !n.draining).map((n) => n.id));
    if ([...healthy].some((id) => !this.healthy.has(id))) {
      // A node came back or joined: chunks waiting for a place may have one now.
      await this.store.retryAllNow().then(() => this.nudge(), () => undefined);
    }
    this.healthy = healthy;
    for (const node of nodes) {
      const kind = node.status === 'dead' ? 'heal' : node.draining ? 'move' : null;
      const last = this.nodesQueued.get(node.id);
      if (!kind) {
        this.nodesQueued.delete(node.id);
        continue;
      }
      if (last && (kind === 'heal' || Date.now() - last.at < DRAIN_REQUEUE_MS) && last.kind === kind) continue;
      try {
        const reason = kind === 'heal' ? `node ${node.address} dead (down longer than ${this.settings.deadAfterMs} ms)` : `node ${node.address} draining`;
        const files = await this.store.queueNodeChunks(node.id, reason, kind);
        this.nodesQueued.set(node.id, { kind, at: Date.now() });
        if (files > 0) log.warn(`healer: ${reason}; queued the chunks of ${files} files`);
        this.nudge();
      } catch {
        // The database is unreachable: tried again at the next tick.
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
      if (this.stopping.signal.aborted) done();
    });
  }

  private async work(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      let job: HealJob | null = null;
      try {
        job = await this.store.claimHeal(this.settings.claimant, this.settings.leaseMs);
      } catch {
        // The database is unreachable: wait and try again.
      }
      if (job) await this.heal(job);
      else await this.sleep(this.settings.pollMs);
    }
  }

  /** Heals one claimed file under its lease; always gives the claim back (or loses it to a lease that ran out). */
  async heal(job: HealJob): Promise<void> {
    const lease = new AbortController();
    const onStop = (): void => lease.abort();
    this.stopping.signal.addEventListener('abort', onStop);
    const renew = setInterval(() => {
      this.store
        .renewClaim(job.fileId, this.settings.claimant, this.settings.leaseMs)
        .then((kept) => kept || lease.abort())
        .catch(() => undefined); // a lease not renewed runs out; the next gateway takes over
    }, this.settings.leaseMs / 3);
    let outcome: HealOutcome = { done: [], retryMs: 0, failure: null };
    try {
      outcome = await this.fileHealer.heal(job, lease.signal);
    } catch (err) {
      // Nothing was written (the database or a node failed before): try the file again later.
      outcome = { done: [], retryMs: retryAfterFailure(job.attempts), failure: errorText(err) };
      log.error(`healer: file ${job.fileId}: ${outcome.failure}`, { fileId: job.fileId });
    } finally {
      clearInterval(renew);
      this.stopping.signal.removeEventListener('abort', onStop);
      await this.store
        .releaseClaim(job.fileId, this.settings.claimant, outcome.done, outcome.retryMs, outcome.failure)
        .catch(() => undefined); // the lease runs out and the file is tried again
    }
  }
}
