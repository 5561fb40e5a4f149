// The digests of an object's bytes that S3 needs, and nothing more: MD5 always (the ETag), and the
// one flexible checksum the client sent or asked for. Content-MD5 and the checksum are compared
// with what the client claimed once the body (and its trailer) has ended. A signed payload's
// SHA-256 is checked by the body decoder, not here.
import { createHash, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createChecksum, type Checksum } from './checksums/checksum.js';
import { expectedFromTrailers, parseChecksumRequest, parseContentMd5, verifyChecksum, verifyContentMd5, type ChecksumRequest } from './checksums/checksum-request.js';
import type { ChecksumAlgorithm } from './checksums/checksum-algorithm.js';
import type { PayloadDigest } from './object-service.js';

export class PayloadDigests {
  private readonly md5: Hash = createHash('md5');
  private readonly contentMd5: string | undefined;
  private readonly request: ChecksumRequest | undefined;
  private readonly checksum: Checksum | null;

  /** `uploadAlgorithm`: the checksum a multipart upload was created with, computed for each part. */
  constructor(headers: IncomingHttpHeaders, uploadAlgorithm?: ChecksumAlgorithm) {
    this.contentMd5 = parseContentMd5(headers);
    this.request =
      parseChecksumRequest(headers) ??
      (uploadAlgorithm ? { algorithm: uploadAlgorithm, name: `x-amz-checksum-${uploadAlgorithm.toLowerCase()}`, source: 'none' } : undefined);
    this.checksum = this.request ? createChecksum(this.request.algorithm) : null;
  }

  update(data: Buffer): void {
    this.md5.update(data);
    this.checksum?.update(data);
  }

  /** Checks every claim (throws BadDigest); `trailers` are the body's trailing headers. */
  async finish(trailers: ReadonlyMap<string, string>): Promise<PayloadDigest> {
    const md5 = this.md5.digest();
    if (this.contentMd5 !== undefined) verifyContentMd5(this.contentMd5, md5.toString('base64'));
    const checksums: Record<string, string> = {};
    const request = this.request;
    if (request && this.checksum) {
      const computed = await this.checksum.digest();
      const expected =
        request.source === 'header' ? request.expected! : request.source === 'trailer' ? expectedFromTrailers(request, trailers) : undefined;
      if (expected !== undefined) verifyChecksum(request.algorithm, expected, computed);
      checksums[request.algorithm] = computed;
    }
    return { md5: md5.toString('hex'), sha256: null, checksums };
  }
}
