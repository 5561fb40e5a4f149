// Restores redundancy in the background: takes files from the heal queue (PostgreSQL, leased, so
// gateways share the work and a restarted one resumes), decides per queued chunk whether it is really
// lost, rebuilds the lost ones onto other nodes, checks what it wrote, and switches the metadata in
// one transaction (old copies go through the deletion queue). Also queues every chunk of a node that
// stays down longer than NODE_DEAD_AFTER_MS.
import type { ErasureCoder } from '../data/erasure-code.js';
import { rebuildChunks } from '../data/chunk-rebuilder.js';
import { chunkLength } from '../data/stripe-layout.js';
import { Throttle } from '../data/throttle.js';
import type { ChunkRow, Metadata } from '../metadata/metadata.js';
import type { ChunkMove, HealJob, RepairStore } from '../metadata/repair-store.js';
import { checkChunk } from './chunk-check.js';
import type { ChunkDeleter } from './chunk-deleter.js';
import { chooseRebuildTargets, triage } from './heal-plan.js';
import type { NodeClient } from './node-client.js';
import type { NodeRegistry } from './node-registry.js';

export interface HealerSettings {
  claimant: string; // this gateway's name in leases and heal history
  concurrency: number; // files healed at once
  bytesPerSecond: number; // bytes read from surviving chunks, all heals together (0: no limit)
  leaseMs: number;
  pollMs: number;
  deadAfterMs: number;
  stallMs: number;
}

/** Where reads and writes report chunks they found wrong. */
export interface HealRequests {
  request(fileId: string, chunkNumbers: number[], reason: string): void;
}

/** Where a rebuilt or moved chunk goes, and where it was. */
interface Target {
  kind: 'heal' | 'move';
  nodeId: number;
  client: NodeClient;
  chunkId: string;
  fromNode: number | null;
  fromAddress: string | null;
}

