// All SQL of the S3 model: buckets, objects (file rows with a key), multipart uploads and parts.
// Making an object visible and replacing the one it overwrites is one transaction under a lock on
// the key, so readers see the old or the new object, and the old one's chunks are queued for deletion.
import type pg from 'pg';
import {
  dropFiles,
  FILE_COLUMNS,
  inTransaction,
  recordChunks,
  type ChunkRow,
  type FileRow,
  type QueuedDeletion,
  type StoredChunk,
} from './metadata.js';

export interface BucketRow {
  id: number;
  name: string;
  acl: string;
  cors: unknown;
  created_at: Date;
}

export interface MultipartUploadRow {
  id: string;
  bucket_id: number;
  object_key: string;
  headers: { contentType: string; stored: Record<string, string>; checksumAlgorithm?: string };
  created_at: Date;
}

/** What a committed S3 file carries besides its bytes. */
export interface ObjectAttributes {
  md5: string;
  etag: string;
  sha256: string | null;
  headers: Record<string, string>;
  checksums: Record<string, string>;
  size: number;
  chunks: StoredChunk[];
}

/** Conditions checked under the key lock, against the object being replaced. */
export interface WriteConditions {
  ifNoneMatchAny?: boolean; // If-None-Match: * (create only)
  ifMatch?: string; // the current object's ETag must be this
}

export type CommitResult =
  | { kind: 'committed'; file: FileRow; replaced: QueuedDeletion[] }
  | { kind: 'precondition-failed'; condition: string }
  | { kind: 'gone' }; // the upload row is gone (abandoned) or its multipart upload was aborted

const PART_COLUMNS = 'id, part_number, size, md5, etag, checksums, completed_at';

export interface PartRow {
  id: string;
  part_number: number;
  size: number;
  md5: string;
  etag: string;
  checksums: Record<string, string>;
  completed_at: Date;
}

/** Serialises writers of one key (any constant namespace; hashed with the key). */
const KEY_LOCK = 0x6b6579; // 'key'

async function lockKey(c: pg.PoolClient, bucketId: number, key: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [KEY_LOCK, `${bucketId}/${key}`]);
}

async function currentObject(c: pg.PoolClient, bucketId: number, key: string): Promise<{ id: string; etag: string } | null> {
  const r = await c.query<{ id: string; etag: string }>(
    `SELECT id, etag FROM files WHERE bucket_id = $1 AND object_key = $2 AND status = 'completed' FOR UPDATE`,
    [bucketId, key],
  );
  return r.rows[0] ?? null;
}

function conditionFailure(current: { etag: string } | null, conditions: WriteConditions): string | null {
  if (conditions.ifNoneMatchAny && current) return 'If-None-Match';
  if (conditions.ifMatch !== undefined && (!current || current.etag !== conditions.ifMatch)) return 'If-Match';
  return null;
}

export class ObjectStore {
  /**
   * `replacedGraceMs`: how long the chunks of an object that was overwritten or deleted stay on
   * the nodes, so that reads under way when it happened still finish (DELETE_GRACE_MS).
   */
  constructor(
    readonly pool: pg.Pool,
    private readonly replacedGraceMs = 0,
  ) {}

  // ---- buckets ----

  async createBucket(name: string, acl: string): Promise<'created' | 'exists'> {
    const r = await this.pool.query(
      `INSERT INTO buckets (name, acl) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id`,
      [name, acl],
    );
    return r.rowCount === 1 ? 'created' : 'exists';
  }

  async bucket(name: string): Promise<BucketRow | null> {
    const r = await this.pool.query<BucketRow>(
      'SELECT id, name, acl, cors, created_at FROM buckets WHERE name = $1 AND NOT system',
      [name],
    );
    return r.rows[0] ?? null;
  }

  async listBuckets(): Promise<BucketRow[]> {
    return (await this.pool.query<BucketRow>('SELECT id, name, acl, cors, created_at FROM buckets WHERE NOT system ORDER BY name')).rows;
  }

