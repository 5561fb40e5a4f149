// All SQL of consistency checks. A check runs on one connection of its own: it holds the advisory
// lock that makes it the only check in the cluster, and a temporary table with what every node
// said it holds (ListChunks), which the queries below compare with the chunk rows.
import type pg from 'pg';

const CHECK_LOCK = 0x636f6e73; // 'cons'

export interface CheckRow {
  id: number;
  startedAt: Date;
  finishedAt: Date | null;
  repair: boolean;
  state: 'running' | 'done' | 'failed';
  startedBy: string;
  report: unknown;
}

export interface ListedChunk {
  chunkId: string;
  size: number;
  modifiedAtMs: number;
}

export interface ChunkOnNode {
  fileId: string;
  chunkNumber: number;
  chunkId: string;
  nodeId: number;
  size: number;
  /** The size the node listed, or null when it did not list the chunk at all. */
  foundSize: number | null;
}

export interface OrphanRow {
  nodeId: number;
  chunkId: string;
  size: number;
  modifiedAtMs: number;
}

export interface IncompleteRow {
  fileId: string;
  size: number;
  stripeUnit: number;
  k: number;
  m: number;
  present: number[];
}

function checkRow(r: Record<string, unknown>): CheckRow {
  return {
    id: Number(r.id),
    startedAt: r.started_at as Date,
    finishedAt: (r.finished_at as Date | null) ?? null,
    repair: r.repair as boolean,
    state: r.state as CheckRow['state'],
    startedBy: r.started_by as string,
    report: r.report ?? null,
  };
}

export class ConsistencyStore {
  constructor(private readonly pool: pg.Pool) {}

  /** The latest check, running or finished. */
  async latest(): Promise<CheckRow | null> {
    const r = await this.pool.query('SELECT * FROM consistency_checks ORDER BY id DESC LIMIT 1');
    return r.rows[0] ? checkRow(r.rows[0]) : null;
  }

