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
  help: 'Duration of metadata queries, by statement (the first SQL keyword: select, insert, update, delete, with, begin, commit, rollback, other); outside a transaction, the wait for a free connection included',
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
 * `query` timed when it answers with a promise. The callback form passes through untimed: it is
 * pg-pool's own call on the client it lends for pool.query, which is timed as a whole, and a
 * wrapper of the callback would hold each query's rows past its request (see query-deadline.ts).
 * Streams (a submittable such as a cursor) pass through untimed too.
 */
function timed(query: QueryFn): QueryFn {
  return (...args: unknown[]) => {
    const first = args[0] as { text?: unknown; submit?: unknown } | string;
    if (typeof args[args.length - 1] === 'function') return query(...args);
    if (typeof first === 'object' && first !== null && typeof first.submit === 'function') return query(...args);
    const statement = statementLabel(typeof first === 'string' ? first : String(first?.text ?? ''));
    const start = performance.now();
    const result = query(...args) as Promise<unknown> | undefined;
    result?.then?.(
      () => queryDuration.observe({ statement }, secondsSince(start)),
      () => {
        queryDuration.observe({ statement }, secondsSince(start));
        queryErrors.inc({ statement });
      },
    );
    return result;
  };
}

/**
 * Observes the pool: its counts at scrape time, and the duration of every query, through
 * pool.query (its wait for a free connection included) and through the clients it lends.
 */
export function watchPool(p: pg.Pool): void {
  pool = p;
  (p as unknown as { query: QueryFn }).query = timed(p.query.bind(p) as QueryFn);
  p.on('connect', (client) => {
    (client as unknown as { query: QueryFn }).query = timed(client.query.bind(client) as QueryFn);
  });
}
