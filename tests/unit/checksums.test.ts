// Checksums as S3 returns them: the standard check values, streaming equal to one-shot, and the
// parsing of which checksum a request asks for.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { expect, test } from 'vitest';
import { AwsChunkedDecoder } from '../../gateway/s3/auth/aws-chunked-decoder.js';
import { S3AuthError } from '../../gateway/s3/auth/s3-auth-error.js';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../../gateway/s3/checksums/checksum-algorithm.js';
import {
  expectedFromTrailers,
  parseChecksumRequest,
  parseContentMd5,
  verifyChecksum,
  verifyContentMd5,
} from '../../gateway/s3/checksums/checksum-request.js';
import { PayloadDigests } from '../../gateway/s3/payload-digests.js';
import { createChecksum, createEtagHasher } from '../../gateway/s3/checksums/checksum.js';

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

// The published check values of each algorithm for the ASCII string "123456789".
const CHECK: Record<ChecksumAlgorithm | 'MD5', string> = {
  CRC32: 'cbf43926',
  CRC32C: 'e3069283',
  CRC64NVME: 'ae8b14860a799888',
  SHA1: 'f7c3bc1d808e04732adf679965ccc34ca7ae3441',
  SHA256: '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225',
  MD5: '25f9e794323b453885f5181f1b624d0b',
};

test('check values of "123456789" in every algorithm, base64 of the big-endian digest', async () => {
  for (const algorithm of [...CHECKSUM_ALGORITHMS, 'MD5'] as const) {
    const checksum = createChecksum(algorithm);
    checksum.update(Buffer.from('123456789'));
    expect((await checksum.digest()), algorithm).toBe(b64(CHECK[algorithm]));
  }
  const etag = createEtagHasher();
  etag.update(Buffer.from('123456789'));
  expect((await etag.digest())).toBe(CHECK.MD5);
});

test('the checksums of nothing', async () => {
  expect((await createChecksum('CRC32').digest())).toBe('AAAAAA==');
  expect((await createChecksum('CRC32C').digest())).toBe('AAAAAA==');
  expect((await createChecksum('CRC64NVME').digest())).toBe('AAAAAAAAAAA=');
  expect((await createChecksum('SHA256').digest())).toBe(createHash('sha256').digest('base64'));
});

test('streaming in random pieces gives the one-shot value, and digest() can be asked twice', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 17);
  for (const algorithm of [...CHECKSUM_ALGORITHMS, 'MD5'] as const) {
    const oneShot = createChecksum(algorithm);
    oneShot.update(data);
    const expected = (await oneShot.digest());
    expect((await oneShot.digest())).toBe(expected);

    const streamed = createChecksum(algorithm);
    let offset = 0;
    for (const size of [0, 1, 7, 8, 9, 63, 64, 65, 4096, 100_000, 1 << 20]) {
      streamed.update(data.subarray(offset, offset + size));
      offset += size;
    }
    const partial = (await streamed.digest()); // asking in the middle does not disturb the running value
    streamed.update(data.subarray(offset));
    expect((await streamed.digest()), algorithm).toBe(expected);
    expect(partial).not.toBe(expected);
  }
});

test('the request asks for a checksum by header, by trailer, or only by name', async () => {
  const crc32 = b64(CHECK.CRC32);
  expect(parseChecksumRequest({})).toBeUndefined();
  expect(parseChecksumRequest({ 'x-amz-checksum-mode': 'ENABLED' })).toBeUndefined();
  expect(parseChecksumRequest({ 'x-amz-checksum-crc32': crc32, 'x-amz-sdk-checksum-algorithm': 'crc32' })).toEqual({
    algorithm: 'CRC32',
    name: 'x-amz-checksum-crc32',
    source: 'header',
    expected: crc32,
  });
  expect(parseChecksumRequest({ 'x-amz-trailer': 'x-amz-checksum-crc64nvme', 'x-amz-sdk-checksum-algorithm': 'CRC64NVME' })).toEqual({
    algorithm: 'CRC64NVME',
    name: 'x-amz-checksum-crc64nvme',
    source: 'trailer',
  });
  expect(parseChecksumRequest({ 'x-amz-checksum-algorithm': 'SHA256' })).toEqual({ algorithm: 'SHA256', name: 'x-amz-checksum-sha256', source: 'none' });

  const code = (headers: Record<string, string>) => {
    try {
      parseChecksumRequest(headers);
    } catch (err) {
      return (err as S3AuthError).code;
    }
    return 'accepted';
  };
  expect(code({ 'x-amz-checksum-crc32': crc32, 'x-amz-checksum-crc32c': crc32 })).toBe('InvalidRequest');
  expect(code({ 'x-amz-checksum-crc32': crc32, 'x-amz-trailer': 'x-amz-checksum-sha1' })).toBe('InvalidRequest');
  expect(code({ 'x-amz-checksum-crc32': crc32, 'x-amz-sdk-checksum-algorithm': 'SHA1' })).toBe('InvalidRequest');
  expect(code({ 'x-amz-sdk-checksum-algorithm': 'CRC32' })).toBe('InvalidRequest');
  expect(code({ 'x-amz-checksum-algorithm': 'MD5' })).toBe('InvalidRequest');
  expect(code({ 'x-amz-checksum-crc32': 'AAAA' })).toBe('InvalidRequest');
  expect(code({ 'x-amz-checksum-crc64nvme': crc32 })).toBe('InvalidRequest');
  expect(code({ 'x-amz-checksum-sha256': b64(CHECK.SHA256) })).toBe('accepted');
});

