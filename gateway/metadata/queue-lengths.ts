// The lengths of the work queues in PostgreSQL, for the metrics. Read at scrape time, so it must
// stay cheap whatever the load: it is skipped when no pooled connection is free at once (it never
// queues behind client requests), and the server stops it after QUERY_TIMEOUT_MS.
import type pg from 'pg';
import { inTransaction } from './metadata.js';

export interface QueueLengths {
  healFiles: number; // files in the heal queue
  healChunks: number; // chunks queued for rebuilding
  deletions: number; // chunk deletions not yet confirmed by their node
}

const QUERY_TIMEOUT_MS = 1_000;

/** The queues' lengths, or null when they cannot be read cheaply now. */
export async function queueLengths(pool: pg.Pool): Promise<QueueLengths | null> {
  const max = (pool.options as { max?: number }).max ?? 10;
  if (pool.waitingCount > 0 || (pool.idleCount === 0 && pool.totalCount >= max)) return null;
  return inTransaction(pool, async (c) => {
    await c.query(`SET LOCAL statement_timeout = ${QUERY_TIMEOUT_MS}`);
    const r = await c.query<QueueLengths>(
      `SELECT (SELECT count(*) FROM heal_queue)::int8 AS "healFiles",
              (SELECT COALESCE(sum(cardinality(chunk_numbers)), 0) FROM heal_queue)::int8 AS "healChunks",
              (SELECT count(*) FROM chunk_deletions)::int8 AS deletions`,
    );
    return r.rows[0]!;
  });
}
