// S3 multipart upload: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts,
// ListMultipartUploads. Each part is a file of its own, erasure coded like any object; Complete
// makes the parts the object's without copying them.
import { parseCopySourceRange } from './copy-source.js';
import { CHECKSUM_ALGORITHMS, parseChecksumAlgorithm, type ChecksumAlgorithm } from './checksums/checksum-algorithm.js';
import { objectHeadersFrom } from './object-headers.js';
import { copySource, requireBucket, writeConditionsFrom, type ObjectDeps } from './object-handlers.js';
import { MAX_PARTS } from './object-service.js';
import { partChoicesFrom } from './multipart-parts.js';
import { readSmallBody } from './request-body.js';
import { OWNER, type S3Context } from './s3-context.js';
import { S3Error, s3Errors } from './s3-error.js';
import { isoDate, quoted, sendEmpty, sendXml } from './s3-response.js';
import { parseXml } from './s3-xml.js';

const MAX_LISTED = 1000;

function partNumberOf(ctx: S3Context): number {
  const raw = ctx.query.get('partNumber') ?? '';
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PARTS) {
    throw s3Errors.invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', raw);
  }
  return Number(raw);
}

function maxItems(ctx: S3Context, name: string): number {
  const raw = ctx.query.get(name);
  if (raw === null) return MAX_LISTED;
  if (!/^\d+$/.test(raw)) throw s3Errors.invalidArgument(`Provided ${name} not an integer or within integer range`, name, raw);
  return Math.min(Number(raw), MAX_LISTED);
}

export async function createMultipartUpload(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const named = ctx.req.headers['x-amz-checksum-algorithm'];
  const algorithm = typeof named === 'string' ? parseChecksumAlgorithm(named) : undefined;
  if (typeof named === 'string' && !algorithm) {
    throw s3Errors.invalidRequest(`Checksum algorithm provided is unsupported. Please try again with any of the valid types: [${CHECKSUM_ALGORITHMS.join(', ')}]`);
  }
  const uploadId = await deps.objects.createMultipartUpload(bucket, ctx.key!, objectHeadersFrom(ctx.req.headers), algorithm);
  sendXml(ctx.res, 200, 'InitiateMultipartUploadResult', { Bucket: bucket.name, Key: ctx.key!, UploadId: uploadId }, algorithm ? { 'x-amz-checksum-algorithm': algorithm } : {});
}

export async function uploadPart(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const partNumber = partNumberOf(ctx);
  const upload = await deps.objects.upload(bucket, ctx.key!, ctx.query.get('uploadId')!);
  const part = await deps.objects.uploadPart(upload, partNumber, ctx.payload(upload.headers.checksumAlgorithm as ChecksumAlgorithm | undefined));
  const checksums = Object.fromEntries(Object.entries(part.checksums).map(([a, v]) => [`x-amz-checksum-${a.toLowerCase()}`, v]));
  sendEmpty(ctx.res, 200, { ETag: quoted(part.etag), ...checksums });
}

export async function uploadPartCopy(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const partNumber = partNumberOf(ctx);
  const upload = await deps.objects.upload(bucket, ctx.key!, ctx.query.get('uploadId')!);
  const source = await copySource(ctx, deps);
  const range = parseCopySourceRange(ctx.req.headers['x-amz-copy-source-range'] as string | undefined, source.size);
  const part = await deps.objects.uploadPartCopy(upload, partNumber, source, range.start, range.end);
  sendXml(ctx.res, 200, 'CopyPartResult', { ETag: quoted(part.etag), LastModified: isoDate(part.completed_at) });
}

export async function completeMultipartUpload(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const upload = await deps.objects.upload(bucket, ctx.key!, ctx.query.get('uploadId')!);
  const conditions = writeConditionsFrom(ctx);
  const body = await readSmallBody(ctx.body(), ctx.req.headers, 4 * 1024 * 1024);
  const chosen = partChoicesFrom(parseXml(body.toString('utf8'), 'CompleteMultipartUpload'));
  const file = await deps.objects.completeMultipartUpload(upload, chosen, conditions);
  sendXml(ctx.res, 200, 'CompleteMultipartUploadResult', {
    Location: `/${bucket.name}/${encodeURIComponent(ctx.key!).replace(/%2F/g, '/')}`,
    Bucket: bucket.name,
    Key: ctx.key!,
    ETag: quoted(file.etag!),
  });
}

export async function abortMultipartUpload(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const upload = await deps.objects.upload(bucket, ctx.key!, ctx.query.get('uploadId')!);
  await deps.objects.abortMultipartUpload(upload);
  sendEmpty(ctx.res, 204);
}

export async function listParts(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const upload = await deps.objects.upload(bucket, ctx.key!, ctx.query.get('uploadId')!);
  const marker = ctx.query.get('part-number-marker') ?? '0';
  if (!/^\d+$/.test(marker)) throw s3Errors.invalidArgument('part-number-marker must be an integer', 'part-number-marker', marker);
  const limit = maxItems(ctx, 'max-parts');
  const rows = await deps.store.listParts(upload.id, Number(marker), limit + 1);
  const parts = rows.slice(0, limit);
  const truncated = rows.length > limit;
  sendXml(ctx.res, 200, 'ListPartsResult', {
    Bucket: bucket.name,
    Key: upload.object_key,
    UploadId: upload.id,
    PartNumberMarker: Number(marker),
    ...(truncated ? { NextPartNumberMarker: parts[parts.length - 1]!.part_number } : {}),
    MaxParts: limit,
    IsTruncated: truncated,
    Initiator: OWNER,
    Owner: OWNER,
    StorageClass: 'STANDARD',
    Part: parts.map((p) => ({
      PartNumber: p.part_number,
      LastModified: isoDate(p.completed_at),
      ETag: quoted(p.etag),
      Size: p.size,
      ...Object.fromEntries(Object.entries(p.checksums).map(([a, v]) => [`Checksum${a}`, v])),
    })),
  });
}

export async function listMultipartUploads(ctx: S3Context, deps: ObjectDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const prefix = ctx.query.get('prefix') ?? '';
  const keyMarker = ctx.query.get('key-marker');
  const uploadIdMarker = ctx.query.get('upload-id-marker');
  if (uploadIdMarker && !/^[0-9a-f-]{36}$/i.test(uploadIdMarker)) throw s3Errors.invalidArgument('Invalid uploadId marker', 'upload-id-marker', uploadIdMarker);
  if (ctx.query.get('delimiter')) throw new S3Error(501, 'NotImplemented', 'ListMultipartUploads with a delimiter is not implemented');
  const limit = maxItems(ctx, 'max-uploads');
  const rows = await deps.store.listMultipartUploads(
    bucket.id,
    prefix,
    keyMarker ? { key: keyMarker, uploadId: uploadIdMarker || null } : null,
    limit + 1,
  );
  const uploads = rows.slice(0, limit);
  const truncated = rows.length > limit;
  const last = uploads[uploads.length - 1];
  sendXml(ctx.res, 200, 'ListMultipartUploadsResult', {
    Bucket: bucket.name,
    KeyMarker: keyMarker ?? '',
    UploadIdMarker: uploadIdMarker ?? '',
    ...(truncated && last ? { NextKeyMarker: last.object_key, NextUploadIdMarker: last.id } : {}),
    Prefix: prefix,
    MaxUploads: limit,
    IsTruncated: truncated,
    Upload: uploads.map((u) => ({
      Key: u.object_key,
      UploadId: u.id,
      Initiator: OWNER,
      Owner: OWNER,
      StorageClass: 'STANDARD',
      Initiated: isoDate(u.created_at),
    })),
  });
}
