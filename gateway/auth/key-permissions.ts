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

/**
 * A bucket name a grant may name: S3's rules for new buckets (3-63 characters of a-z, 0-9, '.' and
 * '-', starting and ending with a letter or digit, no '..', not shaped like an IPv4 address). The
 * system bucket of /files ('.files') can never be granted.
 */
export function grantBucketProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `bucket name must be 3 to 63 characters long (it has ${name.length})`;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return 'bucket name may hold only a-z, 0-9, "." and "-", and must start and end with a letter or digit';
  }
  if (name.includes('..')) return 'bucket name may not hold two dots in a row';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'bucket name may not look like an IP address';
  return undefined;
}
