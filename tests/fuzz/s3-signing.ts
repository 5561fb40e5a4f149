// S3 requests for the fuzz suite: signed with SigV4 by the SDK's own signer (@smithy/signature-v4),
// with any region, service or date, as headers or as a presigned query, then written out as raw
// HTTP bytes, so that what the signer produced can be mutated freely before it is sent.
import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

export interface S3Key {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3Request {
  method: string;
  /** Already percent-encoded: `/bucket/key`. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names; `host` is added. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface SigningVariant {
  key: S3Key;
  region: string;
  service: string;
  date: Date;
  /** Send UNSIGNED-PAYLOAD instead of the body's SHA-256. */
  unsignedPayload?: boolean;
}

/** S3's query encoding (RFC 3986 unreserved characters kept); a lone surrogate (left by a mutation) goes as U+FFFD. */
export const encodeQueryPart = (s: string): string =>
  encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

export function queryString(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([n, v]) => `${encodeQueryPart(n)}=${encodeQueryPart(v)}`)
    .join('&');
}

function signer(v: SigningVariant): SignatureV4 {
  return new SignatureV4({
    credentials: { accessKeyId: v.key.accessKeyId, secretAccessKey: v.key.secretAccessKey },
    region: v.region,
    service: v.service,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
  });
}

/** The request's headers once signed (lower-case names), Authorization among them. */
export async function signedHeaders(r: S3Request, host: string, v: SigningVariant): Promise<Record<string, string>> {
  const headers: Record<string, string> = {
    host,
    ...r.headers,
    'x-amz-content-sha256': v.unsignedPayload ? 'UNSIGNED-PAYLOAD' : createHash('sha256').update(r.body).digest('hex'),
  };
  if (r.body.length > 0 || r.method === 'PUT' || r.method === 'POST') headers['content-length'] = String(r.body.length);
  const signed = await signer(v).sign(
    { method: r.method, protocol: 'http:', hostname: host.replace(/:\d+$/, ''), path: r.path, query: r.query, headers },
    { signingDate: v.date, signingRegion: v.region, signingService: v.service },
  );
  return Object.fromEntries(Object.entries(signed.headers).map(([n, value]) => [n.toLowerCase(), String(value)]));
}

/**
 * The query of a presigned URL for the request (its X-Amz-* parameters added), with an unsigned
 * payload, as the SDK's S3 presigner makes them (it hoists x-amz-content-sha256 into the query).
 */
export async function presignedQuery(r: S3Request, host: string, v: SigningVariant, expiresIn: number): Promise<Record<string, string>> {
  const headers = { host, ...r.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
  const presigned = await signer(v).presign(
    { method: r.method, protocol: 'http:', hostname: host.replace(/:\d+$/, ''), path: r.path, query: r.query, headers },
    { signingDate: v.date, signingRegion: v.region, signingService: v.service, expiresIn },
  );
  return Object.fromEntries(Object.entries(presigned.query ?? {}).map(([n, value]) => [n, String(value)]));
}

/** The request as bytes: header lines exactly as given (several of one name allowed), then the body. */
export function rawS3Request(method: string, target: string, headers: Array<[string, string]>, body: Buffer): Buffer {
  const lines = headers.map(([n, value]) => `${n}: ${value}`);
  return Buffer.concat([Buffer.from(`${method} ${target} HTTP/1.1\r\n${[...lines, 'connection: close'].join('\r\n')}\r\n\r\n`, 'utf8'), body]);
}

export const target = (path: string, query: string): string => (query ? `${path}?${query}` : path);
