// node dist/tests/bench/metrics-bench.js — what the metrics cost: the per-request instrumentation
// of both APIs, the per-call instrumentation of node calls, bare counter increments and histogram
// observations (10,000 of each, best of 5 runs), and a whole scrape of the gateway's registry with
// the series a busy gateway has (6 nodes, every call, 40 request series).
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';
import { observeRequest } from '../../gateway/metrics/http-metrics.js';
import { observeNodeCall, watchNodes } from '../../gateway/metrics/node-metrics.js';
import { degradedRead } from '../../gateway/metrics/repair-metrics.js';
import '../../gateway/metrics/database-metrics.js';
import { scrape } from '../../gateway/metrics/registry.js';
import { putEnded, registry as nodeRegistry } from '../../storage-node/node-metrics.js';

const N = 10_000;
const RUNS = 5;

/** Best of RUNS: milliseconds for N calls of `op`. */
function bestMs(op: (i: number) => void): number {
  for (let i = 0; i < N; i++) op(i); // warm-up
  let best = Infinity;
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) op(i);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

const scratch = new Registry();
const counter = new Counter({ name: 'bench_requests_total', help: 'x', labelNames: ['api', 'route', 'method', 'status'], registers: [scratch] });
const histogram = new Histogram({
  name: 'bench_duration_seconds',
  help: 'x',
  labelNames: ['api', 'route', 'method'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [scratch],
});
const ROUTES = ['/files', '/files/:fileId', '/files/:fileId/metadata', 'unmatched', '/health'];

/** A response that closes at once, as node:http's does at the end of a request. */
function fakeExchange(i: number): { req: IncomingMessage; res: ServerResponse } {
  const res = Object.assign(new EventEmitter(), { writableFinished: true, statusCode: i % 10 === 0 ? 404 : 200 });
  return { req: { method: 'GET' } as IncomingMessage, res: res as unknown as ServerResponse };
}

const rows: Array<[string, number]> = [];
rows.push(['counter inc, 4 labels', bestMs((i) => counter.inc({ api: 'rest', route: ROUTES[i % 5]!, method: 'GET', status: '200' }))]);
rows.push(['histogram observe, 3 labels', bestMs((i) => histogram.observe({ api: 'rest', route: ROUTES[i % 5]!, method: 'GET' }, (i % 100) / 1000))]);
rows.push(['counter inc, no label', bestMs(() => degradedRead())]);
rows.push([
  'per HTTP request (observeRequest + close)',
  bestMs((i) => {
    const { req, res } = fakeExchange(i);
    observeRequest(i % 2 ? 'rest' : 's3', req, res, () => ROUTES[i % 5]!);
    (res as unknown as EventEmitter).emit('close');
  }),
]);
rows.push([
  'per node call (observeNodeCall + status)',
  bestMs((i) => {
    const call = new EventEmitter();
    observeNodeCall((i % 6) + 1, i % 3 ? 'GetChunk' : 'PutChunk', call as never);
    call.emit('status', { code: 0 });
  }),
]);
rows.push(['node: PutChunk result counter', bestMs(() => putEnded(null))]);

// A scrape with the series of a busy gateway: 6 nodes with all their calls, 40 request series.
watchNodes({
  list: () =>
    [1, 2, 3, 4, 5, 6].map((id) => ({ id, address: `10.0.0.${id}:50051`, name: `node-${id}`, status: 'healthy', totalSpace: 1e12, availableSpace: 5e11, usedSpace: 4e11 })),
  isAvailable: () => true,
});
for (const call of ['HealthCheck', 'PutChunk', 'GetChunk', 'DeleteChunk', 'VerifyChunk', 'ListChunks']) {
  for (let id = 1; id <= 6; id++) {
    const e = new EventEmitter();
    observeNodeCall(id, call, e as never);
    e.emit('status', { code: 0 });
  }
}
for (let i = 0; i < 40; i++) {
  const { req, res } = fakeExchange(i);
  observeRequest('rest', req, res, () => `route-${i}`);
  (res as unknown as EventEmitter).emit('close');
}
let bytes = 0;
const scrapes = 50;
await scrape();
const start = process.hrtime.bigint();
for (let i = 0; i < scrapes; i++) bytes = (await scrape()).body.length;
const scrapeMs = Number(process.hrtime.bigint() - start) / 1e6 / scrapes;
const nodeStart = process.hrtime.bigint();
let nodeBytes = 0;
for (let i = 0; i < scrapes; i++) nodeBytes = (await nodeRegistry.metrics()).length;
const nodeScrapeMs = Number(process.hrtime.bigint() - nodeStart) / 1e6 / scrapes;

console.log(`metrics cost (${N.toLocaleString('en')} operations, best of ${RUNS} runs; Node ${process.version})`);
for (const [name, ms] of rows) console.log(`  ${name.padEnd(44)} ${ms.toFixed(2).padStart(7)} ms per ${N.toLocaleString('en')}  ${((ms * 1e6) / N).toFixed(0).padStart(6)} ns each`);
console.log(`  ${'gateway scrape (no database attached)'.padEnd(44)} ${scrapeMs.toFixed(2).padStart(7)} ms each  (${bytes.toLocaleString('en')} bytes of text)`);
console.log(`  ${'storage node scrape (no store attached)'.padEnd(44)} ${nodeScrapeMs.toFixed(2).padStart(7)} ms each  (${nodeBytes.toLocaleString('en')} bytes of text)`);
process.exit(0);
