// Which bucket and key a request names: virtual-host style (`bucket.<S3_DOMAIN>/key`) or path style
// (`/bucket/key`). Pure: the Host header and the raw path in, names out.
import { S3Error } from './s3-error.js';

export interface S3Address {
  bucket: string | null;
  key: string | null;
  /** The resource as S3 names it in errors: `/bucket/key`. */
  resource: string;
}

function decode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error(400, 'InvalidURI', 'Could not parse the specified URI.');
  }
}

/** S3's limit on an object key: 1,024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/**
 * Refuses names the store cannot keep, before any work: a key over S3's limit, and U+0000, which
 * PostgreSQL text cannot hold (both would otherwise fail in SQL, after the body was stored).
 */
export function checkStorableName(name: string, what: 'key' | 'bucket' | 'x-amz-copy-source'): void {
  if (name.includes('\u0000')) {
    throw new S3Error(400, 'InvalidArgument', `The ${what === 'x-amz-copy-source' ? 'copy source' : what} contains the character U+0000, which this store cannot keep.`);
  }
  const bytes = Buffer.byteLength(name, 'utf8');
  if (what === 'key' && bytes > MAX_KEY_BYTES) {
    throw new S3Error(400, 'KeyTooLongError', 'Your key is too long', { fields: { MaxSizeAllowed: String(MAX_KEY_BYTES), Size: String(bytes) } });
  }
}

function address(bucket: string, key: string | null): S3Address {
  checkStorableName(bucket, 'bucket');
  if (key !== null) checkStorableName(key, 'key');
  return { bucket, key, resource: `/${bucket}${key === null ? '' : `/${key}`}` };
}

/** `rawPath` is the request path as sent (percent-encoded, without the query string). */
export function parseS3Address(host: string | undefined, rawPath: string, domains: string[]): S3Address {
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  for (const domain of domains) {
    if (hostname.endsWith(`.${domain}`)) {
      return address(hostname.slice(0, -domain.length - 1), path === '' ? null : decode(path));
    }
  }
  if (path === '') return { bucket: null, key: null, resource: '/' };
  const slash = path.indexOf('/');
  const rest = slash < 0 ? '' : path.slice(slash + 1);
  return address(decode(slash < 0 ? path : path.slice(0, slash)), rest === '' ? null : decode(rest));
}
