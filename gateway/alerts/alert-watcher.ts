// Watches the system for the events of alerting: node status changes as the registry sees them
// (at once), and on every ALERT_POLL_MS tick the disks' fill, the downloads that found a file
// unreadable, the redundancy report (unreadable files, the heal queue) and the database.
import type { NodeState, NodeStatusListener } from '../cluster/node-registry.js';
import type { RedundancyReport } from '../metadata/repair-store.js';
import type { AlertSink } from './alerts.js';
import { DiskFillAlarm, diskFill } from './disk-fill-alarm.js';
import { HealStallDetector } from './heal-stall.js';
import { nodeTransition } from './node-transition.js';
import { Reachability } from './reachability.js';
import { UnreadableReads } from './unreadable-reads.js';

/** Failed database probes in a row that make it unreachable. */
export const DATABASE_FAILURES = 2;
export const DATABASE_PROBE_MS = 2_000;

export interface AlertWatcherDeps {
  alerts: AlertSink & { flushRepeats(): void };
  nodes: { list(): NodeState[]; onStatusChange(listener: NodeStatusListener): void };
  redundancy(): Promise<Pick<RedundancyReport, 'unreadable' | 'heal_queue' | 'heals' | 'moves'>>;
  /** Resolves when the database answers within DATABASE_PROBE_MS. */
  probeDatabase(timeoutMs: number): Promise<void>;
}

export interface AlertWatcherOptions {
  pollMs: number; // ALERT_POLL_MS
  diskFill: number; // ALERT_DISK_FILL, 0..1
  healStallMs: number; // ALERT_HEAL_STALL_MS
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

export class AlertWatcher {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly fill: DiskFillAlarm;
  private readonly stall: HealStallDetector;
  private readonly database = new Reachability(DATABASE_FAILURES);
  private readonly reads = new UnreadableReads();
  private unreadableFiles = 0; // in the last redundancy report
  private probing = false;
  private reporting = false;

  constructor(
    private readonly deps: AlertWatcherDeps,
    private readonly options: AlertWatcherOptions,
  ) {
    this.fill = new DiskFillAlarm(options.diskFill);
    this.stall = new HealStallDetector(options.healStallMs);
    // Subscribed before the registry's first probes, so a node down at start is reported too.
    deps.nodes.onStatusChange((state, previous) => this.nodeChanged(state, previous));
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.options.pollMs);
    this.timer.unref();
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** A download found too few readable chunks of a file (the data path calls this; it only counts). */
  unreadableRead(fileId: string, message: string): void {
    this.reads.record(fileId, message);
  }

  private nodeChanged(state: NodeState, previous: NodeState['status']): void {
    if (this.stopped) return;
    const kind = nodeTransition(previous, state.status);
    if (kind === undefined) return;
    const what =
      kind === 'node_up'
        ? 'answers again'
        : kind === 'node_dead'
          ? 'has been down longer than NODE_DEAD_AFTER_MS: its chunks are rebuilt on other nodes'
          : 'is down (its circuit breaker opened)';
    this.deps.alerts.emit({
      event: kind,
      subject: state.address,
      message: `storage node ${state.id} at ${state.address}${state.name ? ` (${state.name})` : ''} ${what}`,
      details: {
        node_id: state.id,
        address: state.address,
        name: state.name,
        status: state.status,
        previous_status: previous,
        error: state.error,
        last_seen_at: state.lastSeenAt?.toISOString() ?? null,
      },
    });
  }

  private tick(): void {
    if (this.stopped) return;
    this.checkDisks();
    this.reportUnreadableReads();
    this.deps.alerts.flushRepeats();
    // Each on its own, and never two of one kind at once: a database that hangs holds up neither
    // the rest nor a pile of probes.
    if (!this.probing) {
      this.probing = true;
      void this.checkDatabase().finally(() => (this.probing = false));
    }
    if (!this.reporting) {
      this.reporting = true;
      void this.checkReport().finally(() => (this.reporting = false));
    }
  }

  private checkDisks(): void {
    const nodes = this.deps.nodes.list();
    for (const node of nodes) {
      // The figures of a node that does not answer are those of its last probe: not news.
      if (node.status !== 'healthy' && node.status !== 'low_space') continue;
      const fill = diskFill(node.totalSpace, node.availableSpace);
      if (fill === undefined || !this.fill.observe(node.address, fill)) continue;
      this.deps.alerts.emit({
        event: 'disk_fill',
        subject: node.address,
        message: `the disk of storage node ${node.id} at ${node.address} is ${(fill * 100).toFixed(1)}% full (ALERT_DISK_FILL ${this.options.diskFill})`,
        details: {
          node_id: node.id,
          address: node.address,
          name: node.name,
          fill: round(fill),
          threshold: this.options.diskFill,
          total_space: node.totalSpace,
          available_space: node.availableSpace,
        },
      });
    }
    this.fill.keepOnly(new Set(nodes.map((n) => n.address)));
  }

  private reportUnreadableReads(): void {
    const batch = this.reads.take();
    if (batch === undefined) return;
    this.deps.alerts.emit({
      event: 'file_unreadable',
      subject: 'downloads',
      message: `${batch.reads} download(s) of ${batch.fileIds.length === 1 ? `file ${batch.fileIds[0]}` : 'files'} failed: too few chunks readable (${batch.firstMessage})`,
      details: { reads: batch.reads, file_ids: batch.fileIds },
    });
  }

  private async checkDatabase(): Promise<void> {
    let ok = true;
    let error = '';
    try {
      await this.deps.probeDatabase(DATABASE_PROBE_MS);
    } catch (err) {
      ok = false;
      error = (err as Error).message;
    }
    if (this.stopped) return;
    const change = this.database.record(ok);
    if (change === 'unreachable') {
      this.deps.alerts.emit({
        event: 'database_unreachable',
        subject: 'database',
        message: `the metadata database does not answer (${DATABASE_FAILURES} probes in a row failed: ${error}); requests get 503`,
        details: { error, probes_failed: DATABASE_FAILURES },
      });
    } else if (change === 'back') {
      this.deps.alerts.emit({ event: 'database_back', subject: 'database', message: 'the metadata database answers again', details: {} });
    }
  }

  private async checkReport(): Promise<void> {
    let report;
    try {
      report = await this.deps.redundancy();
    } catch {
      return; // the database is down: its own event says so; no heal-queue verdict without figures
    }
    if (this.stopped) return;
    if (report.unreadable > this.unreadableFiles) {
      this.deps.alerts.emit({
        event: 'file_unreadable',
        subject: 'redundancy',
        message: `${report.unreadable} file(s) have lost more chunks than they have parity units (${this.unreadableFiles} before): they cannot be read until nodes come back`,
        details: { unreadable: report.unreadable, previous: this.unreadableFiles },
      });
    }
    this.unreadableFiles = report.unreadable;
    const now = Date.now();
    const sample = { files: report.heal_queue.files, completed: report.heals.done + report.moves.done };
    if (this.stall.observe(sample, now)) {
      const forMs = this.stall.stalledForMs(now);
      this.deps.alerts.emit({
        event: 'heal_queue_stalled',
        subject: 'heal_queue',
        message: `the heal queue holds ${sample.files} file(s) and has not drained for ${Math.round(forMs / 1000)} s (ALERT_HEAL_STALL_MS ${this.options.healStallMs})`,
        details: { queue: report.heal_queue, stalled_ms: forMs, heals_failed: report.heals.failed },
      });
    }
  }
}
