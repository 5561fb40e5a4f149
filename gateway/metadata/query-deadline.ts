// How long the gateway waits for PostgreSQL to answer one query. The server cancels a statement
// that runs past its statement_timeout; this covers a server that does not answer at all (stopped,
// or cut off with its connections still open): the connection of a query unanswered past its
// deadline is closed, so the query fails (503 DatabaseUnavailable) and the pool drops the
// connection instead of lending it again with a statement in flight.
//
// Not pg's own query_timeout: with it, as with a wrapper of the callback that pg-pool gives
// client.query for pool.query, or with pool.query served through client.query's promise form,
// every page of rows outlived its request in V8's young generation (a gateway serving 1,000-key
// listings copied some 1.8 MB per minor GC and paused 8-13 ms, against a few KB and 2-3 ms
// without; measured, the mechanism not pinned down). So one watchdog per pool checks the queries
// in flight, which a pass-through wrapper of client.query notes by connection, and it keeps
// nothing of their results.
import type pg from 'pg';

/** The message of a query the gateway stopped waiting for (the error handler answers 503). */
export const QUERY_DEADLINE_MESSAGE = 'Query read timeout';

export function isQueryDeadline(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith(QUERY_DEADLINE_MESSAGE);
}

/** How often the watchdog looks: a deadline holds to within this. */
const CHECK_EVERY_MS = 250;

type QueryFn = (...args: unknown[]) => unknown;

/**
 * Bounds every query of `pool` to `answerMs` from the moment it is sent (the wait for a free
 * connection has the pool's own bound): pool.query's, and those of the clients it lends
 * (transactions, sessions), whatever their form.
 */
export function applyQueryDeadline(pool: pg.Pool, answerMs: number): void {
  // The connections with queries in flight: since when the one pg runs now was sent, and how many
  // are queued on the connection (pg runs them one after the other).
  const inFlight = new Map<pg.PoolClient, { since: number; queries: number }>();
  const sent = (client: pg.PoolClient): void => {
    const entry = inFlight.get(client);
    if (entry) entry.queries++;
    else inFlight.set(client, { since: performance.now(), queries: 1 });
  };
  const done = (client: pg.PoolClient): void => {
    const entry = inFlight.get(client);
    if (!entry) return;
    if (--entry.queries > 0) entry.since = performance.now(); // the next one starts now
    else inFlight.delete(client);
  };
  const given = (client: pg.PoolClient): void => void inFlight.delete(client);

  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const [client, { since }] of inFlight) {
      if (now - since <= answerMs) continue;
      inFlight.delete(client);
      // pg fails the queries of the connection with this error; pg-pool then drops it.
      client.connection.stream.destroy(new Error(`${QUERY_DEADLINE_MESSAGE}: no answer from PostgreSQL in ${answerMs} ms`));
    }
  }, CHECK_EVERY_MS);
  watchdog.unref();
  const end = pool.end.bind(pool) as () => Promise<void>;
  (pool as unknown as { end: () => Promise<void> }).end = () => {
    clearInterval(watchdog);
    return end();
  };

  // pg-pool sends pool.query's query with a callback, and gives the client back when it answers.
  pool.on('release', (_err: Error | undefined, client: pg.PoolClient) => given(client));
  pool.on('connect', (client) => {
    // A connection's failure reaches the query it interrupts; between queries it must not become
    // an uncaught 'error' event (the pool removes a broken idle client itself).
    client.on('error', () => undefined);
    const query = client.query.bind(client) as QueryFn;
    (client as unknown as { query: QueryFn }).query = (...args: unknown[]) => {
      sent(client);
      const answer = query(...args) as Promise<unknown> | undefined;
      // A query with a promise (a transaction's) is done when it settles; one with a callback when
      // its client is given back (above); a stream (cursor) when its client is given back too.
      answer?.then?.(
        () => done(client),
        () => done(client),
      );
      return answer;
    };
  });
}
