// All SQL of the gateway: files, chunks, storage nodes and pending chunk deletions.
import pg from 'pg';
import { isBrokenConnection, isTransientTransactionError, READ_RETRY_DELAYS_MS, TRANSACTION_RETRY_DELAYS_MS, withRetries } from './db-retry.js';
import type { ListPosition } from '../http/list-cursor.js';
import { applyQueryDeadline, isQueryDeadline } from './query-deadline.js';

// int8 columns (sizes, up to 10 GiB) fit a JS number exactly.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** Key of the advisory lock that serialises node registrations (any constant unique to this use). */
const NODE_REGISTRATION_LOCK = 0x6e6f6465; // 'node'
const FOREIGN_KEY_VIOLATION = '23503';

/** pg-pool's words when every connection stayed busy for the whole wait (the pool is full, not down). */
export const POOL_WAIT_TIMEOUT = 'timeout exceeded when trying to connect';

export function createPool(
  url: string,
  options: { size: number; waitMs: number; queryTimeoutMs?: number } = { size: 20, waitMs: 10_000 },
): pg.Pool {
  const queryTimeoutMs = options.queryTimeoutMs ?? 15_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.size,
    // Bounds both the wait for a free connection (a busy pool) and a new connection's set-up (an
    // unreachable database); pg-pool reports the two differently, and so does the error handler.
    connectionTimeoutMillis: options.waitMs,
    // The server stops working on a statement that outlives its request (it would only hold a
    // connection and locks for nobody); the gateway stops waiting a second later (query-deadline.ts).
    statement_timeout: queryTimeoutMs,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', () => undefined); // idle clients dropped by a restarting server: the next query reconnects
  applyQueryDeadline(pool, queryTimeoutMs + 1_000);
  return pool;
}

export interface NodeRow {
  id: number;
  address: string;
  node_name: string | null;
  status: 'unknown' | 'healthy' | 'low_space' | 'down' | 'dead';
  total_space: number | null;
  available_space: number | null;
  used_space: number | null;
  last_seen_at: Date | null;
  created_at: Date;
  draining: boolean;
}

export interface FileRow {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  checksum: string | null;
  status: 'uploading' | 'completed';
  stripe_unit: number;
  stripe_width: number; // k: data units per stripe
  parity_width: number; // m: parity units per stripe
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  created_us: string; // created_at in microseconds since the epoch (keyset cursor)
  bucket_id: number; // FILES_BUCKET_ID for /files uploads
  object_key: string | null; // an S3 object's key; null for /files uploads and multipart parts
  md5: string | null; // hex; S3 objects and parts (their ETag)
  etag: string | null; // S3 ETag without quotes
  headers: Record<string, string>; // stored S3 headers: content-encoding, cache-control, x-amz-meta-*, ...
  checksums: Record<string, string>; // flexible checksums by algorithm (CRC32, SHA256, ...), base64
  part_number: number | null;
  part_offset: number | null;
  part_count: number; // > 0: a multipart object, whose bytes are its parts'
}

/** The bucket of the /files API (migration 004); no S3 request can name it. */
export const FILES_BUCKET_ID = 1;

/** Where a new file row belongs: the /files bucket, or an S3 bucket (as an object or a multipart part). */
export interface FilePlace {
  bucketId: number;
  uploadId?: string;
  partNumber?: number;
}

export type ChunkState = 'ok' | 'missing' | 'healing';

export interface ChunkRow {
  chunk_number: number;
  chunk_id: string;
  node_id: number | null; // null: a missing chunk that no node was found for
  size: number;
  checksum: string | null;
  state: ChunkState;
  address: string | null;
}

export interface PlannedChunk {
  chunkNumber: number;
  chunkId: string;
  nodeId: number | null;
}

export interface StoredChunk {
  chunkNumber: number;
  size: number;
  checksum: string | null;
  state: 'ok' | 'missing';
}

export interface ChunkLocation {
  nodeId: number;
  chunkId: string;
}

export interface DueDeletion extends ChunkLocation {
  address: string;
  attempts: number;
}

export const FILE_COLUMNS = `id, filename, content_type, size, checksum, status, stripe_unit, stripe_width, parity_width,
  created_at, updated_at, completed_at, bucket_id, object_key, md5, etag, headers, checksums,
  part_number, part_offset, part_count,
  ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS created_us`;