/** Chunks uploaded to a draining node while its drain began are picked up by queueing it again. */
const DRAIN_REQUEUE_MS = 30_000;

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class Healer implements HealRequests {
  private readonly throttle: Throttle;
  private readonly stopping = new AbortController();
  private readonly workers: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private readonly nodesQueued = new Map<number, { kind: 'heal' | 'move'; at: number }>();
  private nodeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly metadata: Metadata,
    private readonly store: RepairStore,
    private readonly registry: NodeRegistry,
    private readonly deleter: ChunkDeleter,
    private readonly coder: (k: number, m: number) => ErasureCoder,
    private readonly settings: HealerSettings,
  ) {
    this.throttle = new Throttle(settings.bytesPerSecond);
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
      .catch((err: unknown) => console.error(`healer: could not queue file ${fileId}: ${errorText(err)}`));
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
    for (const node of this.registry.list()) {
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
        if (files > 0) console.error(`healer: ${reason}; queued the chunks of ${files} files`);
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
      if (job) await this.heal(job).catch((err: unknown) => console.error(`healer: file ${job!.fileId}: ${errorText(err)}`));
      else await this.sleep(this.settings.pollMs);
    }
  }

  /**
   * Heals one claimed file: rebuilds its lost chunks and moves the chunks queued for moving. Always
   * gives the claim back (or loses it to a lease that ran out).
   */
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
    const done: number[] = [];
    let rebuilding: number[] = [];
    let waitFor = 0;
    const targets = new Map<number, Target>();
    try {
      const file = await this.metadata.getFile(job.fileId);
      if (!file || file.status !== 'completed' || !file.checksum) {
        done.push(...job.chunkNumbers, ...job.moveNumbers);
        return;
      }
      const chunks = await this.metadata.getChunks(job.fileId);
      const byNumber = new Map(chunks.map((c) => [c.chunk_number, c]));
      // Queued chunks, and any other chunk the metadata already knows is not there.
      const lost = new Set([...job.chunkNumbers, ...chunks.filter((c) => c.state !== 'ok').map((c) => c.chunk_number)]);
      const rebuild: ChunkRow[] = [];
      const move: ChunkRow[] = [];
      for (const n of new Set([...lost, ...job.moveNumbers])) {
        const chunk = byNumber.get(n);
        if (!chunk) {
          done.push(n); // not a chunk of this file (a small file has fewer)
          continue;
        }
        const verdict = triage(
          { chunkNumber: n, nodeId: chunk.node_id, state: chunk.state },
          chunk.node_id === null ? undefined : this.registry.view(chunk.node_id),
        );
        if (verdict === 'rebuild') rebuild.push(chunk);
        else if (verdict === 'wait') waitFor = this.waitRetryMs();
        else if (!lost.has(n)) move.push(chunk); // read while it is copied: the copy is checked after
        else {
          try {
            const condition = await checkChunk(this.registry.clientFor(chunk.node_id!, chunk.address!), chunk.chunk_id, chunk.size);
            if (condition.intact) done.push(n); // a false alarm: the node has it
            else rebuild.push(chunk);
          } catch {
            waitFor = this.waitRetryMs(); // the node could not be asked: ask again later
          }
        }
      }
      if (rebuild.length === 0 && move.length === 0) return;

      const pending = await this.store.pendingDeletionNodes([...rebuild, ...move].map((c) => c.chunk_id));
      const layout = { unit: file.stripe_unit, width: file.stripe_width, parity: file.parity_width };
      const leaving = new Set([...rebuild, ...move].map((c) => c.chunk_number));
      const avoid = (c: ChunkRow, moving: boolean): Set<number> => {
        const nodes = new Set([...(pending.get(c.chunk_id) ?? [])].filter((id) => id !== c.node_id));
        if (moving && c.node_id !== null) nodes.add(c.node_id); // a move goes elsewhere
        return nodes;
      };
      const plan = chooseRebuildTargets(
        chunks
          .filter((c) => !leaving.has(c.chunk_number))
          .map((c) => ({ chunkNumber: c.chunk_number, nodeId: c.node_id, state: c.state })),
        [
          ...rebuild.map((c) => ({ chunkNumber: c.chunk_number, bytes: chunkLength(file.size, c.chunk_number, layout), avoid: avoid(c, false) })),
          ...move.map((c) => ({ chunkNumber: c.chunk_number, bytes: chunkLength(file.size, c.chunk_number, layout), avoid: avoid(c, true) })),
        ],
        this.registry.candidates(),
      );
      const rebuildNumbers = new Set(rebuild.map((c) => c.chunk_number));
      for (const [n, nodeId] of plan) {
        const chunk = byNumber.get(n)!;
        if (nodeId === null) waitFor = this.waitRetryMs(); // no writable node for it now
        else {
          targets.set(n, {
            kind: rebuildNumbers.has(n) ? 'heal' : 'move',
            nodeId,
            client: this.registry.client(nodeId),
            chunkId: chunk.chunk_id,
            fromNode: chunk.node_id,
            fromAddress: chunk.address,
          });
        }
      }
      if (targets.size === 0) return;
      rebuilding = [...targets.keys()];
      const healing = rebuilding.filter((n) => rebuildNumbers.has(n));
      if (healing.length > 0) await this.store.markHealing(file.id, healing);
      const sizes = await rebuildChunks(
        { ...file, checksum: file.checksum },
        chunks,
        new Map([...targets].map(([n, t]) => [n, t.client])),
        new Set(healing),
        {
          access: this.registry,
          coder: this.coder,
          stallMs: this.settings.stallMs,
          throttle: this.throttle,
          signal: lease.signal,
        },
      );
      // What the nodes hold now is what was sent: ask each before the metadata points at it.
      for (const [n, t] of targets) {
        const condition = await checkChunk(t.client, t.chunkId, sizes.get(n)!);
        if (!condition.intact) throw new Error(`rebuilt chunk ${n}: ${condition.problem}`);
      }
      const moves: ChunkMove[] = [...targets].map(([n, t]) => ({
        kind: t.kind,
        chunkNumber: n,
        fromNode: t.fromNode,
        toNode: t.nodeId,
        size: sizes.get(n)!,
      }));
      const orphaned = await this.store.switchChunks(file.id, moves, this.settings.claimant);
      done.push(...rebuilding);
      rebuilding = [];
      if (orphaned.length > 0) {
        // The file was deleted while it was healed: its new copies go too.
        await this.metadata.queueDeletions(orphaned.map((m) => ({ nodeId: m.toNode, chunkId: targets.get(m.chunkNumber)!.chunkId })), 0);
      }
      for (const m of moves) if (!orphaned.includes(m)) this.registry.stored(m.toNode, m.size);
      // The old copies were queued for deletion with the switch; delete them now where their node answers.
      await this.deleter.deleteNow(
        [...targets.values()]
          .filter((t) => t.fromNode !== null && t.fromAddress !== null && t.fromNode !== t.nodeId)
          .map((t) => ({ nodeId: t.fromNode!, address: t.fromAddress!, chunkId: t.chunkId })),
      );
      console.error(
        `healer: file ${file.id}: ${moves.map((m) => `${m.kind === 'heal' ? 'rebuilt' : 'moved'} chunk ${m.chunkNumber} to node ${m.toNode}`).join(', ')}`,
      );
    } catch (err) {
      if (rebuilding.length > 0) await this.failed(job, rebuilding, targets, err);
      throw err;
    } finally {
      clearInterval(renew);
      this.stopping.signal.removeEventListener('abort', onStop);
      const failed = rebuilding.length > 0;
      const retryMs = failed ? Math.min(300_000, 1000 * 2 ** Math.min(job.attempts, 8)) : waitFor;
      await this.store
        .releaseClaim(job.fileId, this.settings.claimant, done, retryMs, failed ? 'rebuild failed' : null)
        .catch(() => undefined); // the lease runs out and the file is tried again
    }
  }

  /**
   * A failed rebuild: the chunks stay untrusted and the attempt is recorded. New copies some nodes
   * may have committed before another failed are queued for deletion (never the chunk's own node).
   */
  private async failed(
    job: HealJob,
    chunkNumbers: number[],
    targets: Map<number, Target>,
    err: unknown,
  ): Promise<void> {
    const copies = [...targets.values()].filter((t) => t.nodeId !== t.fromNode).map((t) => ({ nodeId: t.nodeId, chunkId: t.chunkId }));
    await this.metadata.queueDeletions(copies, 0).catch(() => undefined);
    const healing = chunkNumbers.filter((n) => targets.get(n)?.kind === 'heal');
    await this.store.markMissing(job.fileId, healing).catch(() => undefined);
    await this.store.recordHealFailure(job.fileId, chunkNumbers, this.settings.claimant, errorText(err)).catch(() => undefined);
  }

  /** How long a chunk whose node is down waits before it is looked at again. */
  private waitRetryMs(): number {
    return Math.max(1_000, Math.min(30_000, this.settings.deadAfterMs / 4));
  }
}
