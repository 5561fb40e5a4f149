// Feeds the History every step from what this gateway measures anyway: the HTTP totals and node
// call durations of its metrics, its node registry, and the heal queue's length (a cheap query,
// skipped when the pool is busy). Runs on a timer that does not keep the process alive.
import { httpTotals } from '../metrics/http-metrics.js';
import { nodeCallTotals } from '../metrics/node-metrics.js';
import { diskFill, type NodeRegistry } from '../cluster/node-registry.js';
import { round3 } from './round.js';
import { queueLengths } from '../metadata/queue-lengths.js';
import type pg from 'pg';
import { History } from './history.js';
import { log } from '../../proto/log.js';

const WINDOW_MS = 3_600_000; // the last hour

export class HistorySampler {
  readonly history: History;
  private timer: NodeJS.Timeout | undefined;
  /** Health-check calls per node at the previous step, for the latency of the step. */
  private lastChecks = new Map<number, { count: number; seconds: number }>();

  constructor(
    private readonly registry: NodeRegistry,
    private readonly pool: pg.Pool,
    stepMs: number,
  ) {
    this.history = new History(stepMs, Math.ceil(WINDOW_MS / stepMs));
  }

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.history.stepMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    try {
      const [counters, calls, queues] = await Promise.all([httpTotals(), nodeCallTotals(), queueLengths(this.pool).catch(() => null)]);
      const checks = new Map(calls.filter((c) => c.call === 'HealthCheck').map((c) => [c.node, c]));
      const nodes = this.registry.list().map((n) => {
        const now = checks.get(n.id);
        const before = this.lastChecks.get(n.id);
        const calls = now && before ? now.count - before.count : 0;
        return {
          id: n.id,
          address: n.address,
          fill: round3(diskFill(n)),
          latencyMs: calls > 0 ? Math.round(((now!.seconds - before!.seconds) / calls) * 10_000) / 10 : null,
        };
      });
      this.lastChecks = new Map([...checks].map(([id, c]) => [id, { count: c.count, seconds: c.seconds }]));
      this.history.record(Date.now(), { counters, healQueueFiles: queues?.healFiles ?? null, nodes });
    } catch (err) {
      log.warn(`history: a sample was skipped: ${(err as Error).message}`);
    }
  }
}