/**
 * Runs `fn` in a transaction on a connection of its own. A transaction the server rolled back as a
 * serialization failure or a deadlock is run again (`fn` must only touch the database); a client
 * whose connection broke is closed rather than given back to the pool.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withRetries(
    async () => {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        // A statement the server did not answer in time had its connection closed (query-deadline.ts):
        // nothing to roll back there, and not to be pooled again.
        if (isBrokenConnection(err) || isQueryDeadline(err)) broken = err as Error;
        else await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release(broken); // a broken client is ended, not pooled
      }
    },
    isTransientTransactionError,
    TRANSACTION_RETRY_DELAYS_MS,
  );
}

export type QueuedDeletion = ChunkLocation & { address: string };

/**
 * Drops files (and the parts of multipart objects among them) inside the caller's transaction, queuing
 * every chunk they had for deletion on its node first, so that no chunk is forgotten. With `delayMs`,
 * the deletions fall due that much later (reads already under way finish on the chunks) and are left
 * to the janitor: only deletions due now are returned, for the caller to carry out.
 */
export async function dropFiles(c: pg.PoolClient, fileIds: string[], delayMs = 0): Promise<QueuedDeletion[]> {
  if (fileIds.length === 0) return [];
  const queued = await c.query<{ node_id: number; chunk_id: string; address: string }>(
    `WITH doomed AS (SELECT id FROM files WHERE id = ANY($1::uuid[]) OR parent_id = ANY($1::uuid[])),
     q AS (
       INSERT INTO chunk_deletions (node_id, chunk_id, next_attempt_at)
       SELECT node_id, chunk_id, now() + $2 * interval '1 millisecond'
       FROM chunks WHERE file_id IN (SELECT id FROM doomed) AND node_id IS NOT NULL
       ON CONFLICT (node_id, chunk_id) DO UPDATE SET next_attempt_at = EXCLUDED.next_attempt_at
       RETURNING node_id, chunk_id)
     SELECT q.node_id, q.chunk_id, n.address FROM q JOIN storage_nodes n ON n.id = q.node_id`,
    [fileIds, delayMs],
  );
  await c.query('DELETE FROM files WHERE id = ANY($1::uuid[]) OR parent_id = ANY($1::uuid[])', [fileIds]);
  if (delayMs > 0) return [];
  return queued.rows.map((r) => ({ nodeId: r.node_id, chunkId: r.chunk_id, address: r.address }));
}

/** Records the written chunks of an upload: sizes, checksums, states; drops planned chunks never used. */
export async function recordChunks(c: pg.PoolClient, fileId: string, chunks: StoredChunk[]): Promise<void> {
  await c.query('DELETE FROM chunks WHERE file_id = $1 AND NOT (chunk_number = ANY($2::int[]))', [
    fileId,
    chunks.map((x) => x.chunkNumber),
  ]);
  await c.query(
    `UPDATE chunks SET size = s.size, checksum = s.checksum, state = s.state
     FROM unnest($2::int[], $3::bigint[], $4::text[], $5::text[]) AS s(chunk_number, size, checksum, state)
     WHERE chunks.file_id = $1 AND chunks.chunk_number = s.chunk_number`,
    [fileId, chunks.map((x) => x.chunkNumber), chunks.map((x) => x.size), chunks.map((x) => x.checksum), chunks.map((x) => x.state)],
  );
}

export class Metadata {
  constructor(readonly pool: pg.Pool) {}

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  // ---- storage nodes ----

  async ensureNodes(addresses: string[]): Promise<void> {
    if (addresses.length === 0) return;
    await this.pool.query(
      `INSERT INTO storage_nodes (address) SELECT unnest($1::text[]) ON CONFLICT (address) DO NOTHING`,
      [addresses],
    );
  }

  async nodeByAddress(address: string): Promise<NodeRow | null> {
    return (await this.pool.query<NodeRow>('SELECT * FROM storage_nodes WHERE address = $1', [address])).rows[0] ?? null;
  }

