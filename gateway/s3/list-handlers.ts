// ListObjects (v1) and ListObjectsV2: paged by key in SQL, common prefixes skipped in one jump.
import type pg from 'pg';
import type { ObjectStore } from '../metadata/object-store.js';
import { keysAfter } from '../metadata/object-listing-store.js';
import { listObjects } from './list-objects.js';
import { InvalidListArgument, parseListObjectsRequest } from './list-objects-request.js';
import { renderListBucketResult } from './list-objects-xml.js';
import { requireBucket } from './object-handlers.js';
import { OWNER, type S3Context } from './s3-context.js';
import { s3Errors } from './s3-error.js';

/** The query as the parser wants it: a parameter given twice is an array (and refused), not its last value. */
function queryRecord(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name of new Set(query.keys())) {
    const values = query.getAll(name);
    out[name] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

export async function listObjectsHandler(ctx: S3Context, deps: { store: ObjectStore; pool: pg.Pool }): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  let request;
  try {
    request = parseListObjectsRequest(ctx.op === 'ListObjectsV2' ? 2 : 1, queryRecord(ctx.query));
  } catch (err) {
    if (err instanceof InvalidListArgument) throw s3Errors.invalidArgument(err.message, err.argumentName, err.argumentValue);
    throw err;
  }
  const result = await listObjects((range) => keysAfter(deps.pool, bucket.id, range), request);
  const room = rooms.pop() ?? Buffer.allocUnsafe(ROOM_BYTES);
  const xml = renderListBucketResult(bucket.name, result, { id: OWNER.ID, displayName: OWNER.DisplayName }, room);
  ctx.res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': xml.length });
  ctx.res.end(xml);
  // Written out or given up on: the buffer (grown, if it had to be) serves a later page.
  ctx.res.once('close', () => {
    // xml starts its own ArrayBuffer (allocUnsafe of more than 4 KiB is never cut from the shared pool).
    if (rooms.length < KEPT_ROOMS && xml.byteOffset === 0) rooms.push(Buffer.from(xml.buffer));
  });
}

// Buffers the listing documents are written into, kept between requests: a fresh buffer grown from
// 64 KiB for every page of 1,000 keys cost more than the rest of the rendering on this machine
// (copies as it grew and the first touch of new memory: a quarter of the gateway's time over a run
// of first pages). A few are kept, for listings answered at the same time; more are allocated.
const ROOM_BYTES = 256 * 1024;
const KEPT_ROOMS = 4;
const rooms: Buffer[] = [];
