// The SQL of a bucket's entries as the web console shows them (GET /buckets/{bucket}/entries): the
// files a client sees in a bucket (S3 objects by key, /files uploads by file name), a page at a time
// from a keyset position, newest first or by name; one entry with its parts and chunks. Each page is
// a walk of an index (migration 008 and files_object_key_idx), never a sort of the bucket.
import type pg from 'pg';
import type { EntryPosition, EntryQuery } from '../http/entry-query.js';
import { prefixSuccessor } from '../s3/key-order.js';
import { withRetries, isBrokenConnection, READ_RETRY_DELAYS_MS } from './db-retry.js';
import { FILE_COLUMNS, FILES_BUCKET_ID, type ChunkRow, type FileRow } from './metadata.js';

export interface EntryRow {
  id: string;
  name: string;
  size: number;
  content_type: string;
  completed_at: Date;
  completed_us: string; // completed_at in microseconds since the epoch (the date cursor)
  etag: string | null; // S3 objects
  checksum: string | null; // SHA-256 (/files uploads, and S3 objects whose client sent it)
  part_count: number;
}

export interface PartRow {
  id: string;
  part_number: number;
  size: number;
  stripe_width: number;
  parity_width: number;
  stripe_unit: number;
}

export interface ChunkOfFile extends ChunkRow {
  file_id: string;
}

/** Parts shown of a multipart object at most (an object may have 10,000). */
export const MAX_PARTS_SHOWN = 1000;

export class EntryStore {
  constructor(private readonly pool: pg.Pool) {}

  private read<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    return withRetries(() => this.pool.query<R>(sql, params), isBrokenConnection, READ_RETRY_DELAYS_MS);
  }

  /** Up to `limit` entries of the bucket after `query.after` (ask for one more to learn whether a page follows). */
  async list(bucketId: number, query: Omit<EntryQuery, 'limit'>, limit: number): Promise<EntryRow[]> {
    const files = bucketId === FILES_BUCKET_ID;
    // The literal bucket id for /files lets the planner match the partial indexes' predicates.
    const params: unknown[] = files ? [] : [bucketId];
    const where = files ? [`f.bucket_id = ${FILES_BUCKET_ID}`, `f.status = 'completed'`] : ['f.bucket_id = $1', `f.status = 'completed'`, 'f.object_key IS NOT NULL'];
    const name = files ? 'f.filename' : 'f.object_key';
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.prefix !== '') {
      where.push(`${name} >= ${param(query.prefix)}::text COLLATE "C"`);
      const upper = prefixSuccessor(query.prefix);
      if (upper !== null) where.push(`${name} < ${param(upper)}::text COLLATE "C"`);
    }
    if (query.after) where.push(afterPosition(query.after, files, param));
    const order =
      query.sort === 'date' ? 'f.completed_at DESC, f.id DESC' : files ? 'f.filename COLLATE "C", f.id' : 'f.object_key';
    const sql = `SELECT f.id, ${name} AS name, f.size, f.content_type, f.completed_at, f.etag, f.checksum, f.part_count,
        ((extract(epoch FROM f.completed_at) * 1000000)::bigint)::text AS completed_us
      FROM files f WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${param(limit)}`;
    return (await this.read<EntryRow>(sql, params)).rows;
  }

  /** A completed entry of the bucket (not a part), or null. */
  async entry(bucketId: number, id: string): Promise<FileRow | null> {
    const r = await this.read<FileRow>(
      `SELECT ${FILE_COLUMNS} FROM files WHERE id = $1 AND bucket_id = $2 AND status = 'completed'
         AND (object_key IS NOT NULL OR bucket_id = ${FILES_BUCKET_ID})`,
      [id, bucketId],
    );
    return r.rows[0] ?? null;
  }

  /** The first MAX_PARTS_SHOWN parts of a multipart object, in order. */
  async parts(fileId: string): Promise<PartRow[]> {
    const r = await this.read<PartRow>(
      `SELECT id, part_number, size, stripe_width, parity_width, stripe_unit FROM files
       WHERE parent_id = $1 AND status = 'completed' ORDER BY part_number LIMIT ${MAX_PARTS_SHOWN}`,
      [fileId],
    );
    return r.rows;
  }

  /** The chunks of these files with the address of their node, by file. */
  async chunksOf(fileIds: string[]): Promise<Map<string, ChunkRow[]>> {
    const byFile = new Map<string, ChunkRow[]>(fileIds.map((id) => [id, []]));
    if (fileIds.length === 0) return byFile;
    const r = await this.read<ChunkOfFile>(
      `SELECT c.file_id, c.chunk_number, c.chunk_id, c.node_id, c.size, c.checksum, c.state, n.address
       FROM chunks c LEFT JOIN storage_nodes n ON n.id = c.node_id
       WHERE c.file_id = ANY($1::uuid[]) ORDER BY c.file_id, c.chunk_number`,
      [fileIds],
    );
    for (const { file_id, ...chunk } of r.rows) byFile.get(file_id)?.push(chunk);
    return byFile;
  }
}

/** The condition "after this position" in the listing's order, as an index can start from it. */
function afterPosition(after: EntryPosition, files: boolean, param: (value: unknown) => string): string {
  if (after.sort === 'date') {
    return `(f.completed_at, f.id) < ('epoch'::timestamptz + ${param(after.micros)}::bigint * interval '1 microsecond', ${param(after.id)}::uuid)`;
  }
  // S3 keys are unique among current objects: the key alone is the position (an object replaced
  // since, under a new id, is not listed twice).
  if (!files) return `f.object_key > ${param(after.name)}::text COLLATE "C"`;
  return `(f.filename COLLATE "C", f.id) > (${param(after.name)}::text COLLATE "C", ${param(after.id)}::uuid)`;
}
