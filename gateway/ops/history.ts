// The last hour of a few key series, kept in memory at a fixed step for GET /admin/history, so the
// console can draw them without a Prometheus server. Each step reads cumulative counters (bytes
// moved, requests, errors) and gauges (heal queue, per-node fill and latency); rates are the
// counters' growth over the step. Pure: the sampler feeds it readings and times.

export interface Reading {
  /** Cumulative since the process started: rates come from their growth. */
  counters: { uploadBytes: number; downloadBytes: number; requests: number; errors: number };
  healQueueFiles: number | null;
  nodes: Array<{ id: number; address: string; fill: number | null; latencyMs: number | null }>;
}

export interface HistoryPoint {
  t: string; // ISO time of the end of the step
  seconds: number; // the step's actual length (timers drift; the rates are over this)
  upload_bytes_per_second: number;
  download_bytes_per_second: number;
  requests_per_second: number;
  errors_per_second: number;
  heal_queue_files: number | null;
  nodes: Array<{ id: number; address: string; fill: number | null; latency_ms: number | null }>;
}

export class History {
  private readonly points: HistoryPoint[] = [];
  private last: { at: number; counters: Reading['counters'] } | null = null;

  constructor(
    readonly stepMs: number,
    private readonly capacity: number,
  ) {}

  /** Adds the step that ends at `atMs` (the first reading only sets the baseline). */
  record(atMs: number, reading: Reading): void {
    const previous = this.last;
    this.last = { at: atMs, counters: { ...reading.counters } };
    if (!previous || atMs <= previous.at) return;
    const seconds = (atMs - previous.at) / 1000;
    // A counter that went down was reset (a restart of its source): that step counts from zero.
    const rate = (now: number, before: number): number => Math.round(((now >= before ? now - before : now) / seconds) * 100) / 100;
    const c = reading.counters;
    const p = previous.counters;
    this.points.push({
      t: new Date(atMs).toISOString(),
      seconds,
      upload_bytes_per_second: rate(c.uploadBytes, p.uploadBytes),
      download_bytes_per_second: rate(c.downloadBytes, p.downloadBytes),
      requests_per_second: rate(c.requests, p.requests),
      errors_per_second: rate(c.errors, p.errors),
      heal_queue_files: reading.healQueueFiles,
      nodes: reading.nodes.map((n) => ({ id: n.id, address: n.address, fill: n.fill, latency_ms: n.latencyMs })),
    });
    if (this.points.length > this.capacity) this.points.splice(0, this.points.length - this.capacity);
  }

  /** Oldest first. */
  list(): HistoryPoint[] {
    return [...this.points];
  }
}
