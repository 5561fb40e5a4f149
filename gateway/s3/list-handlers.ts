// ListObjects (v1) and ListObjectsV2: paged by key in SQL, common prefixes skipped in one jump.
import type pg from 'pg';
import type { ObjectStore } from '../metadata/object-store.js';
import { keysAfter } from '../metadata/object-listing-store.js';
import { listObjects } from './list-objects.js';
import { InvalidListArgument, parseListObjectsRequest } from './list-objects-request.js';
import { renderListBucketResult } from './list-objects-xml.js';
import { keepAfterAnswer, listingBuffer } from './listing-buffers.js';
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
  const xml = renderListBucketResult(bucket.name, result, { id: OWNER.ID, displayName: OWNER.DisplayName }, listingBuffer());
  ctx.res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': xml.length });
  ctx.res.end(xml);
  keepAfterAnswer(ctx.res, xml);
}
