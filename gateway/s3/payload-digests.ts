// The digests of an object's bytes that S3 needs, and nothing more: MD5 always (the ETag), SHA-256
// only for a signed payload, and the one flexible checksum the client sent or asked for. Each is
// checked against what the client claimed once the body has ended.
import { createHash, timingSafeEqual, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error, s3Errors } from './s3-error.js';
import type { PayloadDigest } from './object-service.js';

export interface Checksum {
  update(data: Buffer): void;
  digest(): string; // base64, as S3 sends it
}

/** Makes a running checksum for an S3 algorithm name (CRC32, CRC32C, CRC64NVME, SHA1, SHA256). */
export type ChecksumFactory = (algorithm: string) => Checksum | null;

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];

/** What a request says about its payload's digests (pure: headers in). */
export interface DigestClaims {
  contentMd5: string | null; // base64
  sha256: string | null; // hex, from x-amz-content-sha256 when it is a hash
  checksum: { algorithm: string; value: string | null } | null; // value null: it comes in the trailer
}

export function digestClaims(headers: IncomingHttpHeaders, defaultAlgorithm?: string): DigestClaims {
  const contentMd5 = typeof headers['content-md5'] === 'string' ? headers['content-md5'].trim() : null;
  if (contentMd5 !== null && !/^[A-Za-z0-9+/]{22}==$/.test(contentMd5)) throw s3Errors.invalidDigest();
  const signed = headers['x-amz-content-sha256'];
  const sha256 = typeof signed === 'string' && /^[0-9a-f]{64}$/i.test(signed) ? signed.toLowerCase() : null;
  const sent = CHECKSUM_ALGORITHMS.filter((a) => headers[`x-amz-checksum-${a.toLowerCase()}`] !== undefined);
  if (sent.length > 1) throw s3Errors.invalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const trailer = String(headers['x-amz-trailer'] ?? '').toLowerCase().trim();
  const inTrailer = CHECKSUM_ALGORITHMS.find((a) => trailer === `x-amz-checksum-${a.toLowerCase()}`);
  const asked = [headers['x-amz-sdk-checksum-algorithm'], headers['x-amz-checksum-algorithm']].find((v) => typeof v === 'string') as string | undefined;
  let checksum: DigestClaims['checksum'] = null;
  if (sent[0]) checksum = { algorithm: sent[0], value: String(headers[`x-amz-checksum-${sent[0].toLowerCase()}`]).trim() };
  else if (inTrailer) checksum = { algorithm: inTrailer, value: null };
  else if (asked) checksum = { algorithm: asked.toUpperCase(), value: null };
  else if (defaultAlgorithm) checksum = { algorithm: defaultAlgorithm, value: null };
  if (checksum && !CHECKSUM_ALGORITHMS.includes(checksum.algorithm)) {
    throw s3Errors.invalidRequest(`Value for x-amz-checksum-algorithm header is invalid: ${checksum.algorithm}`);
  }
  return { contentMd5, sha256, checksum };
}

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export class PayloadDigests {
  private readonly md5: Hash = createHash('md5');
  private readonly sha256: Hash | null;
  private readonly checksum: Checksum | null;

  constructor(
    private readonly claims: DigestClaims,
    checksums: ChecksumFactory,
  ) {
    // A SHA-256 checksum is the same digest as a signed payload's: computed once.
    this.sha256 = claims.sha256 !== null || claims.checksum?.algorithm === 'SHA256' ? createHash('sha256') : null;
    this.checksum = claims.checksum && claims.checksum.algorithm !== 'SHA256' ? checksums(claims.checksum.algorithm) : null;
  }

  update(data: Buffer): void {
    this.md5.update(data);
    this.sha256?.update(data);
    this.checksum?.update(data);
  }

  /** Checks every claim; `trailers` are the body's trailing headers (lowercase names). */
  finish(trailers: Record<string, string>): PayloadDigest {
    const md5 = this.md5.digest();
    if (this.claims.contentMd5 !== null && !same(md5.toString('base64'), this.claims.contentMd5)) throw s3Errors.badDigest();
    const sha256 = this.sha256?.digest() ?? null;
    if (this.claims.sha256 !== null && !same(sha256!.toString('hex'), this.claims.sha256)) {
      throw new S3Error(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
        fields: { ClientComputedContentSHA256: this.claims.sha256, S3ComputedContentSHA256: sha256!.toString('hex') },
      });
    }
    const checksums: Record<string, string> = {};
    const claim = this.claims.checksum;
    if (claim) {
      const computed = claim.algorithm === 'SHA256' ? sha256!.toString('base64') : this.checksum!.digest();
      const expected = claim.value ?? trailers[`x-amz-checksum-${claim.algorithm.toLowerCase()}`] ?? null;
      if (expected !== null && !same(computed, expected.trim())) {
        throw s3Errors.badDigest(`The ${claim.algorithm} you specified did not match the calculated checksum.`);
      }
      checksums[claim.algorithm] = computed;
    }
    return { md5: md5.toString('hex'), sha256: sha256?.toString('hex') ?? null, checksums };
  }
}
