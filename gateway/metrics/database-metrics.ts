// The metadata database as the gateway uses it: the connection pool (read at scrape time) and the
// duration and failures of every query, by statement kind.
import type pg from 'pg';
import { Counter, Gauge, Histogram } from 'prom-client';
import { statementLabel } from './labels.js';
import { CALL_BUCKETS, PREFIX, registry, secondsSince } from './registry.js';

let pool: pg.Pool | undefined;

function poolGauge(name: string, help: string, read: (p: pg.Pool) => number): void {
  new Gauge({
    name: `${PREFIX}${name}`,
    help,
    registers: [registry],
    collect() {
      if (pool) this.set(read(pool));
    },
  });
}

poolGauge('db_pool_connections', 'Connections the pool holds to PostgreSQL (busy and idle)', (p) => p.totalCount);
poolGauge('db_pool_idle_connections', 'Connections of the pool not in use', (p) => p.idleCount);
poolGauge('db_pool_waiting_requests', 'Requests waiting for a connection of the pool (all connections busy)', (p) => p.waitingCount);
poolGauge('db_pool_max_connections', 'Most connections the pool may open (DB_POOL_SIZE)', (p) => (p.options as { max?: number }).max ?? 0);

const queryDuration = new Histogram({
  name: `${PREFIX}db_query_duration_seconds`,
  help: 'Duration of metadata queries, by statement (the first SQL keyword: select, insert, update, delete, with, begin, commit, rollback, other)',
  labelNames: ['statement'] as const,
  buckets: CALL_BUCKETS,
  registers: [registry],
});

const queryErrors = new Counter({
  name: `${PREFIX}db_query_errors_total`,
  help: 'Metadata queries that failed, by statement',
  labelNames: ['statement'] as const,
  registers: [registry],
});

type QueryFn = (...args: unknown[]) => unknown;

/**
 * Times every query on `client`. pg has no hook per query, so the client's query method is
 * wrapped: the pool calls it with a callback, transactions without (a promise). Streams (a
 * submittable such as a cursor) pass through untimed.
 */
function instrumentClient(client: pg.ClientBase): void {
  const query = client.query.bind(client) as QueryFn;
  (client as unknown as { query: QueryFn }).query = (...args: unknown[]) => {
    const first = args[0] as { text?: unknown; submit?: unknown } | string;
    if (typeof first === 'object' && first !== null && typeof first.submit === 'function') return query(...args);
    const statement = statementLabel(typeof first === 'string' ? first : String(first?.text ?? ''));
    const start = performance.now();
    const done = (err: unknown): void => {
      queryDuration.observe({ statement }, secondsSince(start));
      if (err) queryErrors.inc({ statement });
    };
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (err: unknown, result: unknown) => void;
      args[last] = (err: unknown, result: unknown) => {
        done(err);
        callback(err, result);
      };
      return query(...args);
    }
    const result = query(...args) as Promise<unknown> | undefined;
    result?.then?.(
      () => done(null),
      (err: unknown) => done(err ?? new Error('query failed')),
    );
    return result;
  };
}

/** Observes the pool: its counts at scrape time, and every query of every connection it opens. */
export function watchPool(p: pg.Pool): void {
  pool = p;
  p.on('connect', instrumentClient);
}
