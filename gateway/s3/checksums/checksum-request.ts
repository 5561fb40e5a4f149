// Which checksum a request asks for, and where its expected value is: an x-amz-checksum-<alg>
// header, a trailer announced in x-amz-trailer (known once the body has been read), or nowhere
// (x-amz-checksum-algorithm on CreateMultipartUpload: S3 is to compute it). Also Content-MD5.
import { S3AuthError } from '../auth/s3-auth-error.js';
import type { RequestHeaders } from '../auth/sigv4-canonical.js';
import { headerValue } from '../auth/sigv4-request.js';
import { algorithmOfHeader, checksumHeaderName, DIGEST_BYTES, parseChecksumAlgorithm, type ChecksumAlgorithm } from './checksum-algorithm.js';

export interface ChecksumRequest {
  algorithm: ChecksumAlgorithm;
  /** `x-amz-checksum-<alg>`: the header or trailer that carries the value. */
  name: string;
  source: 'header' | 'trailer' | 'none';
  /** The base64 value the client sent, when source is 'header'. */
  expected?: string;
}

const single = 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.';

/** True when `value` is the base64 of exactly `bytes` bytes. */
export function isBase64OfLength(value: string, bytes: number): boolean {
  if (value.length !== Math.ceil(bytes / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return false;
  return Buffer.from(value, 'base64').length === bytes;
}

/** The checksum a request asks for, or undefined when it asks for none. Throws InvalidRequest when contradictory. */
export function parseChecksumRequest(headers: RequestHeaders): ChecksumRequest | undefined {
  const inHeaders: ChecksumAlgorithm[] = [];
  for (const name of Object.keys(headers)) {
    const algorithm = algorithmOfHeader(name);
    if (algorithm && headers[name] !== undefined) inHeaders.push(algorithm);
  }
  const inTrailer = (headerValue(headers, 'x-amz-trailer') ?? '')
    .split(',')
    .map((name) => algorithmOfHeader(name.trim()))
    .filter((algorithm): algorithm is ChecksumAlgorithm => algorithm !== undefined);
  if (inHeaders.length + inTrailer.length > 1) throw new S3AuthError('InvalidRequest', single);

  const sdkAlgorithm = namedAlgorithm(headers, 'x-amz-sdk-checksum-algorithm');
  const algorithmHeader = namedAlgorithm(headers, 'x-amz-checksum-algorithm');
  if (sdkAlgorithm && algorithmHeader && sdkAlgorithm !== algorithmHeader) {
    throw new S3AuthError('InvalidRequest', 'x-amz-sdk-checksum-algorithm and x-amz-checksum-algorithm name different algorithms.');
  }
  const named = sdkAlgorithm ?? algorithmHeader;

  const given = inHeaders[0] ?? inTrailer[0];
  if (given === undefined) {
    if (sdkAlgorithm) {
      throw new S3AuthError(
        'InvalidRequest',
        'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.',
      );
    }
    return algorithmHeader ? { algorithm: algorithmHeader, name: checksumHeaderName(algorithmHeader), source: 'none' } : undefined;
  }
  if (named && named !== given) {
    throw new S3AuthError('InvalidRequest', `Value for x-amz-sdk-checksum-algorithm header is invalid: the checksum sent is ${given}.`);
  }
  const name = checksumHeaderName(given);
  if (inTrailer.length > 0) return { algorithm: given, name, source: 'trailer' };
  const expected = headerValue(headers, name)!.trim();
  if (!isBase64OfLength(expected, DIGEST_BYTES[given])) throw new S3AuthError('InvalidRequest', `Value for ${name} header is invalid.`);
  return { algorithm: given, name, source: 'header', expected };
}

function namedAlgorithm(headers: RequestHeaders, header: string): ChecksumAlgorithm | undefined {
  const value = headerValue(headers, header);
  if (value === undefined) return undefined;
  const algorithm = parseChecksumAlgorithm(value);
  if (!algorithm) throw new S3AuthError('InvalidRequest', `Value for ${header} header is invalid.`);
  return algorithm;
}

/** The expected value of a trailer checksum, from the trailers of the decoded body. */
export function expectedFromTrailers(request: ChecksumRequest, trailers: ReadonlyMap<string, string>): string {
  const value = trailers.get(request.name);
  if (value === undefined) throw new S3AuthError('MalformedTrailerError', `The trailer ${request.name} announced in x-amz-trailer was not sent.`);
  if (!isBase64OfLength(value, DIGEST_BYTES[request.algorithm])) {
    throw new S3AuthError('InvalidRequest', `Value for ${request.name} trailing header is invalid.`);
  }
  return value;
}

/** Throws BadDigest when the computed checksum is not the expected one. */
export function verifyChecksum(algorithm: ChecksumAlgorithm, expectedBase64: string, computedBase64: string): void {
  if (expectedBase64 !== computedBase64) {
    throw new S3AuthError('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`, {
      [`Calculated${algorithm}`]: computedBase64,
    });
  }
}

/** Content-MD5 (base64 of 16 bytes), or undefined; InvalidDigest when it is not one. */
export function parseContentMd5(headers: RequestHeaders): string | undefined {
  const value = headerValue(headers, 'content-md5')?.trim();
  if (value === undefined) return undefined;
  if (!isBase64OfLength(value, 16)) throw new S3AuthError('InvalidDigest', 'The Content-MD5 you specified was invalid.');
  return value;
}

/** Throws BadDigest when the body's MD5 (base64) is not the Content-MD5 sent. */
export function verifyContentMd5(expectedBase64: string, computedBase64: string): void {
  if (expectedBase64 !== computedBase64) throw new S3AuthError('BadDigest', 'The Content-MD5 you specified did not match what we received.');
}
