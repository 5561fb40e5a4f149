// The canonical forms of AWS Signature V4 as S3 computes them, and the strings to sign of a request,
// of a chunk of an aws-chunked body and of its trailer. Pure functions over strings and bytes.
//
// S3 is the one service whose canonical URI is not encoded twice: each path segment is encoded once.
// The canonical URI and query are rebuilt from the raw request (decoded, then encoded again), so a
// client that encodes more or fewer characters than AWS's set, or writes lower-case hex, still
// matches as long as it means the same bytes.
import { timingSafeEqual } from 'node:crypto';
import { hmacSha256, sha256Hex, EMPTY_SHA256_HEX } from './signing-key.js';
import { percentDecode, uriEncode } from './uri-encoding.js';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

/** The headers as Node gives them (`req.headers`) or unjoined (`req.headersDistinct`), names in lower case. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** Path and query of a request target as received; an absolute-form target loses its scheme and host. */
export function splitRequestTarget(rawUrl: string): { path: string; query: string } {
  let target = rawUrl;
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(target);
  if (scheme) target = target.slice(scheme[0].length);
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  const path = q >= 0 ? target.slice(0, q) : target;
  return { path: path === '' ? '/' : path, query: q >= 0 ? target.slice(q + 1) : '' };
}

/** The canonical URI: each segment of the raw path decoded, then URI-encoded once ('/' kept between segments). */
export function canonicalUri(rawPath: string): string {
  const path = rawPath === '' ? '/' : rawPath;
  return path
    .split('/')
    .map((segment) => uriEncode(percentDecode(segment)))
    .join('/');
}

export interface QueryParameter {
  name: string;
  value: string;
}

/** The query parameters, decoded as URLSearchParams decodes them ('+' is a space), in order. */
export function parseQuery(rawQuery: string): QueryParameter[] {
  const params: QueryParameter[] = [];
  if (rawQuery === '') return params;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq >= 0 ? part.slice(0, eq) : part;
    const rawValue = eq >= 0 ? part.slice(eq + 1) : '';
    params.push({ name: percentDecode(rawName, true).toString('utf8'), value: percentDecode(rawValue, true).toString('utf8') });
  }
  return params;
}

/**
 * The canonical query string: every parameter (a parameter without '=' has the empty value) encoded,
 * sorted by encoded name and then value, joined by '&'; `X-Amz-Signature` is left out for presigned
 * requests, since it is what is being computed.
 */
export function canonicalQueryString(rawQuery: string, { omitSignature }: { omitSignature: boolean }): string {
  const pairs: Array<[string, string]> = [];
  if (rawQuery === '') return '';
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = uriEncode(percentDecode(eq >= 0 ? part.slice(0, eq) : part, true));
    if (omitSignature && name === 'X-Amz-Signature') continue;
    const value = uriEncode(percentDecode(eq >= 0 ? part.slice(eq + 1) : '', true));
    pairs.push([name, value]);
  }
  // Encoded strings are ASCII, so comparing UTF-16 code units is the byte order AWS uses.
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** A header's canonical value: each value trimmed with inner runs of whitespace made one space, joined by ','. */
export function canonicalHeaderValue(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  const values = Array.isArray(value) ? value : [value];
  return values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

/** The canonical headers block: `name:value\n` for each signed header, in the order of SignedHeaders. */
export function canonicalHeaders(headers: RequestHeaders, signedHeaders: readonly string[]): string {
  let block = '';
  for (const name of signedHeaders) block += `${name}:${canonicalHeaderValue(headers[name])}\n`;
  return block;
}

export interface CanonicalRequestParts {
  method: string;
  rawUrl: string;
  headers: RequestHeaders;
  signedHeaders: readonly string[];
  payloadHash: string;
  presigned: boolean;
}

export function canonicalRequest(parts: CanonicalRequestParts): string {
  const { path, query } = splitRequestTarget(parts.rawUrl);
  return [
    parts.method.toUpperCase(),
    canonicalUri(path),
    canonicalQueryString(query, { omitSignature: parts.presigned }),
    canonicalHeaders(parts.headers, parts.signedHeaders),
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
}

/** `date/region/service/aws4_request` */
export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/aws4_request`;
}

export function stringToSign(amzDate: string, scope: string, canonicalRequestText: string): string {
  return `${SIGV4_ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequestText)}`;
}

/** The string to sign of one chunk of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body, chained on the previous signature. */
export function chunkStringToSign(amzDate: string, scope: string, previousSignature: string, chunkSha256Hex: string): string {
  return `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${previousSignature}\n${EMPTY_SHA256_HEX}\n${chunkSha256Hex}`;
}

/**
 * The canonical trailer that x-amz-trailer-signature signs: `name:value\n` for each trailing header,
 * names in lower case and sorted, values trimmed (the signature header itself left out).
 */
export function canonicalTrailer(trailers: ReadonlyMap<string, string>): string {
  const names = [...trailers.keys()].sort();
  return names.map((name) => `${name}:${trailers.get(name)!.trim()}\n`).join('');
}

export function trailerStringToSign(amzDate: string, scope: string, previousSignature: string, canonicalTrailerText: string): string {
  return `AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${previousSignature}\n${sha256Hex(canonicalTrailerText)}`;
}

/** The hex signature of `text` with a derived signing key. */
export function signHex(signingKey: Uint8Array, text: string): string {
  return hmacSha256(signingKey, text).toString('hex');
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

export function isSignatureHex(value: string): boolean {
  return HEX64.test(value);
}

/** Compares two hex signatures in constant time (upper- or lower-case hex alike). */
export function signaturesMatch(expectedHex: string, providedHex: string): boolean {
  if (!HEX64.test(expectedHex) || !HEX64.test(providedHex)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(providedHex, 'hex'));
}
