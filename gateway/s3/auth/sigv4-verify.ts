// Checks a parsed Signature V4 request against the secret of its access key: the request time
// (skew, or expiry for presigned URLs), that every x-amz-* header is signed, and the signature
// itself, compared in constant time. Pure: the clock is a parameter.
import { S3AuthError } from './s3-auth-error.js';
import { deriveSigningKey } from './signing-key.js';
import { canonicalRequest, credentialScope, signaturesMatch, signHex, stringToSign, type RequestHeaders } from './sigv4-canonical.js';
import type { SignedRequestAuth } from './sigv4-request.js';

/** S3 refuses requests more than 15 minutes away from its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** What the chunks and the trailer of an aws-chunked body are signed with: the seed is the request's signature. */
export interface ChunkSigningContext {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  seedSignature: string;
}

export interface VerifyInput {
  method: string;
  rawUrl: string;
  headers: RequestHeaders;
  auth: SignedRequestAuth;
  secretAccessKey: string;
  /** Milliseconds since the epoch. */
  now: number;
}

export function checkRequestTime(auth: SignedRequestAuth, now: number): void {
  if (auth.kind === 'header') {
    if (Math.abs(now - auth.requestTime) > MAX_CLOCK_SKEW_MS) {
      throw new S3AuthError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    }
    return;
  }
  if (auth.requestTime - now > MAX_CLOCK_SKEW_MS) throw new S3AuthError('AccessDenied', 'Request is not valid yet');
  if (now > auth.requestTime + auth.expiresSeconds! * 1000) throw new S3AuthError('AccessDenied', 'Request has expired');
}

/** x-amz-* headers change what a request does, so S3 refuses the ones that the signature does not cover. */
export function checkAmzHeadersSigned(headers: RequestHeaders, signedHeaders: readonly string[]): void {
  const unsigned = Object.keys(headers).filter((name) => name.startsWith('x-amz-') && headers[name] !== undefined && !signedHeaders.includes(name));
  if (unsigned.length > 0) {
    throw new S3AuthError('AccessDenied', `There were headers present in the request which were not signed: ${unsigned.sort().join(', ')}`);
  }
}

/** Verifies the request; returns what its aws-chunked body (if any) is verified with. */
export function verifyRequestSignature(input: VerifyInput): ChunkSigningContext {
  const { auth } = input;
  checkRequestTime(auth, input.now);
  checkAmzHeadersSigned(input.headers, auth.signedHeaders);

  const { date, region, service, accessKeyId } = auth.credential;
  const scope = credentialScope(date, region, service);
  const canonical = canonicalRequest({
    method: input.method,
    rawUrl: input.rawUrl,
    headers: input.headers,
    signedHeaders: auth.signedHeaders,
    payloadHash: auth.payloadHash,
    presigned: auth.kind === 'presigned',
  });
  const toSign = stringToSign(auth.amzDate, scope, canonical);
  const signingKey = deriveSigningKey(input.secretAccessKey, date, region, service);
  const expected = signHex(signingKey, toSign);
  if (!signaturesMatch(expected, auth.signature)) {
    throw new S3AuthError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      // What S3 returns along with this error, so that a client's author can see where they differ.
      { AWSAccessKeyId: accessKeyId, StringToSign: toSign, SignatureProvided: auth.signature, CanonicalRequest: canonical },
    );
  }
  return { signingKey, amzDate: auth.amzDate, scope, seedSignature: auth.signature };
}
