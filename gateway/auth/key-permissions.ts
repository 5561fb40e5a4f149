// What an access key may do with a bucket. Pure: the key and its grants are plain values.
//
// The root key may do everything. Any other key may read (GetObject, HeadObject, ListObjects...)
// or write (PutObject, DeleteObject, multipart...) a bucket only where it holds a grant that says so,
// and ListBuckets shows it the buckets it holds any grant on.

export type BucketAccess = 'read' | 'write';

export interface KeyGrant {
  bucket: string;
  read: boolean;
  write: boolean;
}

export interface KeyPermissions {
  isRoot: boolean;
  grants: readonly KeyGrant[];
}

export function can(key: KeyPermissions, bucket: string, access: BucketAccess): boolean {
  if (key.isRoot) return true;
  const grant = key.grants.find((g) => g.bucket === bucket);
  return grant !== undefined && (access === 'read' ? grant.read : grant.write);
}

/** Whether ListBuckets shows `bucket` to the key: root sees all, others the buckets they hold a grant on. */
export function canSeeBucket(key: KeyPermissions, bucket: string): boolean {
  return key.isRoot || key.grants.some((g) => g.bucket === bucket && (g.read || g.write));
}
