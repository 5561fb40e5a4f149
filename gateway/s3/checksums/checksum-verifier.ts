// Computes the checksum a request asked for over the decoded body as it passes, and at the end
// compares it with the value the client sent, in a header or in the trailer of an aws-chunked body.
// Placed after the body decoder, its end comes after the decoder's, when the trailers are known:
//   pipeline(req, decoder, new ChecksumVerifier(checksumRequest, decoder), upload)
import { Transform, type TransformCallback } from 'node:stream';
import { createChecksum, type Checksum } from './checksum.js';
import { expectedFromTrailers, verifyChecksum, type ChecksumRequest } from './checksum-request.js';

export class ChecksumVerifier extends Transform {
  /** The computed checksum (base64), once the stream has ended: what S3 stores and returns. */
  value: string | undefined;
  private readonly checksum: Checksum;

  constructor(
    private readonly request: ChecksumRequest,
    /** The body decoder, for the trailers of an aws-chunked body. */
    private readonly body: { readonly trailers: ReadonlyMap<string, string> },
  ) {
    super();
    this.checksum = createChecksum(request.algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.checksum.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    try {
      const computed = this.checksum.digest();
      const { request } = this;
      const expected = request.source === 'header' ? request.expected! : request.source === 'trailer' ? expectedFromTrailers(request, this.body.trailers) : undefined;
      if (expected !== undefined) verifyChecksum(request.algorithm, expected, computed);
      this.value = computed;
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }
}