  /**
   * Deletes an empty bucket. Multipart uploads still open in it are aborted with it (their parts
   * queued for deletion); objects, or a PUT or part still writing, keep it.
   */
  async deleteBucket(bucketId: number): Promise<{ kind: 'deleted'; queued: QueuedDeletion[] } | { kind: 'not-empty' }> {
    return inTransaction(this.pool, async (c) => {
      await c.query('SELECT id FROM buckets WHERE id = $1 FOR UPDATE', [bucketId]);
      const used = await c.query(
        `SELECT 1 FROM files WHERE bucket_id = $1 AND (object_key IS NOT NULL OR status = 'uploading') LIMIT 1`,
        [bucketId],
      );
      if (used.rowCount) return { kind: 'not-empty' as const };
      const parts = await c.query<{ id: string }>('SELECT id FROM files WHERE bucket_id = $1', [bucketId]);
      const queued = await dropFiles(c, parts.rows.map((p) => p.id));
      await c.query('DELETE FROM multipart_uploads WHERE bucket_id = $1', [bucketId]);
      await c.query('DELETE FROM buckets WHERE id = $1', [bucketId]);
      return { kind: 'deleted' as const, queued };
    });
  }

  async setBucketCors(bucketId: number, cors: unknown): Promise<void> {
    await this.pool.query('UPDATE buckets SET cors = $2 WHERE id = $1', [bucketId, cors === null ? null : JSON.stringify(cors)]);
  }

  async setBucketAcl(bucketId: number, acl: string): Promise<void> {
    await this.pool.query('UPDATE buckets SET acl = $2 WHERE id = $1', [bucketId, acl]);
  }

  // ---- objects ----

  async object(bucketId: number, key: string): Promise<FileRow | null> {
    const r = await this.pool.query<FileRow>(
      `SELECT ${FILE_COLUMNS} FROM files WHERE bucket_id = $1 AND object_key = $2 AND status = 'completed'`,
      [bucketId, key],
    );
    return r.rows[0] ?? null;
  }

  /**
   * The parts of a multipart object, in order, each with its chunks: read in one go at the start of
   * a download, so a download under way keeps what it needs if the object is replaced meanwhile.
   */
  async objectPartsWithChunks(objectId: string): Promise<{ part: FileRow; chunks: ChunkRow[] }[]> {
    const parts = await this.objectParts(objectId);
    const r = await this.pool.query<ChunkRow & { file_id: string }>(
      `SELECT c.file_id, c.chunk_number, c.chunk_id, c.node_id, c.size, c.checksum, c.state, n.address
       FROM chunks c LEFT JOIN storage_nodes n ON n.id = c.node_id
       WHERE c.file_id = ANY($1::uuid[]) ORDER BY c.file_id, c.chunk_number`,
      [parts.map((p) => p.id)],
    );
    const byFile = new Map<string, ChunkRow[]>();
    for (const { file_id, ...chunk } of r.rows) {
      if (!byFile.has(file_id)) byFile.set(file_id, []);
      byFile.get(file_id)!.push(chunk);
    }
    return parts.map((part) => ({ part, chunks: byFile.get(part.id) ?? [] }));
  }

  /** The parts of a multipart object, in order (each a file with its own chunks). */
  async objectParts(objectId: string): Promise<FileRow[]> {
    const r = await this.pool.query<FileRow>(
      `SELECT ${FILE_COLUMNS} FROM files WHERE parent_id = $1 ORDER BY part_number`,
      [objectId],
    );
    return r.rows;
  }

  /**
   * Makes an uploaded file the object at `key`, replacing the current one (queued for deletion),
   * if the conditions hold. One transaction, under the key's lock: concurrent writers of one key
   * commit one after the other, and the last one wins as in S3.
   */
  async commitObject(fileId: string, bucketId: number, key: string, attrs: ObjectAttributes, conditions: WriteConditions): Promise<CommitResult> {
    return inTransaction(this.pool, async (c) => {
      await lockKey(c, bucketId, key);
      const current = await currentObject(c, bucketId, key);
      const failed = conditionFailure(current, conditions);
      if (failed) return { kind: 'precondition-failed' as const, condition: failed };
      const replaced = current ? await dropFiles(c, [current.id], this.replacedGraceMs) : [];
      const file = await c.query<FileRow>(
        `UPDATE files SET status = 'completed', object_key = $2, size = $3, md5 = $4, etag = $5, checksum = $6,
           headers = $7, checksums = $8, updated_at = now(), completed_at = now()
         WHERE id = $1 AND status = 'uploading' RETURNING ${FILE_COLUMNS}`,
        [fileId, key, attrs.size, attrs.md5, attrs.etag, attrs.sha256, attrs.headers, attrs.checksums],
      );
      if (file.rowCount === 0) {
        // Nothing may change: undo the replacement (the transaction rolls back on the throw).
        throw new UploadGone();
      }
      await recordChunks(c, fileId, attrs.chunks);
      return { kind: 'committed' as const, file: file.rows[0]!, replaced };
    }).catch((err: unknown) => {
      if (err instanceof UploadGone) return { kind: 'gone' as const };
      throw err;
    });
  }

