// The gateway's wait for PostgreSQL is bounded also when the server does not answer at all: a
// real PostgreSQL behind a TCP relay that goes silent (it keeps every connection open and passes
// nothing on, as a stopped server or a cut network does), so neither side sees an error.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPool, inTransaction } from '../gateway/metadata/metadata.js';
import { isQueryDeadline } from '../gateway/metadata/query-deadline.js';
import { isDatabaseUnavailable } from '../gateway/http/error-handler.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

/** A relay to `target` that can stop passing bytes on, both ways, without closing anything. */
class SilentRelay {
  silent = false;
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  port = 0;

  async start(target: { host: string; port: number }): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => this.sockets.delete(s));
      }
      client.on('data', (b) => this.silent || upstream.write(b));
      upstream.on('data', (b) => this.silent || client.write(b));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let db: TestDatabase;
const relay = new SilentRelay();

beforeAll(async () => {
  db = await createTestDatabase();
  const url = new URL(db.url);
  await relay.start({ host: url.hostname, port: Number(url.port || 5432) });
});
afterAll(async () => {
  await relay.stop();
  await db?.drop();
});

function relayedUrl(): string {
  const url = new URL(db.url);
  url.hostname = '127.0.0.1';
  url.port = String(relay.port);
  return url.toString();
}

test('a server that stops answering: queries and transactions fail after their deadline as DatabaseUnavailable, their connections are closed, and the pool recovers', async () => {
  // An answer is due DB_QUERY_TIMEOUT_MS + 1 s after its query is sent: 1.3 s here.
  const pool = createPool(relayedUrl(), { size: 2, waitMs: 400, queryTimeoutMs: 300 });
  try {
    // Two connections open and idle, so that what follows is sent on connections that exist.
    const warm = await Promise.all([pool.query('SELECT pg_sleep(0.1), 1 AS one'), pool.query('SELECT pg_sleep(0.1), 2 AS two')]);
    expect(warm.map((r) => r.rows.length)).toEqual([1, 1]);
    expect(pool.totalCount).toBe(2);
    relay.silent = true;

    let started = performance.now();
    const err = await pool.query('SELECT 2').then(
      () => null,
      (e: unknown) => e,
    );
    let waited = performance.now() - started;
    expect(isQueryDeadline(err), String(err)).toBe(true);
    expect(isDatabaseUnavailable(err)).toBe(true); // answered 503 DatabaseUnavailable
    expect(waited).toBeGreaterThan(1_250);
    expect(waited).toBeLessThan(1_300 + 1_000);
    expect(pool.totalCount).toBe(1); // its connection was closed, not pooled with a statement in flight

    started = performance.now();
    const txErr = await inTransaction(pool, async (c) => c.query('SELECT 3')).then(
      () => null,
      (e: unknown) => e,
    );
    waited = performance.now() - started;
    expect(isQueryDeadline(txErr), String(txErr)).toBe(true); // BEGIN got no answer
    expect(waited).toBeLessThan(1_300 + 1_000);
    expect(pool.totalCount).toBe(0);

    relay.silent = false; // the server speaks again: the pool serves queries at once, on new connections
    expect((await pool.query<{ four: number }>('SELECT 4 AS four')).rows[0]!.four).toBe(4);
  } finally {
    relay.silent = false;
    await pool.end(); // nothing left waiting: ends at once
  }
});

test('a statement the server runs too long is cancelled by the server (statement_timeout), before the gateway stops waiting', async () => {
  const pool = createPool(db.url, { size: 1, waitMs: 400, queryTimeoutMs: 300 });
  try {
    const err = await pool.query('SELECT pg_sleep(5)').then(
      () => null,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('57014'); // query_canceled: the server's answer, not the client's deadline
    expect(isQueryDeadline(err)).toBe(false);
  } finally {
    await pool.end();
  }
});
