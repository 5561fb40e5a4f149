// Which S3 operation a request is: from its method, whether it names a bucket and a key, and its
// sub-resource query parameters (?uploads, ?uploadId=, ?delete, ?cors, ...). Pure.
import { S3Error, s3Errors } from './s3-error.js';

export type S3Operation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'DeleteBucket'
  | 'HeadBucket'
  | 'ListObjects'
  | 'ListObjectsV2'
  | 'GetBucketLocation'
  | 'GetBucketVersioning'
  | 'PutBucketVersioning'
  | 'GetBucketCors'
  | 'PutBucketCors'
  | 'DeleteBucketCors'
  | 'GetBucketAcl'
  | 'PutBucketAcl'
  | 'ListMultipartUploads'
  | 'DeleteObjects'
  | 'GetObject'
  | 'HeadObject'
  | 'PutObject'
  | 'CopyObject'
  | 'DeleteObject'
  | 'GetObjectAcl'
  | 'PutObjectAcl'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts';

/** Operations that only read (the key needs read permission on the bucket); the rest write. */
export const READ_OPERATIONS = new Set<S3Operation>([
  'HeadBucket',
  'ListObjects',
  'ListObjectsV2',
  'GetBucketLocation',
  'GetBucketVersioning',
  'GetBucketCors',
  'GetBucketAcl',
  'ListMultipartUploads',
  'GetObject',
  'HeadObject',
  'GetObjectAcl',
  'ListParts',
]);

const UNSUPPORTED_SUBRESOURCES = [
  'tagging',
  'policy',
  'lifecycle',
  'replication',
  'website',
  'logging',
  'notification',
  'encryption',
  'object-lock',
  'retention',
  'legal-hold',
  'torrent',
  'restore',
  'select',
  'versions',
  'accelerate',
  'analytics',
  'inventory',
  'metrics',
  'ownershipControls',
  'publicAccessBlock',
  'requestPayment',
  'intelligent-tiering',
  'attributes',
];

export function s3Operation(
  method: string,
  bucket: string | null,
  key: string | null,
  query: URLSearchParams,
  headers: { copySource: boolean },
): S3Operation {
  const has = (name: string): boolean => query.has(name);
  const unsupported = UNSUPPORTED_SUBRESOURCES.find(has);
  if (unsupported) throw s3Errors.notImplemented(`The ?${unsupported} sub-resource`);
  if (bucket === null) {
    if (method === 'GET' || method === 'HEAD') return 'ListBuckets';
    throw s3Errors.methodNotAllowed(method);
  }
  if (key === null) {
    switch (method) {
      case 'GET':
        if (has('location')) return 'GetBucketLocation';
        if (has('versioning')) return 'GetBucketVersioning';
        if (has('cors')) return 'GetBucketCors';
        if (has('acl')) return 'GetBucketAcl';
        if (has('uploads')) return 'ListMultipartUploads';
        return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      case 'HEAD':
        return 'HeadBucket';
      case 'PUT':
        if (has('versioning')) return 'PutBucketVersioning';
        if (has('cors')) return 'PutBucketCors';
        if (has('acl')) return 'PutBucketAcl';
        return 'CreateBucket';
      case 'DELETE':
        if (has('cors')) return 'DeleteBucketCors';
        return 'DeleteBucket';
      case 'POST':
        if (has('delete')) return 'DeleteObjects';
        break;
    }
    throw s3Errors.methodNotAllowed(method);
  }
  switch (method) {
    case 'GET':
      if (has('acl')) return 'GetObjectAcl';
      if (has('uploadId')) return 'ListParts';
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      if (has('acl')) return 'PutObjectAcl';
      if (has('uploadId') || has('partNumber')) {
        if (!has('uploadId') || !has('partNumber')) throw s3Errors.invalidRequest('UploadPart needs both uploadId and partNumber');
        return headers.copySource ? 'UploadPartCopy' : 'UploadPart';
      }
      return headers.copySource ? 'CopyObject' : 'PutObject';
    case 'DELETE':
      if (has('uploadId')) return 'AbortMultipartUpload';
      return 'DeleteObject';
    case 'POST':
      if (has('uploads')) return 'CreateMultipartUpload';
      if (has('uploadId')) return 'CompleteMultipartUpload';
      break;
  }
  throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
}
