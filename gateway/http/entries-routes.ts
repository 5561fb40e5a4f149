// /buckets/{bucket}/entries: what a bucket holds as a client sees it (S3 objects and /files uploads),
// a page at a time by date or name with a name prefix; one entry with its metadata and where each
// of its chunks is. The web console lists and maps files with these; the bytes go through /files and
// the S3 API as before.
import { Router } from 'express';
import type pg from 'pg';
import type { NodeRegistry } from '../cluster/node-registry.js';
import type { ChunkRow, FileRow } from '../metadata/metadata.js';
import { FILES_BUCKET_ID } from '../metadata/metadata.js';
import { EntryStore, MAX_PARTS_SHOWN, type EntryRow } from '../metadata/entry-store.js';
import type { ObjectStore } from '../metadata/object-store.js';
import { FILES_BUCKET_NAME } from '../auth/rest-caller.js';
import { ApiError, notFound } from './api-error.js';
import { requireBucketAccess } from './bucket-access.js';
import { encodeEntryCursor, parseEntryQuery } from './entry-query.js';
import { chunkJson } from './file-json.js';
import { parseFileId } from './request-parsing.js';

function entryJson(e: EntryRow) {
  return {
    id: e.id,
    name: e.name,
    size: e.size,
    content_type: e.content_type,
    modified_at: e.completed_at.toISOString(),
    etag: e.etag,
    sha256: e.checksum,
    multipart: e.part_count > 0,
  };
}

export function entriesRouter(deps: { pool: pg.Pool; objects: ObjectStore; registry: NodeRegistry }): Router {
  const store = new EntryStore(deps.pool);
  const router = Router();

  async function bucketId(name: string): Promise<number> {
    if (name === FILES_BUCKET_NAME) return FILES_BUCKET_ID;
    const bucket = await deps.objects.bucket(name);
    if (!bucket) throw new ApiError(404, 'NoSuchBucket', `bucket ${name} does not exist`);
    return bucket.id;
  }

  /** A chunk as the map shows it: the node's health as this gateway sees it beside the chunk's own state. */
  function mappedChunks(chunks: ChunkRow[], k: number) {
    const nodes = new Map(deps.registry.list().map((n) => [n.id, n]));
    return chunks.map((c) => {
      const node = c.node_id === null ? undefined : nodes.get(c.node_id);
      return { ...chunkJson(c, k), node_status: node?.status ?? null, node_draining: node?.draining ?? false };
    });
  }

  router.get('/buckets/:bucket/entries', requireBucketAccess('read'), async (req, res) => {
    const query = parseEntryQuery(req.query as Record<string, unknown>);
    const id = await bucketId(String(req.params.bucket));
    const rows = await store.list(id, query, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    const next =
      rows.length > query.limit && last
        ? encodeEntryCursor(query.sort === 'date' ? { sort: 'date', micros: last.completed_us, id: last.id } : { sort: 'name', name: last.name, id: last.id })
        : null;
    res.json({ bucket: String(req.params.bucket), sort: query.sort, prefix: query.prefix, entries: page.map(entryJson), limit: query.limit, next_cursor: next });
  });

  router.get('/buckets/:bucket/entries/:id', requireBucketAccess('read'), async (req, res) => {
    const name = String(req.params.bucket);
    const fileId = parseFileId(String(req.params.id));
    const file: FileRow | null = await store.entry(await bucketId(name), fileId);
    if (!file) throw notFound(`bucket ${name} holds no entry ${fileId}`);
    const parts = file.part_count > 0 ? await store.parts(file.id) : [];
    const chunks = await store.chunksOf(parts.length > 0 ? parts.map((p) => p.id) : [file.id]);
    res.json({
      bucket: name,
      id: file.id,
      name: file.object_key ?? file.filename,
      key: file.object_key,
      filename: file.filename,
      size: file.size,
      content_type: file.content_type,
      created_at: file.created_at.toISOString(),
      modified_at: (file.completed_at ?? file.created_at).toISOString(),
      etag: file.etag,
      md5: file.md5,
      sha256: file.checksum,
      checksums: file.checksums,
      metadata: file.headers,
      k: file.stripe_width,
      m: file.parity_width,
      stripe_unit: file.stripe_unit,
      chunks: file.part_count > 0 ? [] : mappedChunks(chunks.get(file.id) ?? [], file.stripe_width),
      parts: parts.map((p) => ({
        part_number: p.part_number,
        size: p.size,
        k: p.stripe_width,
        m: p.parity_width,
        chunks: mappedChunks(chunks.get(p.id) ?? [], p.stripe_width),
      })),
      part_count: file.part_count,
      parts_truncated: file.part_count > MAX_PARTS_SHOWN,
    });
  });

  return router;
}
