// S3 object operations: Get, Head, Put, Copy, Delete, DeleteObjects, and the object ACL answers.
// Handlers parse, call the object service, and answer.
import type { FileRow } from '../metadata/metadata.js';
import type { BucketRow, ObjectStore } from '../metadata/object-store.js';
import { parseByteRange } from '../http/request-parsing.js';
import { ClientGone, responseSink } from '../http/response-sink.js';
import { evaluateConditions, readConditions, readCopySourceConditions } from './conditional-request.js';
import { parseCopySource } from './copy-source.js';
import { objectHeadersFrom, responseOverrides, type ObjectHeaders } from './object-headers.js';
import { ObjectChanged, type ObjectService } from './object-service.js';
import { readSmallBody } from './request-body.js';
import { OWNER, type S3Context } from './s3-context.js';
import { S3Error, s3Errors } from './s3-error.js';
import { isoDate, quoted, sendEmpty, sendXml } from './s3-response.js';
import { parseXml, xmlText } from './s3-xml.js';
import { checkStorableName } from './s3-address.js';
import type { WriteConditions } from '../metadata/object-store.js';
import { log } from '../../proto/log.js';

export interface ObjectDeps {
  store: ObjectStore;
  objects: ObjectService;
}

const MAX_DELETE_KEYS = 1000;

export async function requireBucket(store: ObjectStore, name: string): Promise<BucketRow> {
  const bucket = await store.bucket(name);
  if (!bucket) throw s3Errors.noSuchBucket(name);
  return bucket;
}

async function requireObject(store: ObjectStore, bucket: BucketRow, key: string): Promise<FileRow> {
  const object = await store.object(bucket.id, key);
  if (!object) throw s3Errors.noSuchKey(key);
  return object;
}

/** The headers every answer about an object carries. */
function objectResponseHeaders(object: FileRow): Record<string, string> {
  const headers: Record<string, string> = {
    ETag: quoted(object.etag ?? object.md5 ?? object.checksum ?? ''),
    'Last-Modified': (object.completed_at ?? object.created_at).toUTCString(),
    'Content-Type': object.content_type,
    'Accept-Ranges': 'bytes',
  };
  for (const [name, value] of Object.entries(object.headers)) headers[name] = value;
  if (object.part_count > 0) headers['x-amz-mp-parts-count'] = String(object.part_count);
  return headers;
}

function checksumHeaders(checksums: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(checksums).map(([alg, value]) => [`x-amz-checksum-${alg.toLowerCase()}`, value]));
}

/** If-None-Match: * and If-Match of a write (PUT, copy, Complete); other If-None-Match values are not supported. */
export function writeConditionsFrom(ctx: S3Context): WriteConditions {
  const ifNoneMatch = ctx.req.headers['if-none-match'];
  const ifMatch = ctx.req.headers['if-match'];
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw new S3Error(501, 'NotImplemented', 'If-None-Match on a write accepts only "*"', { fields: { Header: 'If-None-Match' } });
  }
  return {
    ifNoneMatchAny: ifNoneMatch !== undefined,
    ...(ifMatch !== undefined ? { ifMatch: ifMatch.trim().replace(/^"(.*)"$/, '$1') } : {}),
  };
}

/** Attempts at a GET whose object is replaced between its lookup and the read of its chunks. */
const GET_ATTEMPTS = 3;

export async function getObject(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await serveObject(ctx, deps);
    } catch (err) {
      // Before the first byte, the key is looked up again and names the object that replaced it.
      if (!(err instanceof ObjectChanged) || ctx.res.headersSent || attempt === GET_ATTEMPTS) throw err;
    }
  }
}

async function serveObject(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const { req, res } = ctx;
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const object = await requireObject(deps.store, bucket, ctx.key!);
  const condition = evaluateConditions(readConditions(req.headers), {
    etag: object.etag ?? '',
    lastModified: object.completed_at ?? object.created_at,
  });
  const headers = objectResponseHeaders(object);
  if (condition.kind === 'failed') throw s3Errors.preconditionFailed(condition.condition);
  if (condition.kind === 'not-modified') {
    res.writeHead(304, { ETag: headers.ETag!, 'Last-Modified': headers['Last-Modified']! });
    res.end();
    return;
  }
  let start = 0;
  let end = object.size;
  let partial = false;
  const partNumber = ctx.query.get('partNumber');
  if (partNumber !== null) {
    if (!/^\d{1,5}$/.test(partNumber) || Number(partNumber) < 1) throw s3Errors.invalidArgument('Part number must be an integer between 1 and 10000', 'partNumber', partNumber);
    const n = Number(partNumber);
    if (object.part_count === 0) {
      if (n !== 1) throw new S3Error(416, 'InvalidPartNumber', 'The requested partnumber is not satisfiable');
    } else {
      const part = (await deps.store.objectParts(object.id)).find((p) => p.part_number === n);
      if (!part) throw new S3Error(416, 'InvalidPartNumber', 'The requested partnumber is not satisfiable');
      [start, end, partial] = [part.part_offset!, part.part_offset! + part.size, true];
    }
  } else {
    const range = parseByteRange(req.headers.range, object.size);
    if (range.kind === 'unsatisfiable') {
      throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', {
        fields: { RangeRequested: String(req.headers.range), ActualObjectSize: String(object.size) },
        headers: { 'Content-Range': `bytes */${object.size}` },
      });
    }
    if (range.kind === 'partial') [start, end, partial] = [range.start, range.end, true];
  }
  if (!partial && req.headers['x-amz-checksum-mode'] === 'ENABLED') Object.assign(headers, checksumHeaders(object.checksums));
  Object.assign(headers, responseOverrides(ctx.query), {
    'Content-Length': String(end - start),
    ...(partial ? { 'Content-Range': `bytes ${start}-${end - 1}/${object.size}` } : {}),
  });
  const status = partial ? 206 : 200;
  if (ctx.op === 'HeadObject' || start === end) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  try {
    await deps.objects.read(object, start, end, responseSink(res, () => res.writeHead(status, headers)));
    res.end();
  } catch (err) {
    if (!res.headersSent) throw err;
    // After the first byte only a cut connection can tell the client that something went wrong.
    if (!(err instanceof ClientGone)) log.warn(`s3: GET ${ctx.bucketName}/${ctx.key} cut: ${(err as Error).message}`);
    res.destroy();
  }
}

