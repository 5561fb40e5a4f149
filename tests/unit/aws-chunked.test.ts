// The aws-chunked decoder against a test encoder of its own, in the three modes: random data and
// chunk sizes, the encoded body split at every position (inside chunk-size lines, CRLFs, signatures,
// trailers), every byte flipped, every prefix cut off.
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect, test } from 'vitest';
import { AwsChunkedDecoder, type AwsChunkedOptions } from '../../gateway/s3/auth/aws-chunked-decoder.js';
import { S3AuthError } from '../../gateway/s3/auth/s3-auth-error.js';
import { canonicalTrailer, chunkStringToSign, signHex, trailerStringToSign } from '../../gateway/s3/auth/sigv4-canonical.js';
import { deriveSigningKey, sha256Hex } from '../../gateway/s3/auth/signing-key.js';
import type { ChunkSigningContext } from '../../gateway/s3/auth/sigv4-verify.js';
import zlib from 'node:zlib';

/** CRC32 as S3 sends it (base64, big-endian), computed with zlib, independently of the module under test. */
function crc32Base64(data: Buffer): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(zlib.crc32(data));
  return bytes.toString('base64');
}

const signing: ChunkSigningContext = {
  signingKey: deriveSigningKey('test/secret+key', '20250601', 'garage', 's3'),
  amzDate: '20250601T120000Z',
  scope: '20250601/garage/s3/aws4_request',
  seedSignature: randomBytes(32).toString('hex'),
};

type Mode = 'signed' | 'signed-trailer' | 'unsigned-trailer';
const MODES: Mode[] = ['signed', 'signed-trailer', 'unsigned-trailer'];

