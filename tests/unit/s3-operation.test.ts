import { describe, expect, test } from 'vitest';
import { READ_OPERATIONS, s3Operation } from '../../gateway/s3/s3-operation.js';
import { s3ErrorOf } from '../helpers/s3-error-of.js';

/** `query` as sent after the `?`: sub-resources often come without a value (`?uploads`). */
const op = (method: string, bucket: string | null, key: string | null, query = '', copySource = false) =>
  s3Operation(method, bucket, key, new URLSearchParams(query), { copySource });

describe('service and bucket operations', () => {
  test('the service', () => {
    expect(op('GET', null, null)).toBe('ListBuckets');
    expect(op('HEAD', null, null)).toBe('ListBuckets');
    for (const method of ['PUT', 'POST', 'DELETE']) expect(s3ErrorOf(() => op(method, null, null)).status).toBe(405);
  });

  test('bucket GETs by sub-resource', () => {
    expect(op('GET', 'b', null)).toBe('ListObjects');
    expect(op('GET', 'b', null, 'list-type=2&prefix=a%2F&delimiter=%2F')).toBe('ListObjectsV2');
    expect(op('GET', 'b', null, 'list-type=1')).toBe('ListObjects');
    expect(op('GET', 'b', null, 'location')).toBe('GetBucketLocation');
    expect(op('GET', 'b', null, 'versioning')).toBe('GetBucketVersioning');
    expect(op('GET', 'b', null, 'cors')).toBe('GetBucketCors');
    expect(op('GET', 'b', null, 'acl')).toBe('GetBucketAcl');
    expect(op('GET', 'b', null, 'uploads')).toBe('ListMultipartUploads');
    expect(op('GET', 'b', null, 'uploads=&prefix=x')).toBe('ListMultipartUploads');
  });

  test('bucket PUT, DELETE, HEAD and POST', () => {
    expect(op('PUT', 'b', null)).toBe('CreateBucket');
    expect(op('PUT', 'b', null, 'versioning')).toBe('PutBucketVersioning');
    expect(op('PUT', 'b', null, 'cors')).toBe('PutBucketCors');
    expect(op('PUT', 'b', null, 'acl')).toBe('PutBucketAcl');
    expect(op('DELETE', 'b', null)).toBe('DeleteBucket');
    expect(op('DELETE', 'b', null, 'cors')).toBe('DeleteBucketCors');
    expect(op('HEAD', 'b', null)).toBe('HeadBucket');
    expect(op('POST', 'b', null, 'delete')).toBe('DeleteObjects');
    expect(op('POST', 'b', null, 'delete=')).toBe('DeleteObjects');
  });

  test('a POST to a bucket without ?delete (browser form upload) is not allowed', () => {
    const err = s3ErrorOf(() => op('POST', 'b', null));
    expect(err.status).toBe(405);
    expect(err.code).toBe('MethodNotAllowed');
  });
});

describe('object operations', () => {
  test('reads, writes and deletes', () => {
    expect(op('GET', 'b', 'k')).toBe('GetObject');
    expect(op('HEAD', 'b', 'k')).toBe('HeadObject');
    expect(op('PUT', 'b', 'k')).toBe('PutObject');
    expect(op('PUT', 'b', 'k', '', true)).toBe('CopyObject');
    expect(op('DELETE', 'b', 'k')).toBe('DeleteObject');
    expect(op('GET', 'b', 'k', 'acl')).toBe('GetObjectAcl');
    expect(op('PUT', 'b', 'k', 'acl')).toBe('PutObjectAcl');
  });

  test('query parameters that are not sub-resources do not change the operation', () => {
    // SDK v3 adds ?x-id=<Operation>; presigned URLs carry X-Amz-*; GETs carry response-* overrides.
    expect(op('GET', 'b', 'k', 'x-id=GetObject')).toBe('GetObject');
    expect(op('PUT', 'b', 'k', 'x-id=PutObject')).toBe('PutObject');
    expect(op('GET', 'b', 'k', 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc&response-content-type=text%2Fplain')).toBe('GetObject');
    expect(op('GET', 'b', 'k', 'partNumber=2')).toBe('GetObject');
    expect(op('HEAD', 'b', 'k', 'partNumber=1')).toBe('HeadObject');
  });

  test('multipart uploads', () => {
    expect(op('POST', 'b', 'k', 'uploads')).toBe('CreateMultipartUpload');
    expect(op('POST', 'b', 'k', 'uploadId=u1')).toBe('CompleteMultipartUpload');
    expect(op('PUT', 'b', 'k', 'partNumber=1&uploadId=u1')).toBe('UploadPart');
    expect(op('PUT', 'b', 'k', 'partNumber=1&uploadId=u1', true)).toBe('UploadPartCopy');
    expect(op('GET', 'b', 'k', 'uploadId=u1')).toBe('ListParts');
    expect(op('GET', 'b', 'k', 'uploadId=u1&max-parts=10&part-number-marker=3')).toBe('ListParts');
    expect(op('DELETE', 'b', 'k', 'uploadId=u1')).toBe('AbortMultipartUpload');
  });

  test('an upload part needs both uploadId and partNumber', () => {
    for (const q of ['uploadId=u1', 'partNumber=1']) {
      const err = s3ErrorOf(() => op('PUT', 'b', 'k', q));
      expect(err.status, q).toBe(400);
      expect(err.code, q).toBe('InvalidRequest');
    }
  });

  test('a POST to a key without ?uploads or ?uploadId is not allowed', () => {
    expect(s3ErrorOf(() => op('POST', 'b', 'k')).status).toBe(405);
    expect(s3ErrorOf(() => op('PATCH', 'b', 'k')).status).toBe(405);
  });
});

test('sub-resources this server does not implement answer 501 NotImplemented, on buckets and keys', () => {
  const cases: [string, string | null, string][] = [
    ['GET', null, 'tagging'],
    ['PUT', 'k', 'tagging'],
    ['GET', null, 'versions'],
    ['GET', null, 'policy'],
    ['PUT', null, 'lifecycle'],
    ['GET', null, 'website'],
    ['PUT', null, 'object-lock'],
    ['GET', 'k', 'retention'],
    ['GET', 'k', 'legal-hold'],
    ['POST', 'k', 'restore'],
    ['POST', 'k', 'select&select-type=2'],
    ['GET', 'k', 'attributes'],
    ['GET', null, 'publicAccessBlock'],
  ];
  for (const [method, key, query] of cases) {
    const err = s3ErrorOf(() => op(method, 'b', key, query));
    expect(err.status, `${method} ${key} ?${query}`).toBe(501);
    expect(err.code).toBe('NotImplemented');
  }
});

test('READ_OPERATIONS holds the reads and none of the writes', () => {
  for (const read of ['GetObject', 'HeadObject', 'ListObjects', 'ListObjectsV2', 'HeadBucket', 'ListParts', 'ListMultipartUploads', 'GetBucketCors'] as const) {
    expect(READ_OPERATIONS.has(read), read).toBe(true);
  }
  for (const write of ['PutObject', 'CopyObject', 'DeleteObject', 'DeleteObjects', 'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload', 'AbortMultipartUpload', 'PutBucketCors', 'DeleteBucketCors', 'CreateBucket', 'DeleteBucket', 'PutObjectAcl', 'PutBucketAcl', 'PutBucketVersioning'] as const) {
    expect(READ_OPERATIONS.has(write), write).toBe(false);
  }
});
