// Passes a single-piece body through and checks at its end that its SHA-256 is the one the client
// signed in x-amz-content-sha256; the stream fails with XAmzContentSHA256Mismatch otherwise, so a
// consumer that aborts on stream errors never keeps a body that was changed in transit.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3AuthError } from './s3-auth-error.js';

export class PayloadHashVerifier extends Transform {
  /** A single-piece body has no trailing headers; here for the same shape as AwsChunkedDecoder. */
  readonly trailers: ReadonlyMap<string, string> = new Map();
  decodedBytes = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly expectedSha256Hex: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.decodedBytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const computed = this.hash.digest('hex');
    if (computed === this.expectedSha256Hex.toLowerCase()) return callback();
    callback(
      new S3AuthError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
        ClientComputedContentSHA256: this.expectedSha256Hex,
        S3ComputedContentSHA256: computed,
      }),
    );
  }
}