/** Encodes `data` in chunks of `sizes` (cycled), as an SDK would, with a CRC32 trailer in the trailer modes. */
function encode(data: Buffer, sizes: number[], mode: Mode): Buffer {
  const signed = mode !== 'unsigned-trailer';
  const parts: Buffer[] = [];
  let previous = signing.seedSignature;
  const sign = (chunk: Buffer) => {
    previous = signHex(signing.signingKey, chunkStringToSign(signing.amzDate, signing.scope, previous, sha256Hex(chunk)));
    return previous;
  };
  let offset = 0;
  for (let i = 0; offset < data.length; i++) {
    const chunk = data.subarray(offset, offset + Math.max(1, sizes[i % sizes.length]!));
    offset += chunk.length;
    const extension = signed ? `;chunk-signature=${sign(chunk)}` : '';
    parts.push(Buffer.from(`${chunk.length.toString(16)}${extension}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(signed ? `0;chunk-signature=${sign(Buffer.alloc(0))}\r\n` : '0\r\n'));
  if (mode !== 'signed') {
    const trailers = new Map([['x-amz-checksum-crc32', crc32Base64(data)]]);
    parts.push(Buffer.from(`x-amz-checksum-crc32:${crc32Base64(data)}\r\n`));
    if (signed) {
      const signature = signHex(signing.signingKey, trailerStringToSign(signing.amzDate, signing.scope, previous, canonicalTrailer(trailers)));
      parts.push(Buffer.from(`x-amz-trailer-signature:${signature}\r\n`));
    }
  }
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

function optionsFor(mode: Mode, decodedLength?: number): AwsChunkedOptions {
  return {
    signedChunks: mode !== 'unsigned-trailer',
    trailer: mode !== 'signed',
    announcedTrailers: mode === 'signed' ? [] : ['x-amz-checksum-crc32'],
    decodedLength,
    signing: mode === 'unsigned-trailer' ? undefined : signing,
  };
}

async function decode(pieces: Buffer[], options: AwsChunkedOptions): Promise<{ data: Buffer; trailers: Map<string, string> }> {
  const decoder = new AwsChunkedDecoder(options);
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces), decoder, async (source) => {
    for await (const chunk of source) out.push(chunk as Buffer);
  });
  return { data: Buffer.concat(out), trailers: decoder.trailers };
}

async function refusal(promise: Promise<unknown>): Promise<S3AuthError> {
  const err = await promise.then(
    () => new Error('accepted'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(S3AuthError);
  return err as S3AuthError;
}

function randomSplit(body: Buffer, random: () => number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let i = 0; i < body.length; ) {
    const n = 1 + Math.floor(random() * random() * 9000);
    pieces.push(body.subarray(i, i + n));
    i += n;
  }
  return pieces;
}

test.each(MODES)('%s: random data and chunk sizes decode exactly, however the body is split', async (mode) => {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
  for (let round = 0; round < 40; round++) {
    const data = randomBytes(Math.floor(random() * 200_000));
    const sizes = Array.from({ length: 5 }, () => 1 + Math.floor(random() * 70_000));
    const body = encode(data, sizes, mode);
    const { data: decoded, trailers } = await decode(randomSplit(body, random), optionsFor(mode, data.length));
    expect(decoded.equals(data)).toBe(true);
    if (mode !== 'signed') {
      expect(trailers.get('x-amz-checksum-crc32')).toBe(crc32Base64(data));
    }
  }
});

test.each(MODES)('%s: a small body split into two pieces at every position, and byte by byte', async (mode) => {
  const data = Buffer.from('The quick brown fox jumps over the lazy dog, twice over.');
  const body = encode(data, [17, 3, 30], mode);
  for (let at = 0; at <= body.length; at++) {
    const { data: decoded } = await decode([body.subarray(0, at), body.subarray(at)], optionsFor(mode, data.length));
    expect(decoded.equals(data), `split at ${at}`).toBe(true);
  }
  const bytes = Array.from(body, (b) => Buffer.from([b]));
  expect((await decode(bytes, optionsFor(mode, data.length))).data.equals(data)).toBe(true);
});

test.each(['signed', 'signed-trailer'] as const)('%s: flipping any single byte of the body is refused', async (mode) => {
  const data = randomBytes(300);
  const body = encode(data, [100, 150], mode);
  for (let at = 0; at < body.length; at++) {
    const flipped = Buffer.from(body);
    flipped[at]! ^= 0x01;
    await refusal(decode([flipped], optionsFor(mode)));
  }
  // Each flip of a data byte is a bad chunk signature.
  const flipped = Buffer.from(body);
  flipped[body.indexOf('\r\n') + 2 + 50]! ^= 0x80;
  expect((await refusal(decode([flipped], optionsFor(mode)))).code).toBe('SignatureDoesNotMatch');
});

test('unsigned-trailer: framing damage is refused; damaged data is caught by the trailer checksum', async () => {
  const data = randomBytes(300);
  const body = encode(data, [100, 150], 'unsigned-trailer');
  const firstData = body.indexOf('\r\n') + 2;
  const dataBytes = new Set<number>();
  for (let offset = 0, at = firstData, i = 0; offset < data.length; i++) {
    const n = Math.min([100, 150][i % 2]!, data.length - offset);
    for (let k = 0; k < n; k++) dataBytes.add(at + k);
    offset += n;
    at += n + 2 + `${Math.min([100, 150][(i + 1) % 2]!, data.length - offset).toString(16)}\r\n`.length;
  }
  let caughtByChecksum = 0;
  for (let at = 0; at < body.length; at++) {
    const flipped = Buffer.from(body);
    flipped[at]! ^= 0x01;
    if (!dataBytes.has(at)) {
      // Flipping the announced trailer's value is the one framing change that still decodes: the checksum catches it.
      const result = await decode([flipped], optionsFor('unsigned-trailer')).catch((e: unknown) => e);
      if (result instanceof S3AuthError) continue;
      expect(result).toMatchObject({ trailers: expect.any(Map) });
    }
    const { data: decoded, trailers } = await decode([flipped], optionsFor('unsigned-trailer'));
    expect(crc32Base64(decoded), `flip at ${at}`).not.toBe(trailers.get('x-amz-checksum-crc32'));
    caughtByChecksum++;
  }
  expect(caughtByChecksum).toBeGreaterThanOrEqual(300);
});

test.each(MODES)('%s: every body cut short is refused (a missing closing CRLF alone is tolerated)', async (mode) => {
  const data = randomBytes(200);
  const body = encode(data, [64, 100], mode);
  for (let length = 0; length < body.length - 2; length++) {
    const err = await refusal(decode([body.subarray(0, length)], optionsFor(mode)));
    expect(['IncompleteBody', 'MalformedTrailerError', 'SignatureDoesNotMatch']).toContain(err.code);
  }
  await refusal(decode([body.subarray(0, body.length - 1)], optionsFor(mode)));
  expect((await decode([body.subarray(0, body.length - 2)], optionsFor(mode))).data.equals(data)).toBe(true);
});

test('x-amz-decoded-content-length must match the decoded bytes', async () => {
  const data = randomBytes(1000);
  const body = encode(data, [400], 'signed');
  expect((await decode([body], optionsFor('signed', 1000))).data).toHaveLength(1000);
  expect((await refusal(decode([body], optionsFor('signed', 999)))).code).toBe('InvalidRequest');
  expect((await refusal(decode([body], optionsFor('signed', 1001)))).code).toBe('IncompleteBody');
});

test('malformed framing and trailers get S3 codes', async () => {
  const unsigned = optionsFor('unsigned-trailer');
  const run = (text: string, options = unsigned) => refusal(decode([Buffer.from(text, 'latin1')], options));
  const crc0 = 'x-amz-checksum-crc32:AAAAAA==\r\n';
  expect((await decode([Buffer.from(`3\r\nabc\r\n0\r\n${crc0}\r\n`)], unsigned)).trailers.get('x-amz-checksum-crc32')).toBe('AAAAAA==');
  expect((await decode([Buffer.from(`3;ext=1\r\nabc\r\n0\r\n\r\n${crc0}\r\n`)], unsigned)).data.toString()).toBe('abc');
  expect((await run(`zz\r\nabc\r\n0\r\n${crc0}\r\n`)).code).toBe('InvalidRequest');
  expect((await run(`3\nabc\r\n0\r\n${crc0}\r\n`)).code).toBe('InvalidRequest');
  expect((await run(`2\r\nabc\r\n0\r\n${crc0}\r\n`)).code).toBe('InvalidRequest');
  expect((await run(`${'0'.repeat(17)}3\r\nabc\r\n0\r\n${crc0}\r\n`)).code).toBe('InvalidRequest');
  expect((await run(`3;${'x'.repeat(5000)}\r\nabc\r\n0\r\n${crc0}\r\n`)).code).toBe('InvalidRequest');
  expect((await run(`3\r\nabc\r\n0\r\n${crc0}\r\nmore`)).code).toBe('InvalidRequest');
  expect((await run(`3\r\nabc\r\n0\r\nx-amz-checksum-sha1:AAAA\r\n${crc0}\r\n`)).code).toBe('MalformedTrailerError');
  expect((await run(`3\r\nabc\r\n0\r\n\r\n`)).code).toBe('MalformedTrailerError');
  expect((await run(`3\r\nabc\r\n0\r\n${crc0}${crc0}\r\n`)).code).toBe('MalformedTrailerError');
  expect((await run(`3\r\nabc\r\n0\r\nno-colon\r\n\r\n`)).code).toBe('MalformedTrailerError');
  expect((await run(`3\r\nabc\r\n0\r\n${crc0}x-amz-trailer-signature:${'0'.repeat(64)}\r\n\r\n`)).code).toBe('MalformedTrailerError');
  expect((await run(`3\r\nabc\r\n0\r\nx-amz-checksum-crc32:${'A'.repeat(20_000)}\r\n\r\n`)).code).toBe('InvalidRequest');
  // A signed body without trailers takes none; a signed chunk needs its signature.
  const signedBody = encode(Buffer.from('abc'), [3], 'signed');
  expect((await run(signedBody.subarray(0, -2).toString('latin1') + crc0 + '\r\n', optionsFor('signed'))).code).toBe('MalformedTrailerError');
  expect((await run(`3\r\nabc\r\n0\r\n\r\n`, optionsFor('signed'))).code).toBe('SignatureDoesNotMatch');
  // Chunks replayed from another request (another seed) do not verify.
  expect((await run(signedBody.toString('latin1'), { ...optionsFor('signed'), signing: { ...signing, seedSignature: 'ab'.repeat(32) } })).code).toBe(
    'SignatureDoesNotMatch',
  );
});

test('data is passed on as it arrives, before its chunk is complete (bounded memory)', async () => {
  const data = randomBytes(1 << 20);
  const body = encode(data, [1 << 20], 'signed');
  const input = new PassThrough();
  const decoder = new AwsChunkedDecoder(optionsFor('signed'));
  input.pipe(decoder);
  const firstOut = new Promise<Buffer>((resolve) => decoder.once('data', resolve));
  input.write(body.subarray(0, 1000)); // the chunk-size line and the first bytes of a 1 MiB chunk
  const first = await firstOut;
  expect(first.length).toBeGreaterThan(0);
  expect(first.equals(data.subarray(0, first.length))).toBe(true);
  decoder.resume();
  const ended = new Promise((resolve, reject) => decoder.on('end', resolve).on('error', reject));
  input.end(body.subarray(1000));
  await ended;
  expect(decoder.decodedBytes).toBe(data.length);
});
