// Per storage node, as this gateway sees it: health, circuit breaker, fill (read from the node
// registry at scrape time), and the duration and failures of every gRPC call made to it. The
// `node` label is the node's id in the database: bounded by the cluster's size.
import { status as grpcStatus } from '@grpc/grpc-js';
import { Counter, Gauge, Histogram } from 'prom-client';
import { CALL_BUCKETS, PREFIX, registry, secondsSince } from './registry.js';

/** What the collectors read from the node registry. */
export interface NodeView {
  list(): { id: number; address: string; name: string | null; status: string; totalSpace: number | null; availableSpace: number | null; usedSpace: number }[];
  isAvailable(nodeId: number): boolean;
}

const STATUSES = ['unknown', 'healthy', 'low_space', 'down', 'dead'] as const;

let nodes: NodeView | undefined;

/** Where the per-node gauges read the nodes from (the gateway's node registry). */
export function watchNodes(view: NodeView): void {
  nodes = view;
}

/** A gauge whose series are set afresh at each scrape, so that a node removed disappears. */
function nodeGauge<T extends string>(name: string, help: string, labelNames: readonly T[], fill: (g: Gauge<T>, view: NodeView) => void): void {
  new Gauge<T>({
    name: `${PREFIX}${name}`,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      if (nodes) fill(this, nodes);
    },
  });
}

nodeGauge('node_info', 'Always 1: the address and node id (as the node reports it) of each registered node', ['node', 'address', 'name'], (g, view) => {
  for (const n of view.list()) g.set({ node: String(n.id), address: n.address, name: n.name ?? '' }, 1);
});

nodeGauge(
  'node_health',
  `1 for the status each node has (${STATUSES.join(', ')}), 0 for the others`,
  ['node', 'status'],
  (g, view) => {
    for (const n of view.list()) for (const s of STATUSES) g.set({ node: String(n.id), status: s }, n.status === s ? 1 : 0);
  },
);

nodeGauge('node_circuit_open', "1 while the node's circuit breaker is open (no calls are tried), else 0", ['node'], (g, view) => {
  for (const n of view.list()) g.set({ node: String(n.id) }, view.isAvailable(n.id) ? 0 : 1);
});

nodeGauge('node_capacity_bytes', "Size of the node's disk, as its last health probe reported", ['node'], (g, view) => {
  for (const n of view.list()) if (n.totalSpace !== null) g.set({ node: String(n.id) }, n.totalSpace);
});

nodeGauge('node_available_bytes', "Free space on the node's disk, as its last health probe reported", ['node'], (g, view) => {
  for (const n of view.list()) if (n.availableSpace !== null) g.set({ node: String(n.id) }, n.availableSpace);
});

nodeGauge('node_used_bytes', 'Chunk bytes the node holds: its last report plus chunks stored since', ['node'], (g, view) => {
  for (const n of view.list()) g.set({ node: String(n.id) }, n.usedSpace);
});

const callDuration = new Histogram({
  name: `${PREFIX}node_call_duration_seconds`,
  help: 'Duration of gRPC calls to storage nodes by node and call (HealthCheck, PutChunk, GetChunk, ...); streams last their whole transfer',
  labelNames: ['node', 'call'] as const,
  buckets: CALL_BUCKETS,
  registers: [registry],
});

const callErrors = new Counter({
  name: `${PREFIX}node_call_errors_total`,
  help: 'gRPC calls to storage nodes that ended in an error status, by node and call (calls the gateway cancelled itself are not counted)',
  labelNames: ['node', 'call'] as const,
  registers: [registry],
});

export interface NodeCallTotal {
  node: number;
  call: string;
  count: number;
  seconds: number; // summed durations
  errors: number;
}

/**
 * Cumulative calls per node and kind since this process started, for a sampler that derives
 * latencies from their growth (HealthCheck is the plainest measure of a node's responsiveness).
 */
export async function nodeCallTotals(): Promise<NodeCallTotal[]> {
  const [durations, errors] = await Promise.all([callDuration.get(), callErrors.get()]);
  const totals = new Map<string, NodeCallTotal>();
  const entry = (labels: Record<string, unknown>): NodeCallTotal => {
    const key = `${String(labels.node)} ${String(labels.call)}`;
    let t = totals.get(key);
    if (!t) totals.set(key, (t = { node: Number(labels.node), call: String(labels.call), count: 0, seconds: 0, errors: 0 }));
    return t;
  };
  for (const v of durations.values) {
    const name = (v as { metricName?: string }).metricName ?? '';
    if (name.endsWith('_count')) entry(v.labels).count = v.value;
    else if (name.endsWith('_sum')) entry(v.labels).seconds = v.value;
  }
  for (const v of errors.values) entry(v.labels).errors = v.value;
  return [...totals.values()].sort((a, b) => a.node - b.node || a.call.localeCompare(b.call));
}

/** A call's end as grpc-js reports it on every call object, unary or streaming. */
export interface CallStatusEmitter {
  once(event: 'status', listener: (status: { code: number }) => void): unknown;
}

/**
 * Observes one call to node `nodeId` until its status arrives. `answers`: statuses besides OK that
 * are an answer rather than a failure (NOT_FOUND for a deletion: the chunk is gone either way).
 * Node 0 is an address being probed before registration: not a node yet, not observed.
 */
export function observeNodeCall(nodeId: number, call: string, emitter: CallStatusEmitter, answers: readonly number[] = []): void {
  if (nodeId <= 0) return;
  const start = performance.now();
  emitter.once('status', ({ code }) => {
    const labels = { node: String(nodeId), call };
    callDuration.observe(labels, secondsSince(start));
    if (code !== grpcStatus.OK && code !== grpcStatus.CANCELLED && !answers.includes(code)) callErrors.inc(labels);
  });
}