  /** Starts a check, or null when another one runs somewhere in the cluster. */
  async begin(repair: boolean, startedBy: string): Promise<CheckSession | null> {
    const client = await this.pool.connect();
    try {
      const locked = await client.query('SELECT pg_try_advisory_lock($1) AS ok', [CHECK_LOCK]);
      if (!locked.rows[0].ok) {
        client.release();
        return null;
      }
      // A run still 'running' without the lock held was cut short (its gateway stopped or died).
      await client.query(
        `UPDATE consistency_checks SET state = 'failed', finished_at = now(),
           report = jsonb_build_object('error', 'interrupted: the gateway running it stopped') WHERE state = 'running'`,
      );
      const row = await client.query(`INSERT INTO consistency_checks (repair, state, started_by) VALUES ($1, 'running', $2) RETURNING *`, [
        repair,
        startedBy,
      ]);
      await client.query(
        `CREATE TEMP TABLE IF NOT EXISTS node_listing (node_id integer NOT NULL, chunk_id text NOT NULL, size bigint NOT NULL, modified_ms bigint NOT NULL)`,
      );
      await client.query('TRUNCATE node_listing');
      return new CheckSession(client, checkRow(row.rows[0]));
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  }

  /** Points a chunk row at the node that holds the chunk; false when the row changed meanwhile. */
  async relocateChunk(c: { fileId: string; chunkNumber: number; chunkId: string; fromNodeId: number; toNodeId: number }): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE chunks SET node_id = $5, state = 'ok' WHERE file_id = $1 AND chunk_number = $2 AND chunk_id = $3 AND node_id = $4`,
      [c.fileId, c.chunkNumber, c.chunkId, c.fromNodeId, c.toNodeId],
    );
    return r.rowCount === 1;
  }

  /** Records absent chunk rows of a file as missing (no node), to be rebuilt by a heal. */
  async addMissingChunks(fileId: string, chunks: Array<{ chunkNumber: number; chunkId: string; size: number }>): Promise<number> {
    const r = await this.pool.query(
      `INSERT INTO chunks (file_id, chunk_number, chunk_id, node_id, size, state)
       SELECT $1, unnest($2::int[]), unnest($3::text[]), NULL, unnest($4::int8[]), 'missing'
       ON CONFLICT DO NOTHING`,
      [fileId, chunks.map((c) => c.chunkNumber), chunks.map((c) => c.chunkId), chunks.map((c) => c.size)],
    );
    return r.rowCount ?? 0;
  }
}

export class CheckSession {
  constructor(
    private readonly client: pg.PoolClient,
    readonly check: CheckRow,
  ) {}

  async addListing(nodeId: number, chunks: ListedChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    await this.client.query(
      `INSERT INTO node_listing (node_id, chunk_id, size, modified_ms)
       SELECT $1, unnest($2::text[]), unnest($3::int8[]), unnest($4::int8[])`,
      [nodeId, chunks.map((c) => c.chunkId), chunks.map((c) => c.size), chunks.map((c) => c.modifiedAtMs)],
    );
  }

  /** Once every listing is in: the indexes the comparisons need. */
  async indexListing(): Promise<void> {
    await this.client.query('CREATE INDEX ON node_listing (chunk_id, node_id)');
    await this.client.query('ANALYZE node_listing');
  }

  /**
   * Chunk rows ('ok', of files completed before `before`) on the listed nodes that the node did not
   * list, or listed at another size.
   */
  async absentOrResized(nodeIds: number[], before: Date, limit: number): Promise<ChunkOnNode[]> {
    const r = await this.client.query(
      `SELECT c.file_id, c.chunk_number, c.chunk_id, c.node_id, c.size, l.size AS found_size
       FROM chunks c
       JOIN files f ON f.id = c.file_id
       LEFT JOIN node_listing l ON l.chunk_id = c.chunk_id AND l.node_id = c.node_id
       WHERE c.state = 'ok' AND c.node_id = ANY ($1::int[]) AND f.status = 'completed' AND f.completed_at < $2
         AND (l.chunk_id IS NULL OR l.size <> c.size)
       ORDER BY c.file_id, c.chunk_number
       LIMIT $3`,
      [nodeIds, before, limit],
    );
    return r.rows.map((x) => ({
      fileId: x.file_id,
      chunkNumber: x.chunk_number,
      chunkId: x.chunk_id,
      nodeId: x.node_id,
      size: Number(x.size),
      foundSize: x.found_size === null ? null : Number(x.found_size),
    }));
  }

  /** Listed chunks that no chunk row places on their node and no queued deletion names. */
  async orphans(limit: number): Promise<OrphanRow[]> {
    const r = await this.client.query(
      `SELECT l.node_id, l.chunk_id, l.size, l.modified_ms FROM node_listing l
       WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.chunk_id = l.chunk_id AND c.node_id = l.node_id)
         AND NOT EXISTS (SELECT 1 FROM chunk_deletions d WHERE d.chunk_id = l.chunk_id AND d.node_id = l.node_id)
       ORDER BY l.node_id, l.chunk_id
       LIMIT $1`,
      [limit],
    );
    return r.rows.map((x) => ({ nodeId: x.node_id, chunkId: x.chunk_id, size: Number(x.size), modifiedAtMs: Number(x.modified_ms) }));
  }

  /** Files with several chunks in force on one node. */
  async duplicatePlacements(limit: number): Promise<Array<{ fileId: string; nodeId: number; chunkNumbers: number[] }>> {
    const r = await this.client.query(
      `SELECT file_id, node_id, array_agg(chunk_number ORDER BY chunk_number) AS numbers
       FROM chunks WHERE state = 'ok' AND node_id IS NOT NULL
       GROUP BY file_id, node_id HAVING count(*) > 1
       ORDER BY file_id, node_id LIMIT $1`,
      [limit],
    );
    return r.rows.map((x) => ({ fileId: x.file_id, nodeId: x.node_id, chunkNumbers: x.numbers as number[] }));
  }

  /**
   * Completed files (not multipart parents, whose data is in their parts) whose number of chunk
   * rows is not what their size and layout give: one data chunk per stripe unit up to k, and m
   * parity chunks for a non-empty file (gateway/data/stripe-layout.ts chunkNumbers).
   */
  async incompleteFiles(before: Date, limit: number): Promise<IncompleteRow[]> {
    const r = await this.client.query(
      `SELECT f.id, f.size, f.stripe_unit, f.stripe_width, f.parity_width,
              COALESCE(array_agg(c.chunk_number ORDER BY c.chunk_number) FILTER (WHERE c.chunk_number IS NOT NULL), '{}') AS present
       FROM files f LEFT JOIN chunks c ON c.file_id = f.id
       WHERE f.status = 'completed' AND f.part_count = 0 AND f.completed_at < $1
       GROUP BY f.id
       HAVING count(c.chunk_number) <> CASE WHEN f.size = 0 THEN 0
                ELSE least(f.stripe_width, ceil(f.size::numeric / f.stripe_unit))::int + f.parity_width END
       ORDER BY f.id LIMIT $2`,
      [before, limit],
    );
    return r.rows.map((x) => ({
      fileId: x.id,
      size: Number(x.size),
      stripeUnit: x.stripe_unit,
      k: x.stripe_width,
      m: x.parity_width,
      present: x.present as number[],
    }));
  }

  async finish(state: 'done' | 'failed', report: unknown): Promise<void> {
    await this.client.query(`UPDATE consistency_checks SET state = $2, finished_at = now(), report = $3 WHERE id = $1`, [
      this.check.id,
      state,
      JSON.stringify(report),
    ]);
  }

  /** Drops the listing and the lock with the connection's session state. */
  async close(): Promise<void> {
    try {
      await this.client.query('DROP TABLE IF EXISTS node_listing');
      await this.client.query('SELECT pg_advisory_unlock($1)', [CHECK_LOCK]);
      this.client.release();
    } catch (err) {
      this.client.release(err as Error); // a broken connection is closed, which ends the lock too
    }
  }
}
