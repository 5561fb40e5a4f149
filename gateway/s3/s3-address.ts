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

/** `rawPath` is the request path as sent (percent-encoded, without the query string). */
export function parseS3Address(host: string | undefined, rawPath: string, domains: string[]): S3Address {
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  for (const domain of domains) {
    if (hostname.endsWith(`.${domain}`)) {
      const bucket = hostname.slice(0, -domain.length - 1);
      const key = path === '' ? null : decode(path);
      return { bucket, key, resource: `/${bucket}${key === null ? '' : `/${key}`}` };
    }
  }
  if (path === '') return { bucket: null, key: null, resource: '/' };
  const slash = path.indexOf('/');
  const bucket = decode(slash < 0 ? path : path.slice(0, slash));
  const rest = slash < 0 ? '' : path.slice(slash + 1);
  const key = rest === '' ? null : decode(rest);
  return { bucket, key, resource: `/${bucket}${key === null ? '' : `/${key}`}` };
}
