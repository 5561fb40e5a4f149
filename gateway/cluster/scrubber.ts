// Walks every chunk of every file at a bounded rate and asks its node whether it holds it intact
// (the node checks in place; the bytes do not cross the network). What is absent, short, corrupt or
// recorded as missing is queued for healing. One pass at a time across all gateways (a lease in
// scrub_runs); the cursor is saved every few seconds, so a pass resumes after a restart.
import type { RepairStore, ScrubChunk } from '../metadata/repair-store.js';
import { Throttle } from '../data/throttle.js';
import { checkChunk } from './chunk-check.js';
import type { NodeRegistry } from './node-registry.js';
import { chunkScrubbed } from '../metrics/repair-metrics.js';
import { log } from '../../proto/log.js';

/** The cursor is saved at least this often, so a restart repeats little. */
const SAVE_EVERY_MS = 5_000;

export interface ScrubberSettings {
  claimant: string;
  intervalMs: number; // from the end of one pass to the start of the next
  bytesPerSecond: number; // chunk bytes verified per second (0: no limit)
  leaseMs: number;
  pollMs: number;
  batch: number;
}

export class Scrubber {
  private readonly throttle: Throttle;
  private stopped = false;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: RepairStore,
    private readonly registry: NodeRegistry,
    private readonly onQueued: () => void,
    private readonly settings: ScrubberSettings,
  ) {
    this.throttle = new Throttle(settings.bytesPerSecond);
  }

  start(): void {
    const tick = (): void => {
      this.running ??= this.runOnce()
        .catch((err: unknown) => log.error(`scrubber: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => (this.running = null));
    };
    tick();
    this.timer = setInterval(tick, this.settings.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Works on the current pass (or starts one when due) until it ends, this gateway stops, or the lease is lost. */
  async runOnce(): Promise<void> {
    const { claimant, leaseMs, batch } = this.settings;
    const run = await this.store.claimScrub(claimant, leaseMs, this.settings.intervalMs);
    if (!run) return;
    let lost = false;
    const none = { cursor: null, chunks: 0, bytes: 0, problems: 0, finished: false };
    // The lease is renewed on its own timer: one large chunk at a low rate may take longer than it.
    const renew = setInterval(() => {
      this.store
        .scrubProgress(run.id, claimant, leaseMs, none)
        .then((kept) => (lost ||= !kept))
        .catch(() => undefined);
    }, leaseMs / 3);
    let step = { chunks: 0, bytes: 0, problems: 0, last: null as ScrubChunk | null };
    let savedAt = Date.now();
    const save = async (finished: boolean): Promise<boolean> => {
      const kept = await this.store.scrubProgress(run.id, claimant, leaseMs, { ...step, cursor: step.last, finished });
      step = { chunks: 0, bytes: 0, problems: 0, last: null };
      savedAt = Date.now();
      return kept;
    };
    try {
      let cursor = { fileId: run.cursorFileId, chunk: run.cursorChunk };
      for (;;) {
        const chunks = await this.store.chunksAfter(cursor.fileId, cursor.chunk, batch);
        for (const chunk of chunks) {
          if (this.stopped || lost) break;
          await this.throttle.take(chunk.size);
          const problem = await this.inspect(chunk);
          if (problem) {
            step.problems += 1;
            await this.store.queueHeal(chunk.fileId, [chunk.chunkNumber], `scrub: ${problem}`);
            this.onQueued();
          }
          step.chunks += 1;
          step.bytes += chunk.size;
          chunkScrubbed(chunk.size, problem !== null);
          step.last = chunk;
          cursor = { fileId: chunk.fileId, chunk: chunk.chunkNumber };
          if (Date.now() - savedAt >= SAVE_EVERY_MS && !(await save(false))) return;
        }
        if (this.stopped || lost) {
          await save(false); // what was checked counts; the next gateway goes on from there
          return;
        }
        if (chunks.length < batch) {
          await save(true);
          return;
        }
      }
    } finally {
      clearInterval(renew);
    }
  }

  /** What is wrong with a chunk, or null when it is fine or cannot be judged now (node down). */
  private async inspect(chunk: ScrubChunk): Promise<string | null> {
    if (chunk.state !== 'ok' || chunk.nodeId === null || chunk.address === null) return `chunk ${chunk.state}, not on any node`;
    const view = this.registry.view(chunk.nodeId);
    if (view?.dead) return `node ${chunk.address} is dead`;
    if (!view?.available) return null; // down, not dead: NODE_DEAD_AFTER_MS decides
    try {
      const condition = await checkChunk(
        this.registry.clientFor(chunk.nodeId, chunk.address),
        chunk.chunkId,
        chunk.size,
      );
      return condition.intact ? null : condition.problem;
    } catch {
      return null; // the node did not answer: its health decides, not this chunk
    }
  }
}
