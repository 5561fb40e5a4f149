// The S3 handler's entry to authentication: from the request head (method, raw URL, headers) and a
// way to find the secret of an access key, either an anonymous request or a verified one, with what
// its body is (payload mode) and what its chunks are signed with. Reads no body.
import { S3AuthError } from './s3-auth-error.js';
import { payloadModeOf, type PayloadMode } from './payload-mode.js';
import type { RequestHeaders } from './sigv4-canonical.js';
import { headerValue, parseRequestAuth } from './sigv4-request.js';
import { verifyRequestSignature, type ChunkSigningContext } from './sigv4-verify.js';

export interface S3RequestHead {
  method: string;
  /** The request target as received: path and query, still encoded (`req.url`). */
  url: string;
  /** `req.headers`, or `req.headersDistinct` so that a header sent on several lines is joined exactly as SigV4 joins it. */
  headers: RequestHeaders;
}

/** The secret access key of an access key id; undefined (or null) when there is no such key. */
export type SecretLookup = (accessKeyId: string) => string | undefined | null | Promise<string | undefined | null>;

export interface AuthenticateOptions {
  /** The region this endpoint serves; credentials scoped to another region are refused. Any region when absent. */
  region?: string;
  /** The clock, in milliseconds since the epoch (tests). */
  now?: number;
}

export type AuthenticatedRequest =
  | { kind: 'anonymous'; payload: PayloadMode }
  | {
      kind: 'signed';
      via: 'header' | 'presigned';
      accessKeyId: string;
      /** The region of the credential scope. */
      region: string;
      signedHeaders: string[];
      payload: PayloadMode;
      chunkSigning: ChunkSigningContext;
      /** Presigned only: when the URL expires (milliseconds since the epoch). */
      expiresAt?: number;
    };

/**
 * Authenticates the head of a request. Throws S3AuthError (AccessDenied, AuthorizationHeaderMalformed,
 * AuthorizationQueryParametersError, InvalidAccessKeyId, RequestTimeTooSkewed, SignatureDoesNotMatch,
 * InvalidRequest, InvalidArgument, InvalidToken, NotImplemented).
 */
export async function authenticateRequest(
  head: S3RequestHead,
  lookupSecret: SecretLookup,
  options: AuthenticateOptions = {},
): Promise<AuthenticatedRequest> {
  const parsed = parseRequestAuth(head.url, head.headers, { region: options.region });
  if (parsed.kind === 'anonymous') {
    const payloadHash = headerValue(head.headers, 'x-amz-content-sha256')?.trim();
    return { kind: 'anonymous', payload: payloadModeOf(payloadHash, head.headers, false) };
  }
  const payload = payloadModeOf(parsed.payloadHash, head.headers, true);
  const { accessKeyId, region } = parsed.credential;
  const secret = await lookupSecret(accessKeyId);
  if (secret === undefined || secret === null) {
    throw new S3AuthError('InvalidAccessKeyId', 'The AWS access key Id you provided does not exist in our records.', {
      AWSAccessKeyId: accessKeyId,
    });
  }
  const chunkSigning = verifyRequestSignature({
    method: head.method,
    rawUrl: head.url,
    headers: head.headers,
    auth: parsed,
    secretAccessKey: secret,
    now: options.now ?? Date.now(),
  });
  return {
    kind: 'signed',
    via: parsed.kind,
    accessKeyId,
    region,
    signedHeaders: parsed.signedHeaders,
    payload,
    chunkSigning,
    ...(parsed.kind === 'presigned' ? { expiresAt: parsed.requestTime + parsed.expiresSeconds! * 1000 } : {}),
  };
}