  /** Deletes the object at `key`; the queued chunk deletions, or null when there was none. */
  async deleteObject(bucketId: number, key: string): Promise<QueuedDeletion[] | null> {
    return inTransaction(this.pool, async (c) => {
      await lockKey(c, bucketId, key);
      const current = await currentObject(c, bucketId, key);
      return current ? dropFiles(c, [current.id], this.replacedGraceMs) : null;
    });
  }

  // ---- multipart uploads ----

  async createMultipartUpload(id: string, bucketId: number, key: string, headers: MultipartUploadRow['headers']): Promise<void> {
    await this.pool.query('INSERT INTO multipart_uploads (id, bucket_id, object_key, headers) VALUES ($1, $2, $3, $4)', [
      id,
      bucketId,
      key,
      headers,
    ]);
  }

  async multipartUpload(id: string): Promise<MultipartUploadRow | null> {
    const r = await this.pool.query<MultipartUploadRow>('SELECT * FROM multipart_uploads WHERE id = $1', [id]);
    return r.rows[0] ?? null;
  }

  /** Uploads in progress in key order (then age), after the given key/upload marker. */
  async listMultipartUploads(
    bucketId: number,
    prefix: string,
    after: { key: string; uploadId: string | null } | null,
    limit: number,
  ): Promise<MultipartUploadRow[]> {
    const r = await this.pool.query<MultipartUploadRow>(
      `SELECT * FROM multipart_uploads
       WHERE bucket_id = $1 AND starts_with(object_key, $2)
         AND ($3::text IS NULL OR object_key > $3::text COLLATE "C"
              OR (object_key = $3::text AND $4::uuid IS NOT NULL AND (created_at, id) > (SELECT created_at, id FROM multipart_uploads WHERE id = $4::uuid)))
       ORDER BY object_key, created_at, id LIMIT $5`,
      [bucketId, prefix, after?.key ?? null, after?.uploadId ?? null, limit],
    );
    return r.rows;
  }

  /**
   * Makes an uploaded part part `partNumber` of its upload, replacing an earlier upload of the same
   * number. Gone: the multipart upload was completed or aborted meanwhile.
   */
  async commitPart(
    fileId: string,
    uploadId: string,
    partNumber: number,
    attrs: Omit<ObjectAttributes, 'headers' | 'sha256'> & { sha256: string | null },
  ): Promise<{ kind: 'committed'; replaced: QueuedDeletion[]; part: PartRow } | { kind: 'gone' }> {
    return inTransaction(this.pool, async (c) => {
      const upload = await c.query('SELECT id FROM multipart_uploads WHERE id = $1 FOR UPDATE', [uploadId]);
      if (upload.rowCount === 0) return { kind: 'gone' as const };
      const old = await c.query<{ id: string }>(
        `SELECT id FROM files WHERE upload_id = $1 AND part_number = $2 AND status = 'completed'`,
        [uploadId, partNumber],
      );
      const replaced = await dropFiles(c, old.rows.map((r) => r.id));
      const part = await c.query<PartRow>(
        `UPDATE files SET status = 'completed', size = $2, md5 = $3, etag = $4, checksum = $5, checksums = $6,
           updated_at = now(), completed_at = now()
         WHERE id = $1 AND status = 'uploading' RETURNING ${PART_COLUMNS}`,
        [fileId, attrs.size, attrs.md5, attrs.etag, attrs.sha256, attrs.checksums],
      );
      if (part.rowCount === 0) throw new UploadGone();
      await recordChunks(c, fileId, attrs.chunks);
      return { kind: 'committed' as const, replaced, part: part.rows[0]! };
    }).catch((err: unknown) => {
      if (err instanceof UploadGone) return { kind: 'gone' as const };
      throw err;
    });
  }

  async listParts(uploadId: string, afterPart: number, limit: number): Promise<PartRow[]> {
    const r = await this.pool.query<PartRow>(
      `SELECT ${PART_COLUMNS} FROM files WHERE upload_id = $1 AND status = 'completed' AND part_number > $2
       ORDER BY part_number LIMIT $3`,
      [uploadId, afterPart, limit],
    );
    return r.rows;
  }

