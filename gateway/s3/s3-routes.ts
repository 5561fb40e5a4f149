// Every S3 operation and the handler that serves it.
import type pg from 'pg';
import type { ChunkDeleter } from '../cluster/chunk-deleter.js';
import type { ObjectStore } from '../metadata/object-store.js';
import * as buckets from './bucket-handlers.js';
import { listObjectsHandler } from './list-handlers.js';
import * as multipart from './multipart-handlers.js';
import * as objects from './object-handlers.js';
import type { ObjectService } from './object-service.js';
import type { S3Handler } from './s3-server.js';
import type { S3Operation } from './s3-operation.js';

export function s3Routes(deps: {
  store: ObjectStore;
  objects: ObjectService;
  deleter: ChunkDeleter;
  pool: pg.Pool;
  region: string;
}): Record<S3Operation, S3Handler> {
  const b = { store: deps.store, deleter: deps.deleter, region: deps.region };
  const o = { store: deps.store, objects: deps.objects };
  return {
    ListBuckets: (ctx) => buckets.listBuckets(ctx, b),
    CreateBucket: (ctx) => buckets.createBucket(ctx, b),
    DeleteBucket: (ctx) => buckets.deleteBucket(ctx, b),
    HeadBucket: (ctx) => buckets.headBucket(ctx, b),
    GetBucketLocation: (ctx) => buckets.getBucketLocation(ctx, b),
    GetBucketVersioning: (ctx) => buckets.getBucketVersioning(ctx, b),
    PutBucketVersioning: (ctx) => buckets.putBucketVersioning(ctx, b),
    GetBucketCors: (ctx) => buckets.getBucketCors(ctx, b),
    PutBucketCors: (ctx) => buckets.putBucketCors(ctx, b),
    DeleteBucketCors: (ctx) => buckets.deleteBucketCors(ctx, b),
    GetBucketAcl: (ctx) => objects.getAcl(ctx, o),
    PutBucketAcl: (ctx) => objects.putAcl(ctx, o),
    ListObjects: (ctx) => listObjectsHandler(ctx, deps),
    ListObjectsV2: (ctx) => listObjectsHandler(ctx, deps),
    ListMultipartUploads: (ctx) => multipart.listMultipartUploads(ctx, o),
    DeleteObjects: (ctx) => objects.deleteObjects(ctx, o),
    GetObject: (ctx) => objects.getObject(ctx, o),
    HeadObject: (ctx) => objects.getObject(ctx, o),
    PutObject: (ctx) => objects.putObject(ctx, o),
    CopyObject: (ctx) => objects.copyObject(ctx, o),
    DeleteObject: (ctx) => objects.deleteObject(ctx, o),
    GetObjectAcl: (ctx) => objects.getAcl(ctx, o),
    PutObjectAcl: (ctx) => objects.putAcl(ctx, o),
    CreateMultipartUpload: (ctx) => multipart.createMultipartUpload(ctx, o),
    UploadPart: (ctx) => multipart.uploadPart(ctx, o),
    UploadPartCopy: (ctx) => multipart.uploadPartCopy(ctx, o),
    CompleteMultipartUpload: (ctx) => multipart.completeMultipartUpload(ctx, o),
    AbortMultipartUpload: (ctx) => multipart.abortMultipartUpload(ctx, o),
    ListParts: (ctx) => multipart.listParts(ctx, o),
  };
}