export async function putObject(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const headers = objectHeadersFrom(ctx.req.headers);
  const conditions = writeConditionsFrom(ctx);
  const payload = ctx.payload();
  const file = await deps.objects.putObject(bucket, ctx.key!, payload, headers, conditions);
  sendEmpty(ctx.res, 200, { ETag: quoted(file.etag!), ...checksumHeaders(file.checksums) });
}

/** The source of a copy, readable by the caller, with its x-amz-copy-source-if-* conditions met. */
export async function copySource(ctx: S3Context, deps: ObjectDeps): Promise<FileRow> {
  const { bucket: name, key } = parseCopySource(String(ctx.req.headers['x-amz-copy-source']));
  if (!ctx.identity.can(name, 'read')) throw s3Errors.accessDenied();
  const source = await requireObject(deps.store, await requireBucket(deps.store, name), key);
  const condition = evaluateConditions(
    readCopySourceConditions(ctx.req.headers),
    { etag: source.etag ?? '', lastModified: source.completed_at ?? source.created_at },
    true,
  );
  if (condition.kind === 'failed') throw s3Errors.preconditionFailed(condition.condition);
  return source;
}

export async function copyObject(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const source = await copySource(ctx, deps);
  const directive = String(ctx.req.headers['x-amz-metadata-directive'] ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw s3Errors.invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
  if (directive === 'COPY' && source.bucket_id === bucket.id && source.object_key === ctx.key) {
    throw s3Errors.invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const headers: ObjectHeaders =
    directive === 'COPY' ? { contentType: source.content_type, stored: source.headers } : objectHeadersFrom(ctx.req.headers);
  const file = await deps.objects.copyObject(source, bucket, ctx.key!, headers, writeConditionsFrom(ctx));
  sendXml(ctx.res, 200, 'CopyObjectResult', { ETag: quoted(file.etag!), LastModified: isoDate(file.completed_at!) });
}

export async function deleteObject(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  await deps.objects.deleteObject(bucket, ctx.key!);
  sendEmpty(ctx.res, 204); // also when there was no such key, as S3 answers
}

export async function deleteObjects(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const doc = parseXml((await readSmallBody(ctx.body(), ctx.req.headers, 2 * 1024 * 1024)).toString('utf8'), 'Delete');
  const objects = (doc.Object ?? []) as Record<string, unknown>[];
  if (objects.length === 0) throw s3Errors.malformedXml();
  if (objects.length > MAX_DELETE_KEYS) throw s3Errors.malformedXml();
  const quiet = String(doc.Quiet ?? 'false').trim().toLowerCase() === 'true';
  const deleted: { Key: string }[] = [];
  const errors: { Key: string; Code: string; Message: string }[] = [];
  for (const o of objects) {
    const key = xmlText(o.Key, 'Key');
    try {
      // A key no object can have (U+0000, over 1,024 bytes) is refused as in a path, not sent to SQL.
      checkStorableName(key, 'key');
      await deps.objects.deleteObject(bucket, key);
      deleted.push({ Key: key });
    } catch (err) {
      const e = err instanceof S3Error ? err : s3Errors.internal();
      errors.push({ Key: key, Code: e.code, Message: e.message });
    }
  }
  sendXml(ctx.res, 200, 'DeleteResult', { ...(quiet ? {} : { Deleted: deleted }), Error: errors });
}

/** ACLs are not enforced (access comes from keys and grants): the owner has full control. */
export async function getAcl(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  if (ctx.key !== null) await requireObject(deps.store, bucket, ctx.key);
  sendXml(ctx.res, 200, 'AccessControlPolicy', {
    Owner: OWNER,
    AccessControlList: {
      Grant: {
        Grantee: { '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', '@_xsi:type': 'CanonicalUser', ...OWNER },
        Permission: 'FULL_CONTROL',
      },
    },
  });
}

export async function putAcl(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  if (ctx.key !== null) await requireObject(deps.store, bucket, ctx.key);
  for await (const _ of ctx.body()) void _; // an AccessControlPolicy body is accepted and not enforced
  const acl = ctx.req.headers['x-amz-acl'];
  if (ctx.key === null && typeof acl === 'string') await deps.store.setBucketAcl(bucket.id, acl);
  sendEmpty(ctx.res, 200);
}