  /**
   * Completes a multipart upload: the chosen parts become the object's, in order, without copying
   * a byte; parts not chosen are queued for deletion; the object replaces the current one at its key.
   * `check` validates the chosen parts (ETags, sizes) and returns the object's attributes.
   */
  async completeMultipartUpload(
    upload: MultipartUploadRow,
    objectId: string,
    chosen: number[],
    check: (parts: PartRow[]) => { etag: string; size: number; checksums: Record<string, string> },
    conditions: WriteConditions,
    layout: { unit: number; width: number; parity: number },
  ): Promise<CommitResult> {
    return inTransaction(this.pool, async (c) => {
      const locked = await c.query('SELECT id FROM multipart_uploads WHERE id = $1 FOR UPDATE', [upload.id]);
      if (locked.rowCount === 0) return { kind: 'gone' as const };
      const all = await c.query<PartRow>(
        `SELECT ${PART_COLUMNS} FROM files WHERE upload_id = $1 AND status = 'completed' ORDER BY part_number`,
        [upload.id],
      );
      const byNumber = new Map(all.rows.map((p) => [p.part_number, p]));
      const parts = chosen.map((n) => byNumber.get(n)).filter((p): p is PartRow => p !== undefined);
      const object = check(parts); // throws InvalidPart / InvalidPartOrder / EntityTooSmall
      await lockKey(c, upload.bucket_id, upload.object_key);
      const current = await currentObject(c, upload.bucket_id, upload.object_key);
      const failed = conditionFailure(current, conditions);
      if (failed) return { kind: 'precondition-failed' as const, condition: failed };
      const replaced = current ? await dropFiles(c, [current.id], this.replacedGraceMs) : [];
      const unused = all.rows.filter((p) => !chosen.includes(p.part_number)).map((p) => p.id);
      replaced.push(...(await dropFiles(c, unused)));
      const filename = upload.object_key.split('/').filter(Boolean).pop() ?? upload.object_key;
      const file = await c.query<FileRow>(
        `INSERT INTO files (id, filename, content_type, size, status, stripe_unit, stripe_width, parity_width, bucket_id,
           object_key, etag, headers, checksums, part_count, completed_at)
         VALUES ($1, $2, $3, $4, 'completed', $5, $6, $7, $8, $9, $10, $11, $12, $13, now())
         RETURNING ${FILE_COLUMNS}`,
        [
          objectId,
          filename.slice(0, 1024),
          upload.headers.contentType,
          object.size,
          layout.unit,
          layout.width,
          layout.parity,
          upload.bucket_id,
          upload.object_key,
          object.etag,
          upload.headers.stored,
          object.checksums,
          parts.length,
        ],
      );
      // The parts become the object's, in order; their running offsets place each in the object.
      await c.query(
        `UPDATE files SET parent_id = $1, upload_id = NULL, part_offset = p.part_offset
         FROM (SELECT id, (sum(size) OVER (ORDER BY part_number) - size) AS part_offset
               FROM files WHERE id = ANY($2::uuid[])) p
         WHERE files.id = p.id`,
        [objectId, parts.map((p) => p.id)],
      );
      await c.query('DELETE FROM multipart_uploads WHERE id = $1', [upload.id]);
      return { kind: 'committed' as const, file: file.rows[0]!, replaced };
    });
  }

  /**
   * Aborts an upload: its parts queued for deletion. Null: no such upload. A part still being sent
   * is only detached: its chunks are not all on the nodes yet, so deleting them now would miss
   * those still being written; its writer finds the upload gone and removes the part itself.
   */
  async abortMultipartUpload(uploadId: string): Promise<QueuedDeletion[] | null> {
    return inTransaction(this.pool, async (c) => {
      const locked = await c.query('SELECT id FROM multipart_uploads WHERE id = $1 FOR UPDATE', [uploadId]);
      if (locked.rowCount === 0) return null;
      await c.query(`UPDATE files SET upload_id = NULL WHERE upload_id = $1 AND status = 'uploading'`, [uploadId]);
      const parts = await c.query<{ id: string }>('SELECT id FROM files WHERE upload_id = $1', [uploadId]);
      const queued = await dropFiles(c, parts.rows.map((p) => p.id));
      await c.query('DELETE FROM multipart_uploads WHERE id = $1', [uploadId]);
      return queued;
    });
  }

  /** Multipart uploads started before `cutoff` (the janitor aborts them). */
  async uploadsStartedBefore(cutoff: Date, limit = 1000): Promise<string[]> {
    const r = await this.pool.query<{ id: string }>(
      'SELECT id FROM multipart_uploads WHERE created_at < $1 ORDER BY created_at LIMIT $2',
      [cutoff, limit],
    );
    return r.rows.map((x) => x.id);
  }
}

class UploadGone extends Error {}
