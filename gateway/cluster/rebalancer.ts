// Evens out how full the nodes are (after a node joins, or on POST /admin/rebalance): plans moves
// from the fullest nodes to the emptiest from what the metadata places where, queues them for the
// healer (which copies, checks, switches, then deletes: no file loses redundancy on the way, and
// moves share the healer's bandwidth bound), waits until they are done and plans again, until the
// fill is within REBALANCE_TOLERANCE of the mean or nothing more can move.
import type { Metadata } from '../metadata/metadata.js';
import type { RepairStore } from '../metadata/repair-store.js';
import type { NodeRegistry } from './node-registry.js';
import { planRebalance, spreadOf, type NodeFill } from './rebalance-plan.js';
import { log } from '../../proto/log.js';

const TOLERANCE = 0.1;
const MAX_ROUNDS = 50;
const CHUNKS_PER_ROUND = 20_000;
const ROUND_LIMIT_MS = 30 * 60_000; // moves that cannot be made (no node to take them) end the rebalance

export interface RebalanceRound {
  queued: number; // chunk moves queued by this round
  spread: number; // bytes between the fullest and the emptiest writable node, before the moves
  mean: number;
  running: boolean; // a rebalance was running already
}

export class Rebalancer {
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly metadata: Metadata,
    private readonly store: RepairStore,
    private readonly registry: NodeRegistry,
    private readonly onQueued: () => void,
    private readonly pollMs: number,
  ) {}

  /** Plans and queues a first round now; further rounds follow in the background. */
  async start(reason: string): Promise<RebalanceRound> {
    if (this.running) return { ...(await this.fill()), queued: 0, running: true };
    const first = await this.round();
    if (first.queued > 0) {
      log.info(`rebalancer: ${reason}: ${first.queued} chunk moves queued (spread ${first.spread} bytes, mean ${Math.round(first.mean)})`);
      this.running = this.loop().finally(() => (this.running = null));
      this.running.catch((err: unknown) => log.error(`rebalancer: ${err instanceof Error ? err.message : String(err)}`));
    }
    return { ...first, running: false };
  }

  stop(): void {
    this.stopped = true;
  }

  private async fill(): Promise<{ nodes: NodeFill[]; spread: number; mean: number }> {
    const holdings = await this.metadata.nodeHoldings();
    const nodes = this.registry.candidates().map((c) => ({ id: c.id, bytes: holdings.get(c.id)?.bytes ?? 0 }));
    return { nodes, ...spreadOf(nodes) };
  }

  private async round(): Promise<RebalanceRound> {
    const { nodes, spread, mean } = await this.fill();
    if (spread <= TOLERANCE * mean) return { queued: 0, spread, mean, running: false };
    const fullest = nodes.filter((n) => n.bytes > mean).map((n) => n.id);
    const moves = planRebalance(nodes, await this.store.movableChunks(fullest, CHUNKS_PER_ROUND), TOLERANCE);
    const byFile = new Map<string, number[]>();
    for (const m of moves) byFile.set(m.fileId, [...(byFile.get(m.fileId) ?? []), m.chunkNumber]);
    for (const [fileId, numbers] of byFile) await this.store.queueMoves(fileId, numbers, 'rebalance');
    if (moves.length > 0) this.onQueued();
    return { queued: moves.length, spread, mean, running: false };
  }

  private async loop(): Promise<void> {
    for (let round = 1; round < MAX_ROUNDS && !this.stopped; round++) {
      const until = Date.now() + ROUND_LIMIT_MS;
      while (!this.stopped && (await this.store.queuedMoves()) > 0) {
        if (Date.now() > until) return;
        await new Promise((r) => setTimeout(r, this.pollMs));
      }
      if (this.stopped || (await this.round()).queued === 0) return;
    }
  }
}
