// The x-amz-copy-source header of CopyObject and UploadPartCopy, and the byte range of
// x-amz-copy-source-range. Pure.
import { checkStorableName } from './s3-address.js';
import { s3Errors } from './s3-error.js';

export function parseCopySource(header: string): { bucket: string; key: string } {
  let value = header.trim();
  const q = value.indexOf('?');
  if (q >= 0) {
    const params = new URLSearchParams(value.slice(q + 1));
    if (params.has('versionId') && params.get('versionId') !== 'null') {
      throw s3Errors.invalidArgument('Versioning is not enabled: only the current version can be copied', 'x-amz-copy-source');
    }
    value = value.slice(0, q);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw s3Errors.invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 'x-amz-copy-source', header);
  }
  if (decoded.startsWith('/')) decoded = decoded.slice(1);
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw s3Errors.invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 'x-amz-copy-source', header);
  }
  checkStorableName(decoded, 'x-amz-copy-source');
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

/** `bytes=first-last` (both required, inclusive) within a source of `size` bytes; end exclusive. */
export function parseCopySourceRange(header: string | undefined, size: number): { start: number; end: number } {
  if (header === undefined) return { start: 0, end: size };
  const m = /^bytes=(\d+)-(\d+)$/.exec(header.trim());
  if (!m) throw s3Errors.invalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last', 'x-amz-copy-source-range', header);
  const start = Number(m[1]);
  const last = Number(m[2]);
  if (last < start || last >= size) {
    // Not GET's 416: S3 answers a copy range outside the source with this 400.
    throw s3Errors.invalidArgument(`Range specified is not valid for source object of size: ${size}`, 'x-amz-copy-source-range', header);
  }
  return { start, end: last + 1 };
}
