// What the body of a request is, as its x-amz-content-sha256 says: unsigned, a single piece whose
// SHA-256 is given, or an aws-chunked body (signed chunk by chunk or not, with trailing headers or not).
import { S3AuthError } from './s3-auth-error.js';
import { headerValue, UNSIGNED_PAYLOAD } from './sigv4-request.js';
import type { RequestHeaders } from './sigv4-canonical.js';

export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
const STREAMING_ECDSA = ['STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD', 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER'];

export type PayloadMode =
  | { kind: 'unsigned' }
  /** The body's SHA-256 must be this (lower-case hex). */
  | { kind: 'sha256'; sha256Hex: string }
  | {
      kind: 'aws-chunked';
      /** Each chunk carries a signature chained from the request's. */
      signedChunks: boolean;
      /** Trailing headers follow the last chunk (signed with x-amz-trailer-signature when signedChunks). */
      trailer: boolean;
      /** Trailing header names announced by x-amz-trailer, lower case. */
      announcedTrailers: string[];
      /** x-amz-decoded-content-length, when given. */
      decodedLength?: number;
    };

/**
 * The payload mode of a request whose canonical payload hash is `payloadHash` (undefined for an
 * anonymous request without x-amz-content-sha256).
 */
export function payloadModeOf(payloadHash: string | undefined, headers: RequestHeaders, signed: boolean): PayloadMode {
  if (payloadHash === undefined || payloadHash === UNSIGNED_PAYLOAD) return { kind: 'unsigned' };
  if (/^[0-9a-fA-F]{64}$/.test(payloadHash)) return { kind: 'sha256', sha256Hex: payloadHash.toLowerCase() };
  if (STREAMING_ECDSA.includes(payloadHash)) throw new S3AuthError('NotImplemented', 'Signature Version 4A is not supported.');
  const signedChunks = payloadHash === STREAMING_SIGNED || payloadHash === STREAMING_SIGNED_TRAILER;
  if (!signedChunks && payloadHash !== STREAMING_UNSIGNED_TRAILER) {
    throw new S3AuthError(
      'InvalidArgument',
      `x-amz-content-sha256 must be ${UNSIGNED_PAYLOAD}, ${STREAMING_UNSIGNED_TRAILER}, ${STREAMING_SIGNED}, ${STREAMING_SIGNED_TRAILER} or a valid sha256 value.`,
    );
  }
  // Chunk signatures chain from the request signature: an unsigned request has none to start from.
  if (signedChunks && !signed) throw new S3AuthError('AccessDenied', 'A signed aws-chunked body needs a signed request.');
  return {
    kind: 'aws-chunked',
    signedChunks,
    trailer: payloadHash !== STREAMING_SIGNED,
    announcedTrailers: announcedTrailers(headers),
    decodedLength: decodedContentLength(headers),
  };
}

function announcedTrailers(headers: RequestHeaders): string[] {
  const value = headerValue(headers, 'x-amz-trailer');
  if (value === undefined) return [];
  return value
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
}

function decodedContentLength(headers: RequestHeaders): number | undefined {
  const value = headerValue(headers, 'x-amz-decoded-content-length');
  if (value === undefined) return undefined;
  const text = value.trim();
  const length = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(length)) {
    throw new S3AuthError('InvalidArgument', `x-amz-decoded-content-length "${text}" is not a valid length.`);
  }
  return length;
}
