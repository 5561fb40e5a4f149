// The headers an object keeps and returns: Content-Type, Content-Encoding, Content-Disposition,
// Cache-Control, Content-Language, Expires and x-amz-meta-*. Pure.
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error, s3Errors } from './s3-error.js';

const KEPT = ['content-encoding', 'content-disposition', 'cache-control', 'content-language', 'expires'];
/** S3's limit on user metadata: names and values together. */
const MAX_USER_METADATA = 2 * 1024;
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

export interface ObjectHeaders {
  contentType: string;
  /** Stored lowercase: the kept content headers and x-amz-meta-*. */
  stored: Record<string, string>;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v);

export function objectHeadersFrom(headers: IncomingHttpHeaders): ObjectHeaders {
  const contentType = first(headers['content-type']) || 'binary/octet-stream';
  if (contentType.length > 255 || CONTROL.test(contentType)) throw s3Errors.invalidArgument('Content-Type is not valid', 'Content-Type');
  const stored: Record<string, string> = {};
  let metaBytes = 0;
  for (const [name, raw] of Object.entries(headers)) {
    const value = first(raw);
    if (value === undefined) continue;
    if (KEPT.includes(name)) {
      // aws-chunked is how the body travelled, not how the object is encoded.
      const kept = name === 'content-encoding' ? value.split(',').map((v) => v.trim()).filter((v) => v && v !== 'aws-chunked').join(', ') : value;
      if (kept) stored[name] = kept;
    } else if (name.startsWith('x-amz-meta-')) {
      stored[name] = value;
      // node:http hands header values over one character per byte (latin1): count the bytes sent.
      metaBytes += Buffer.byteLength(name.slice('x-amz-meta-'.length), 'latin1') + Buffer.byteLength(value, 'latin1');
    }
  }
  if (metaBytes > MAX_USER_METADATA) {
    throw new S3Error(400, 'MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size.', {
      fields: { MaxSizeAllowed: String(MAX_USER_METADATA) },
    });
  }
  return { contentType, stored };
}

/** Response headers overridden by presigned GETs: ?response-content-type=... and the like. */
export function responseOverrides(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  const names: Record<string, string> = {
    'response-content-type': 'Content-Type',
    'response-content-language': 'Content-Language',
    'response-expires': 'Expires',
    'response-cache-control': 'Cache-Control',
    'response-content-disposition': 'Content-Disposition',
    'response-content-encoding': 'Content-Encoding',
  };
  for (const [param, header] of Object.entries(names)) {
    const v = query.get(param);
    if (v !== null) out[header] = v;
  }
  return out;
}
