// Wraps the body of an authenticated request so that what comes out is the object's bytes, checked
// as the request promised: aws-chunked bodies decoded with every chunk and trailer signature
// verified, a signed single-piece body hashed and compared at its end, an unsigned body passed on.
// Any failure is an S3AuthError on the stream, before it ends.
import { Transform, type TransformCallback } from 'node:stream';
import { AwsChunkedDecoder } from './aws-chunked-decoder.js';
import type { AuthenticatedRequest } from './authenticate.js';
import { PayloadHashVerifier } from './payload-hash-verifier.js';
import type { RequestHeaders } from './sigv4-canonical.js';
import { headerValue } from './sigv4-request.js';

export interface RequestBodyDecoder extends Transform {
  /** Trailing headers of an aws-chunked body (lower-case names, without x-amz-trailer-signature); complete after 'end'. */
  readonly trailers: ReadonlyMap<string, string>;
  /** Bytes of content passed on so far. */
  readonly decodedBytes: number;
}

class UnsignedBody extends Transform {
  readonly trailers: ReadonlyMap<string, string> = new Map();
  decodedBytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.decodedBytes += chunk.length;
    callback(null, chunk);
  }
}

/** `pipeline(req, createRequestBodyDecoder(auth), upload)`: the decoded, verified content. */
export function createRequestBodyDecoder(auth: AuthenticatedRequest): RequestBodyDecoder {
  const payload = auth.payload;
  switch (payload.kind) {
    case 'unsigned':
      return new UnsignedBody();
    case 'sha256':
      return new PayloadHashVerifier(payload.sha256Hex);
    case 'aws-chunked':
      return new AwsChunkedDecoder({
        signedChunks: payload.signedChunks,
        trailer: payload.trailer,
        announcedTrailers: payload.announcedTrailers,
        decodedLength: payload.decodedLength,
        signing: auth.kind === 'signed' ? auth.chunkSigning : undefined,
      });
  }
}

/** The Content-Encoding to store with the object: the request's, without the aws-chunked transport coding. */
export function storedContentEncoding(headers: RequestHeaders): string | undefined {
  const value = headerValue(headers, 'content-encoding');
  if (value === undefined) return undefined;
  const codings = value
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '' && coding.toLowerCase() !== 'aws-chunked');
  return codings.length > 0 ? codings.join(', ') : undefined;
}
