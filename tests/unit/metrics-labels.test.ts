// The label values of the gateway's metrics come from small fixed sets, whatever the request; and
// every metric of the gateway and the storage node follows the Prometheus naming conventions.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { methodLabel, routeLabel, statementLabel, statusLabel } from '../../gateway/metrics/labels.js';
import { registry as gatewayRegistry } from '../../gateway/metrics/registry.js';
import '../../gateway/metrics/http-metrics.js';
import '../../gateway/metrics/node-metrics.js';
import '../../gateway/metrics/repair-metrics.js';
import '../../gateway/metrics/database-metrics.js';
import { registry as nodeRegistry, resultOf } from '../../storage-node/node-metrics.js';
import { ChunkError } from '../../storage-node/chunk-errors.js';
import { Counter, Gauge, Registry } from 'prom-client';
import { parseExposition } from '../helpers/prometheus-text.js';

describe('label values', () => {
  it('methods: the usual seven as they are, anything else OTHER', () => {
    expect(['get', 'HEAD', 'Put', 'POST', 'delete', 'OPTIONS', 'PATCH'].map(methodLabel)).toEqual(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH']);
    const odd = ['PROPFIND', 'MKCOL', 'SEARCH', 'TRACE', 'CONNECT', '', undefined, `X${randomUUID()}`];
    expect(new Set(odd.map(methodLabel))).toEqual(new Set(['OTHER']));
  });

  it('statuses: the code of a response sent whole, aborted for one cut, other for nonsense', () => {
    expect(statusLabel(true, 200)).toBe('200');
    expect(statusLabel(true, 404)).toBe('404');
    expect(statusLabel(false, 200)).toBe('aborted');
    expect(statusLabel(true, 0)).toBe('other');
    expect(statusLabel(true, 1000)).toBe('other');
    expect(statusLabel(true, 200.5)).toBe('other');
  });

  it('routes: the matched pattern, never the path; unmatched without a route', () => {
    const ids = Array.from({ length: 1000 }, () => randomUUID());
    // Express hands the same route object to every request it matched, whatever the id in the path.
    const route = { path: '/files/:fileId' };
    expect(new Set(ids.map(() => routeLabel(route)))).toEqual(new Set(['/files/:fileId']));
    expect(routeLabel(undefined)).toBe('unmatched');
    expect(routeLabel({})).toBe('unmatched');
    expect(routeLabel({ path: /regex/ })).toBe('unmatched');
  });

  it('SQL statements: the first keyword among the usual, else other', () => {
    expect(statementLabel('SELECT 1')).toBe('select');
    expect(statementLabel('  \n insert INTO x VALUES (1)')).toBe('insert');
    expect(statementLabel('WITH a AS (SELECT 1) SELECT * FROM a')).toBe('with');
    expect(statementLabel('BEGIN')).toBe('begin');
    expect(statementLabel('SET LOCAL statement_timeout = 1000')).toBe('other');
    expect(statementLabel(`SELECT '${randomUUID()}'`)).toBe('select');
    expect(statementLabel('')).toBe('other');
    expect(statementLabel('CREATE TABLE x ()')).toBe('other');
  });

  it("node results: ok, the chunk error's status in lower case, internal for anything else", () => {
    expect(resultOf(null)).toBe('ok');
    expect(resultOf(new ChunkError('NOT_FOUND', 'chunk x not found'))).toBe('not_found');
    expect(resultOf(new ChunkError('DATA_LOSS', 'corrupt'))).toBe('data_loss');
    expect(resultOf(new Error(`ENOSPC ${randomUUID()}`))).toBe('internal');
  });
});

/** Prometheus conventions: counters end in _total, durations are _seconds, sizes _bytes, and no label names an unbounded thing. */
async function checkConventions(text: string, prefix: string): Promise<string[]> {
  const e = parseExposition(text);
  const problems: string[] = [];
  const ours = [...e.types].filter(([name]) => name.startsWith(prefix));
  if (ours.length === 0) problems.push(`no metric named ${prefix}*`);
  for (const [name, type] of ours) {
    if (!e.helps.get(name)) problems.push(`${name}: no HELP`);
    if (type === 'counter' && !name.endsWith('_total')) problems.push(`${name}: a counter not named *_total`);
    if (type !== 'counter' && name.endsWith('_total')) problems.push(`${name}: a ${type} named *_total`);
    if (/duration|latency|_time/.test(name) && !/_seconds(_total)?$/.test(name)) problems.push(`${name}: a time not in seconds`);
    if (/bytes/.test(name) && !/_bytes(_total)?$/.test(name)) problems.push(`${name}: bytes not named *_bytes`);
    if (/_(ms|milliseconds|kb|mb|mib|percent)(_|$)/.test(name)) problems.push(`${name}: not a base unit`);
  }
  for (const s of e.samples.filter((x) => x.name.startsWith(prefix))) {
    for (const label of Object.keys(s.labels)) {
      if (/^(file|file_id|id|path|url|key|object|bucket|chunk|chunk_id|token|user)$/.test(label)) problems.push(`${s.name}: label ${label} is unbounded`);
    }
  }
  return problems;
}

describe('metric names', () => {
  it('the check finds what breaks the conventions', async () => {
    const bad = new Registry();
    new Counter({ name: 'objstore_requests', help: 'x', registers: [bad] });
    new Gauge({ name: 'objstore_queue_total', help: 'x', registers: [bad] });
    new Gauge({ name: 'objstore_fsync_duration_ms', help: 'x', registers: [bad] });
    new Gauge({ name: 'objstore_bytes_free', help: 'x', registers: [bad] });
    new Counter({ name: 'objstore_reads_total', help: 'x', labelNames: ['file_id'], registers: [bad] }).inc({ file_id: 'f' });
    new Gauge({ name: 'objstore_a', help: 'x', registers: [bad] });
    const problems = await checkConventions(await bad.metrics(), 'objstore_');
    expect(problems).toEqual([
      'objstore_requests: a counter not named *_total',
      'objstore_queue_total: a gauge named *_total',
      'objstore_fsync_duration_ms: a time not in seconds',
      'objstore_fsync_duration_ms: not a base unit',
      'objstore_bytes_free: bytes not named *_bytes',
      'objstore_reads_total: label file_id is unbounded',
    ]);
  });

  it('the gateway: objstore_*, counters *_total, seconds and bytes, HELP everywhere, the process metrics too', async () => {
    const text = await gatewayRegistry.metrics();
    expect(await checkConventions(text, 'objstore_')).toEqual([]);
    expect(text).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
  });

  it('the storage node: objstore_storage_*, the same conventions', async () => {
    const text = await nodeRegistry.metrics();
    expect(await checkConventions(text, 'objstore_storage_')).toEqual([]);
    expect(text).toMatch(/^# TYPE process_resident_memory_bytes gauge$/m);
  });
});
