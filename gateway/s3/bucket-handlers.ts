// S3 bucket operations: list, create, delete, head, location, versioning, CORS configuration.
import type { ObjectStore } from '../metadata/object-store.js';
import type { ChunkDeleter } from '../cluster/chunk-deleter.js';
import { bucketNameProblem } from './bucket-name.js';
import { parseCorsConfiguration, type CorsRule } from './cors-rules.js';
import { requireBucket } from './object-handlers.js';
import { readSmallBody } from './request-body.js';
import { OWNER, type S3Context } from './s3-context.js';
import { S3Error, s3Errors } from './s3-error.js';
import { isoDate, sendEmpty, sendXml } from './s3-response.js';
import { parseXml } from './s3-xml.js';

export interface BucketDeps {
  store: ObjectStore;
  deleter: ChunkDeleter;
  region: string;
}

const CANNED_ACLS = new Set(['private', 'public-read', 'public-read-write', 'authenticated-read', 'bucket-owner-read', 'bucket-owner-full-control']);

export async function listBuckets(ctx: S3Context, deps: BucketDeps): Promise<void> {
  const buckets = (await deps.store.listBuckets()).filter((b) => ctx.identity.isRoot || ctx.identity.can(b.name, 'read') || ctx.identity.can(b.name, 'write'));
  sendXml(ctx.res, 200, 'ListAllMyBucketsResult', {
    Owner: OWNER,
    Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: isoDate(b.created_at), BucketRegion: deps.region })) },
  });
}

export async function createBucket(ctx: S3Context, deps: BucketDeps): Promise<void> {
  const name = ctx.bucketName!;
  const problem = bucketNameProblem(name);
  if (problem) throw new S3Error(400, 'InvalidBucketName', `The specified bucket is not valid. ${problem}`, { fields: { BucketName: name } });
  const body = (await readSmallBody(ctx.body(), ctx.req.headers, 64 * 1024)).toString('utf8');
  if (body.trim() !== '') {
    const config = parseXml(body, 'CreateBucketConfiguration');
    const location = typeof config.LocationConstraint === 'string' ? config.LocationConstraint.trim() : '';
    if (location !== '' && location !== deps.region) {
      throw new S3Error(400, 'InvalidLocationConstraint', `The specified location-constraint is not valid: this store's region is ${deps.region}`);
    }
  }
  const acl = String(ctx.req.headers['x-amz-acl'] ?? 'private');
  if (!CANNED_ACLS.has(acl)) throw s3Errors.invalidArgument('The canned ACL is not valid', 'x-amz-acl', acl);
  if ((await deps.store.createBucket(name, acl)) === 'exists') {
    // One owner per store: every existing bucket is the caller's, as S3 says of us-east-1.
    throw new S3Error(409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', {
      fields: { BucketName: name },
    });
  }
  sendEmpty(ctx.res, 200, { Location: `/${name}` });
}

export async function deleteBucket(ctx: S3Context, deps: BucketDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const result = await deps.store.deleteBucket(bucket.id);
  if (result.kind === 'not-empty') {
    throw new S3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', { fields: { BucketName: bucket.name } });
  }
  if (result.queued.length > 0) void deps.deleter.deleteNow(result.queued).catch(() => undefined);
  sendEmpty(ctx.res, 204);
}

export async function headBucket(ctx: S3Context, deps: BucketDeps): Promise<void> {
  await requireBucket(deps.store, ctx.bucketName!);
  sendEmpty(ctx.res, 200, { 'x-amz-bucket-region': deps.region });
}

export async function getBucketLocation(ctx: S3Context, deps: BucketDeps): Promise<void> {
  await requireBucket(deps.store, ctx.bucketName!);
  // us-east-1 is answered as an empty LocationConstraint, as S3 does.
  sendXml(ctx.res, 200, 'LocationConstraint', deps.region === 'us-east-1' ? {} : { '#text': deps.region });
}

export async function getBucketVersioning(ctx: S3Context, deps: BucketDeps): Promise<void> {
  await requireBucket(deps.store, ctx.bucketName!);
  sendXml(ctx.res, 200, 'VersioningConfiguration', {}); // no Status: versioning was never enabled
}

export async function putBucketVersioning(ctx: S3Context, deps: BucketDeps): Promise<void> {
  await requireBucket(deps.store, ctx.bucketName!);
  const config = parseXml((await readSmallBody(ctx.body(), ctx.req.headers, 64 * 1024)).toString('utf8'), 'VersioningConfiguration');
  if (String(config.Status ?? '').trim() === 'Enabled') throw s3Errors.notImplemented('Bucket versioning');
  sendEmpty(ctx.res, 200);
}

export async function getBucketCors(ctx: S3Context, deps: BucketDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const rules = bucket.cors as CorsRule[] | null;
  if (!rules) throw new S3Error(404, 'NoSuchCORSConfiguration', 'The CORS configuration does not exist', { fields: { BucketName: bucket.name } });
  sendXml(ctx.res, 200, 'CORSConfiguration', {
    CORSRule: rules.map((r) => ({
      ...(r.id ? { ID: r.id } : {}),
      AllowedOrigin: r.allowedOrigins,
      AllowedMethod: r.allowedMethods,
      AllowedHeader: r.allowedHeaders,
      ExposeHeader: r.exposeHeaders,
      ...(r.maxAgeSeconds !== null ? { MaxAgeSeconds: r.maxAgeSeconds } : {}),
    })),
  });
}

export async function putBucketCors(ctx: S3Context, deps: BucketDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  const rules = parseCorsConfiguration(parseXml((await readSmallBody(ctx.body(), ctx.req.headers, 64 * 1024)).toString('utf8'), 'CORSConfiguration'));
  await deps.store.setBucketCors(bucket.id, rules);
  sendEmpty(ctx.res, 200);
}

export async function deleteBucketCors(ctx: S3Context, deps: BucketDeps): Promise<void> {
  const bucket = await requireBucket(deps.store, ctx.bucketName!);
  await deps.store.setBucketCors(bucket.id, null);
  sendEmpty(ctx.res, 204);
}