test('trailer values, mismatches and Content-MD5', async () => {
  const request = parseChecksumRequest({ 'x-amz-trailer': 'x-amz-checksum-crc32c' })!;
  expect(expectedFromTrailers(request, new Map([['x-amz-checksum-crc32c', 'sOO8/Q==']]))).toBe('sOO8/Q==');
  expect(() => expectedFromTrailers(request, new Map())).toThrow(S3AuthError);
  expect(() => expectedFromTrailers(request, new Map([['x-amz-checksum-crc32c', 'sOO8']]))).toThrow(S3AuthError);

  verifyChecksum('CRC32C', 'sOO8/Q==', 'sOO8/Q==');
  expect(() => verifyChecksum('CRC32C', 'sOO8/Q==', 'sOO8/A==')).toThrow(expect.objectContaining({ code: 'BadDigest' }));

  const md5 = b64(CHECK.MD5);
  expect(parseContentMd5({ 'content-md5': md5 })).toBe(md5);
  expect(parseContentMd5({})).toBeUndefined();
  expect(() => parseContentMd5({ 'content-md5': 'abc' })).toThrow(expect.objectContaining({ code: 'InvalidDigest' }));
  verifyContentMd5(md5, md5);
  expect(() => verifyContentMd5(md5, b64(CHECK.CRC64NVME + CHECK.CRC64NVME))).toThrow(expect.objectContaining({ code: 'BadDigest' }));
});

test('payload digests compare the checksum with a header value, or with the trailer once the decoder has read it', async () => {
  const data = randomBytes(100_000);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(data)); // computed independently of the module under test
  const md5 = createHash('md5').update(data).digest('hex');
  const viaTrailer = async (value: string) => {
    const body = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:${value}\r\n\r\n`)]);
    const digests = new PayloadDigests({ 'x-amz-trailer': 'x-amz-checksum-crc32' });
    const decoder = new AwsChunkedDecoder({ signedChunks: false, trailer: true, announcedTrailers: ['x-amz-checksum-crc32'] });
    await pipeline(Readable.from([body]), decoder, async (source: AsyncIterable<Buffer>) => {
      for await (const piece of source) digests.update(piece);
    });
    return digests.finish(decoder.trailers);
  };
  expect(await viaTrailer(crc.toString('base64'))).toEqual({ md5, sha256: null, checksums: { CRC32: crc.toString('base64') } });
  await expect(viaTrailer('AAAAAA==')).rejects.toMatchObject({ code: 'BadDigest' });

  const viaHeader = async (headers: Record<string, string>) => {
    const digests = new PayloadDigests(headers);
    digests.update(data.subarray(0, 5000));
    digests.update(data.subarray(5000));
    return digests.finish(new Map());
  };
  expect((await viaHeader({ 'x-amz-checksum-crc32': crc.toString('base64') })).checksums).toEqual({ CRC32: crc.toString('base64') });
  await expect(viaHeader({ 'x-amz-checksum-crc32': 'AAAAAA==' })).rejects.toMatchObject({ code: 'BadDigest' });
  // Content-MD5 is checked too, and MD5 (the ETag) is always computed.
  expect((await viaHeader({ 'content-md5': Buffer.from(md5, 'hex').toString('base64') })).md5).toBe(md5);
  await expect(viaHeader({ 'content-md5': createHash('md5').update('x').digest('base64') })).rejects.toMatchObject({ code: 'BadDigest' });
});