  /**
   * Registers a node that answered at `address` reporting `nodeName` (its node id). One physical
   * node is one row: when the address is known, or another row already carries that name, that
   * row is answered with `created: false` (`sameNameAt` set in the second case) and nothing is
   * written. An advisory lock makes two concurrent registrations of one new node a single row.
   */
  async registerNode(address: string, nodeName: string | null): Promise<{ node: NodeRow; created: boolean }> {
    return inTransaction(this.pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [NODE_REGISTRATION_LOCK]);
      const known = await c.query<NodeRow>('SELECT * FROM storage_nodes WHERE address = $1', [address]);
      if (known.rows[0]) return { node: known.rows[0], created: false };
      if (nodeName) {
        const named = await c.query<NodeRow>('SELECT * FROM storage_nodes WHERE node_name = $1 ORDER BY id LIMIT 1', [nodeName]);
        if (named.rows[0]) return { node: named.rows[0], created: false };
      }
      const inserted = await c.query<NodeRow>(
        'INSERT INTO storage_nodes (address, node_name) VALUES ($1, $2) RETURNING *',
        [address, nodeName],
      );
      return { node: inserted.rows[0]!, created: true };
    });
  }

  /** A node now answers at another address (its old one is gone): the same row, so its chunks stay its own. */
  async moveNode(id: number, address: string): Promise<NodeRow | null> {
    const r = await this.pool.query<NodeRow>('UPDATE storage_nodes SET address = $2 WHERE id = $1 RETURNING *', [id, address]);
    return r.rows[0] ?? null;
  }

  /**
   * Removes a node that holds no chunk: 'unknown' when there is no such row, the number of chunk
   * rows naming it when there are any, or the table that still references it (a foreign key this
   * code does not clear). Its queued chunk deletions are dropped with it: they could only be carried
   * out by this node, and should its process be registered again, the janitor's orphan sweep
   * removes those chunks (no metadata names them). Its recorded faults keep their chunk, without node.
   */
  async removeNode(id: number): Promise<{ removed: NodeRow } | { chunks: number } | { referencedBy: string } | 'unknown'> {
    try {
      return await inTransaction(this.pool, async (c) => {
        // Locks the row: a chunk row naming the node now waits for this transaction (its foreign key check).
        const node = await c.query<NodeRow>('SELECT * FROM storage_nodes WHERE id = $1 FOR UPDATE', [id]);
        if (!node.rows[0]) return 'unknown' as const;
        const held = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks WHERE node_id = $1', [id]);
        if (held.rows[0]!.n > 0) return { chunks: held.rows[0]!.n };
        await c.query('DELETE FROM chunk_deletions WHERE node_id = $1', [id]);
        await c.query('UPDATE chunk_faults SET node_id = NULL WHERE node_id = $1', [id]);
        await c.query('DELETE FROM storage_nodes WHERE id = $1', [id]);
        return { removed: node.rows[0] };
      });
    } catch (err) {
      const e = err as { code?: string; table?: string; constraint?: string };
      if (e.code === FOREIGN_KEY_VIOLATION) return { referencedBy: e.table ?? e.constraint ?? 'another table' };
      throw err;
    }
  }

  /** Marks a node draining; null for an unknown node. */
  async setDraining(id: number): Promise<NodeRow | null> {
    const r = await this.pool.query<NodeRow>('UPDATE storage_nodes SET draining = true WHERE id = $1 RETURNING *', [id]);
    return r.rows[0] ?? null;
  }

  /** Chunks and bytes of chunk data that the metadata places on each node. */
  /** Chunk deletions still to be done, and since when the oldest waits. */
  async deletionQueue(): Promise<{ chunks: number; oldest: Date | null }> {
    const r = await this.pool.query<{ n: string; oldest: Date | null }>('SELECT count(*) AS n, min(created_at) AS oldest FROM chunk_deletions');
    return { chunks: Number(r.rows[0]!.n), oldest: r.rows[0]!.oldest };
  }

  async nodeHoldings(): Promise<Map<number, { chunks: number; bytes: number }>> {
    const r = await this.pool.query<{ node_id: number; chunks: number; bytes: number }>(
      `SELECT node_id, count(*)::int8 AS chunks, COALESCE(sum(size), 0)::int8 AS bytes
       FROM chunks WHERE node_id IS NOT NULL GROUP BY node_id`,
    );
    return new Map(r.rows.map((x) => [x.node_id, { chunks: x.chunks, bytes: x.bytes }]));
  }

  async listNodes(): Promise<NodeRow[]> {
    return (await this.pool.query<NodeRow>('SELECT * FROM storage_nodes ORDER BY id')).rows;
  }

  async recordNodeHealth(
    id: number,
    health: { status: NodeRow['status']; name?: string; total?: number; available?: number; used?: number },
  ): Promise<void> {
    const seen = health.status === 'healthy' || health.status === 'low_space'; // it answered
    await this.pool.query(
      `UPDATE storage_nodes SET status = $2,
         node_name = COALESCE($3, node_name),
         total_space = COALESCE($4, total_space),
         available_space = COALESCE($5, available_space),
         used_space = COALESCE($6, used_space),
         last_seen_at = CASE WHEN $7 THEN now() ELSE last_seen_at END
       WHERE id = $1`,
      [id, health.status, health.name ?? null, health.total ?? null, health.available ?? null, health.used ?? null, seen],
    );
  }

  // ---- uploads ----

  /** The `uploading` row and the planned chunk placements, before any byte is sent. */
  async createUpload(
    file: { id: string; filename: string; contentType: string; stripeUnit: number; dataUnits: number; parityUnits: number; place: FilePlace },
    chunks: PlannedChunk[],
  ): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query(
        `INSERT INTO files (id, filename, content_type, status, stripe_unit, stripe_width, parity_width, bucket_id, upload_id, part_number)
         VALUES ($1, $2, $3, 'uploading', $4, $5, $6, $7, $8, $9)`,
        [
          file.id,
          file.filename,
          file.contentType,
          file.stripeUnit,
          file.dataUnits,
          file.parityUnits,
          file.place.bucketId,
          file.place.uploadId ?? null,
          file.place.partNumber ?? null,
        ],
      );
      // Unplaced chunks are missing from the start; the rest are 'ok' until the upload says otherwise.
      await c.query(
        `INSERT INTO chunks (file_id, chunk_number, chunk_id, node_id, state)
         SELECT $1, n, id, node, CASE WHEN node IS NULL THEN 'missing' ELSE 'ok' END
         FROM unnest($2::int[], $3::text[], $4::int[]) AS p(n, id, node)`,
        [file.id, chunks.map((p) => p.chunkNumber), chunks.map((p) => p.chunkId), chunks.map((p) => p.nodeId)],
      );
    });
  }

  /** Keeps a long upload from looking abandoned to the janitor. */
  async touchUpload(fileId: string): Promise<void> {
    await this.pool.query(`UPDATE files SET updated_at = now() WHERE id = $1 AND status = 'uploading'`, [fileId]);
  }

  /**
   * Makes a /files upload visible: records its chunks and marks it completed, in one transaction.
   * Null when the row is gone (the janitor judged the upload abandoned), in which case nothing changes.
   */
  async completeUpload(fileId: string, size: number, checksum: string, chunks: StoredChunk[]): Promise<FileRow | null> {
    return inTransaction(this.pool, async (c) => {
      const file = await c.query<FileRow>(
        `UPDATE files SET status = 'completed', size = $2, checksum = $3, updated_at = now(), completed_at = now()
         WHERE id = $1 AND status = 'uploading' RETURNING ${FILE_COLUMNS}`,
        [fileId, size, checksum],
      );
      if (file.rowCount === 0) return null;
      await recordChunks(c, fileId, chunks);
      return file.rows[0]!;
    });
  }

  // ---- reading ----

  /** A read, tried once more when its connection broke underneath it (a restarted server). */
  private read<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return withRetries(() => this.pool.query<R>(sql, params), isBrokenConnection, READ_RETRY_DELAYS_MS);
  }

  async getFile(fileId: string): Promise<FileRow | null> {
    const r = await this.read<FileRow>(`SELECT ${FILE_COLUMNS} FROM files WHERE id = $1`, [fileId]);
    return r.rows[0] ?? null;
  }

  async getChunks(fileId: string): Promise<ChunkRow[]> {
    const r = await this.read<ChunkRow>(
      `SELECT c.chunk_number, c.chunk_id, c.node_id, c.size, c.checksum, c.state, n.address
       FROM chunks c LEFT JOIN storage_nodes n ON n.id = c.node_id
       WHERE c.file_id = $1 ORDER BY c.chunk_number`,
      [fileId],
    );
    return r.rows;
  }

  async listFilesPage(page: number, perPage: number): Promise<{ files: FileRow[]; total: number }> {
    const [files, total] = await Promise.all([
      this.read<FileRow>(
        `SELECT ${FILE_COLUMNS} FROM files WHERE status = 'completed' AND bucket_id = ${FILES_BUCKET_ID}
         ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`,
        [perPage, (page - 1) * perPage],
      ),
      this.read<{ n: number }>(
        `SELECT count(*)::int8 AS n FROM files WHERE status = 'completed' AND bucket_id = ${FILES_BUCKET_ID}`,
      ),
    ]);
    return { files: files.rows, total: total.rows[0]!.n };
  }

  /** Keyset page: the `limit` newest completed files older than `after` (or the newest). */
  async listFilesAfter(after: ListPosition | null, limit: number): Promise<FileRow[]> {
    const r = after
      ? await this.read<FileRow>(
          `SELECT ${FILE_COLUMNS} FROM files
           WHERE status = 'completed' AND bucket_id = ${FILES_BUCKET_ID}
             AND (created_at, id) < ('epoch'::timestamptz + $1::bigint * interval '1 microsecond', $2::uuid)
           ORDER BY created_at DESC, id DESC LIMIT $3`,
          [after.createdAtMicros, after.fileId, limit],
        )
      : await this.read<FileRow>(
          `SELECT ${FILE_COLUMNS} FROM files WHERE status = 'completed' AND bucket_id = ${FILES_BUCKET_ID}
           ORDER BY created_at DESC, id DESC LIMIT $1`,
          [limit],
        );
    return r.rows;
  }

  /** Something was wrong with a chunk (a read failed over it): counted, for the healer. */
  async recordChunkFault(fileId: string, chunkNumber: number, nodeId: number | null, reason: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO chunk_faults (file_id, chunk_number, node_id, reason) VALUES ($1, $2, $3, $4)
       ON CONFLICT (file_id, chunk_number) DO UPDATE
         SET faults = chunk_faults.faults + 1, reason = EXCLUDED.reason, node_id = EXCLUDED.node_id, last_seen_at = now()`,
      [fileId, chunkNumber, nodeId, reason.slice(0, 500)],
    );
  }

  // ---- deletion ----

  /**
   * Drops a file's metadata (chunks go by ON DELETE CASCADE) and, in the same transaction, queues
   * its chunks for deletion on the nodes. `onlyIf` limits it to uploads, or to completed files.
   * Returns the queued chunks, or null when no such file was there.
   */
  async removeFile(fileId: string, onlyIf?: FileRow['status']): Promise<QueuedDeletion[] | null> {
    return inTransaction(this.pool, async (c) => {
      const file = await c.query(
        `SELECT id FROM files WHERE id = $1 AND ($2::text IS NULL OR status = $2) FOR UPDATE`,
        [fileId, onlyIf ?? null],
      );
      if (file.rowCount === 0) return null;
      return dropFiles(c, [fileId]);
    });
  }

  /** Queues deletions (again) to be tried no sooner than `delayMs` from now. */
  async queueDeletions(items: ChunkLocation[], delayMs: number): Promise<void> {
    if (items.length === 0) return;
    await this.pool.query(
      `INSERT INTO chunk_deletions (node_id, chunk_id, next_attempt_at)
       SELECT unnest($1::int[]), unnest($2::text[]), now() + $3 * interval '1 millisecond'
       ON CONFLICT (node_id, chunk_id) DO UPDATE SET next_attempt_at = EXCLUDED.next_attempt_at`,
      [items.map((i) => i.nodeId), items.map((i) => i.chunkId), delayMs],
    );
  }

  async uploadsIdleSince(cutoff: Date, limit = 1000): Promise<string[]> {
    const r = await this.pool.query<{ id: string }>(
      `SELECT id FROM files WHERE status = 'uploading' AND updated_at < $1 ORDER BY updated_at LIMIT $2`,
      [cutoff, limit],
    );
    return r.rows.map((x) => x.id);
  }

  async dueDeletions(limit = 1000): Promise<DueDeletion[]> {
    const r = await this.pool.query<{ node_id: number; chunk_id: string; address: string; attempts: number }>(
      `SELECT d.node_id, d.chunk_id, n.address, d.attempts
       FROM chunk_deletions d JOIN storage_nodes n ON n.id = d.node_id
       WHERE d.next_attempt_at <= now() ORDER BY d.next_attempt_at LIMIT $1`,
      [limit],
    );
    return r.rows.map((x) => ({ nodeId: x.node_id, chunkId: x.chunk_id, address: x.address, attempts: x.attempts }));
  }

  async deletionDone(d: ChunkLocation): Promise<void> {
    await this.pool.query('DELETE FROM chunk_deletions WHERE node_id = $1 AND chunk_id = $2', [d.nodeId, d.chunkId]);
  }

  /** Backs off exponentially, up to an hour between attempts. */
  async deletionFailed(d: ChunkLocation, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE chunk_deletions SET attempts = attempts + 1, last_error = $3,
         next_attempt_at = now() + least(interval '1 hour', interval '1 second' * power(2, least(attempts, 12)))
       WHERE node_id = $1 AND chunk_id = $2`,
      [d.nodeId, d.chunkId, error.slice(0, 500)],
    );
  }

  /** Which of `chunkIds` some file (completed or uploading) still references, or are queued for deletion. */
  async knownChunkIds(chunkIds: string[]): Promise<Set<string>> {
    const r = await this.pool.query<{ chunk_id: string }>(
      `SELECT chunk_id FROM chunks WHERE chunk_id = ANY($1::text[])
       UNION SELECT chunk_id FROM chunk_deletions WHERE chunk_id = ANY($1::text[])`,
      [chunkIds],
    );
    return new Set(r.rows.map((x) => x.chunk_id));
  }
}
