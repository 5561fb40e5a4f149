// The worked examples of the S3 API reference (Signature Version 4: "Transferring Payload in a
// Single Chunk", "Authenticating Requests: Using Query Parameters", "Transferring Payload in Multiple
// Chunks" and "Signature calculations for trailing headers"): example key AKIAIOSFODNN7EXAMPLE,
// region us-east-1, 2013-05-24T00:00:00Z. Their published signatures must come out exactly.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect, test } from 'vitest';
import { authenticateRequest, type AuthenticatedRequest } from '../../gateway/s3/auth/authenticate.js';
import { createRequestBodyDecoder } from '../../gateway/s3/auth/request-body.js';
import { S3AuthError } from '../../gateway/s3/auth/s3-auth-error.js';
import { canonicalRequest, canonicalTrailer, chunkStringToSign, signHex, stringToSign } from '../../gateway/s3/auth/sigv4-canonical.js';
import { deriveSigningKey, sha256Hex } from '../../gateway/s3/auth/signing-key.js';
import { createChecksum } from '../../gateway/s3/checksums/checksum.js';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const EXAMPLE_TIME = Date.UTC(2013, 4, 24, 0, 0, 0);
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const lookup = (id: string) => (id === AKID ? SECRET : undefined);

function authorization(signedHeaders: string, signature: string): string {
  return `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${signature}`;
}

async function refusal(promise: Promise<unknown>): Promise<S3AuthError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(S3AuthError);
  return err as S3AuthError;
}

test('the signing key of the example secret and scope', () => {
  // The scope's key drives every example below; deriving it again gives the cached one.
  const key = deriveSigningKey(SECRET, '20130524', 'us-east-1', 's3');
  expect(deriveSigningKey(SECRET, '20130524', 'us-east-1', 's3')).toBe(key);
  expect(key).toHaveLength(32);
});

test('GET Object with a Range header', async () => {
  const headers = {
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': EMPTY,
    'x-amz-date': '20130524T000000Z',
    authorization: authorization('host;range;x-amz-content-sha256;x-amz-date', 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'),
  };
  const auth = await authenticateRequest({ method: 'GET', url: '/test.txt', headers }, lookup, { now: EXAMPLE_TIME });
  expect(auth).toMatchObject({ kind: 'signed', via: 'header', accessKeyId: AKID, region: 'us-east-1', payload: { kind: 'sha256', sha256Hex: EMPTY } });
  const canonical = canonicalRequest({
    method: 'GET',
    rawUrl: '/test.txt',
    headers,
    signedHeaders: ['host', 'range', 'x-amz-content-sha256', 'x-amz-date'],
    payloadHash: EMPTY,
    presigned: false,
  });
  expect(canonical).toBe(
    'GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n' +
      `x-amz-content-sha256:${EMPTY}\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n${EMPTY}`,
  );
});

test('PUT Object: the path is encoded once ($ as %24), however the client wrote it', async () => {
  const payload = 'Welcome to Amazon S3.';
  const payloadHash = sha256Hex(payload);
  expect(payloadHash).toBe('44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
  const headers = {
    host: 'examplebucket.s3.amazonaws.com',
    date: 'Fri, 24 May 2013 00:00:00 GMT',
    'x-amz-date': '20130524T000000Z',
    'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    'x-amz-content-sha256': payloadHash,
    authorization: authorization(
      'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
      '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    ),
  };
  const signedHeaders = ['date', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-storage-class'];
  const canonical = canonicalRequest({ method: 'PUT', rawUrl: '/test$file.text', headers, signedHeaders, payloadHash, presigned: false });
  expect(sha256Hex(canonical)).toBe('9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d');
  expect(canonical.split('\n')[1]).toBe('/test%24file.text');

  for (const url of ['/test$file.text', '/test%24file.text', '/test%24%66ile.text']) {
    const auth = await authenticateRequest({ method: 'PUT', url, headers }, lookup, { now: EXAMPLE_TIME });
    expect(auth.kind).toBe('signed');
    // The body's hash is checked as it streams through.
    const out: Buffer[] = [];
    await pipeline(Readable.from([Buffer.from(payload)]), createRequestBodyDecoder(auth), async (source) => {
      for await (const chunk of source) out.push(chunk as Buffer);
    });
    expect(Buffer.concat(out).toString()).toBe(payload);
    const tampered = pipeline(Readable.from([Buffer.from('Welcome to Amazon S4.')]), createRequestBodyDecoder(auth), async (source) => {
      for await (const _ of source);
    });
    expect((await refusal(tampered)).code).toBe('XAmzContentSHA256Mismatch');
  }
  // A path that means other bytes does not match.
  const other = await refusal(authenticateRequest({ method: 'PUT', url: '/test%2524file.text', headers }, lookup, { now: EXAMPLE_TIME }));
  expect(other.code).toBe('SignatureDoesNotMatch');
});

test('GET Bucket Lifecycle: a query parameter without a value', async () => {
  const headers = {
    host: 'examplebucket.s3.amazonaws.com',
    'x-amz-date': '20130524T000000Z',
    'x-amz-content-sha256': EMPTY,
    authorization: authorization('host;x-amz-content-sha256;x-amz-date', 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543'),
  };
  for (const url of ['/?lifecycle', '/?lifecycle=']) {
    const auth = await authenticateRequest({ method: 'GET', url, headers }, lookup, { now: EXAMPLE_TIME });
    expect(auth.kind).toBe('signed');
  }
});

test('GET Bucket (List Objects): query parameters sorted', async () => {
  const headers = {
    host: 'examplebucket.s3.amazonaws.com',
    'x-amz-date': '20130524T000000Z',
    'x-amz-content-sha256': EMPTY,
    authorization: authorization('host;x-amz-content-sha256;x-amz-date', '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7'),
  };
  for (const url of ['/?max-keys=2&prefix=J', '/?prefix=J&max-keys=2', '/?prefix=%4a&max-keys=2']) {
    const auth = await authenticateRequest({ method: 'GET', url, headers }, lookup, { now: EXAMPLE_TIME });
    expect(auth.kind).toBe('signed');
  }
  const err = await refusal(authenticateRequest({ method: 'GET', url: '/?max-keys=3&prefix=J', headers }, lookup, { now: EXAMPLE_TIME }));
  expect(err.code).toBe('SignatureDoesNotMatch');
  expect(err.details.CanonicalRequest).toContain('max-keys=3&prefix=J');
});

test('the presigned URL example, valid for 86400 s', async () => {
  const url =
    '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
    '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
    '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  const headers = { host: 'examplebucket.s3.amazonaws.com' };
  const canonical = canonicalRequest({ method: 'GET', rawUrl: url, headers, signedHeaders: ['host'], payloadHash: 'UNSIGNED-PAYLOAD', presigned: true });
  expect(sha256Hex(canonical)).toBe('3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04');

  const auth = await authenticateRequest({ method: 'GET', url, headers }, lookup, { now: EXAMPLE_TIME + 3_600_000 });
  expect(auth).toMatchObject({ kind: 'signed', via: 'presigned', expiresAt: EXAMPLE_TIME + 86_400_000, payload: { kind: 'unsigned' } });
  // One second after its end the URL has expired; a day earlier it is not valid yet.
  const expired = await refusal(authenticateRequest({ method: 'GET', url, headers }, lookup, { now: EXAMPLE_TIME + 86_401_000 }));
  expect([expired.code, expired.message]).toEqual(['AccessDenied', 'Request has expired']);
  const early = await refusal(authenticateRequest({ method: 'GET', url, headers }, lookup, { now: EXAMPLE_TIME - 86_400_000 }));
  expect(early.code).toBe('AccessDenied');
  const otherHost = await refusal(authenticateRequest({ method: 'GET', url, headers: { host: 'examplebucket.s3.amazonaws.co' } }, lookup, { now: EXAMPLE_TIME }));
  expect(otherHost.code).toBe('SignatureDoesNotMatch');
});

const A64K = Buffer.alloc(65536, 'a');
const A1K = Buffer.alloc(1024, 'a');

async function decode(auth: AuthenticatedRequest, body: Buffer, pieceSize: number) {
  const decoder = createRequestBodyDecoder(auth);
  const pieces: Buffer[] = [];
  for (let i = 0; i < body.length; i += pieceSize) pieces.push(body.subarray(i, i + pieceSize));
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces), decoder, async (source) => {
    for await (const chunk of source) out.push(chunk as Buffer);
  });
  return { data: Buffer.concat(out), trailers: decoder.trailers };
}

test('chunked upload (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): seed signature and the three chunk signatures', async () => {
  const seed = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
  const signatures = [
    'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
    '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
    'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
  ];
  const headers = {
    host: 's3.amazonaws.com',
    'x-amz-date': '20130524T000000Z',
    'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': '66560',
    'content-length': '66824',
    authorization: authorization(
      'content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class',
      seed,
    ),
  };
  const auth = await authenticateRequest({ method: 'PUT', url: '/examplebucket/chunkObject.txt', headers }, lookup, { now: EXAMPLE_TIME });
  expect(auth).toMatchObject({ kind: 'signed', payload: { kind: 'aws-chunked', signedChunks: true, trailer: false, decodedLength: 66560 } });

  // Each chunk signature chains on the previous one, starting from the seed.
  const key = deriveSigningKey(SECRET, '20130524', 'us-east-1', 's3');
  const scope = '20130524/us-east-1/s3/aws4_request';
  let previous = seed;
  for (const [i, data] of [A64K, A1K, Buffer.alloc(0)].entries()) {
    const signature = signHex(key, chunkStringToSign('20130524T000000Z', scope, previous, sha256Hex(data)));
    expect(signature).toBe(signatures[i]);
    previous = signature;
  }

  const body = Buffer.concat([
    Buffer.from(`10000;chunk-signature=${signatures[0]}\r\n`),
    A64K,
    Buffer.from(`\r\n400;chunk-signature=${signatures[1]}\r\n`),
    A1K,
    Buffer.from(`\r\n0;chunk-signature=${signatures[2]}\r\n\r\n`),
  ]);
  expect(body).toHaveLength(66824);
  for (const piece of [1, 7, 1000, 65536, body.length]) {
    const { data } = await decode(auth, body, piece);
    expect(data.equals(Buffer.concat([A64K, A1K]))).toBe(true);
  }
  const flipped = Buffer.from(body);
  flipped[200] = 'b'.charCodeAt(0);
  expect((await refusal(decode(auth, flipped, 4096))).code).toBe('SignatureDoesNotMatch');
});

test('chunked upload with a signed trailer (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER)', async () => {
  const seed = '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e';
  const headers = {
    host: 's3.amazonaws.com',
    'x-amz-date': '20130524T000000Z',
    'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': '66560',
    'x-amz-trailer': 'x-amz-checksum-crc32c',
    // The document's canonical request signs these seven headers (its Authorization line lists content-length instead of x-amz-trailer).
    authorization: authorization(
      'content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer',
      seed,
    ),
  };
  const signedHeaders = ['content-encoding', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-decoded-content-length', 'x-amz-storage-class', 'x-amz-trailer'];
  const canonical = canonicalRequest({
    method: 'PUT',
    rawUrl: '/examplebucket/chunkObject.txt',
    headers,
    signedHeaders,
    payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
    presigned: false,
  });
  expect(stringToSign('20130524T000000Z', '20130524/us-east-1/s3/aws4_request', canonical).split('\n')[3]).toBe(
    '44d48b8c2f70eae815a0198cc73d7a546a73a93359c070abbaa5e6c7de112559',
  );
  const auth = await authenticateRequest({ method: 'PUT', url: '/examplebucket/chunkObject.txt', headers }, lookup, { now: EXAMPLE_TIME });

  // The trailer's value is the CRC32C of the 66560 bytes, and its canonical form is hashed as documented.
  const crc = createChecksum('CRC32C');
  crc.update(A64K);
  crc.update(A1K);
  expect(await crc.digest()).toBe('sOO8/Q==');
  expect(sha256Hex(canonicalTrailer(new Map([['x-amz-checksum-crc32c', 'sOO8/Q==']])))).toBe(
    '1e376db7e1a34a8ef1c4bcee131a2d60a1cb62503747488624e10995f448d774',
  );

  const body = Buffer.concat([
    Buffer.from('10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n'),
    A64K,
    Buffer.from('\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n'),
    A1K,
    Buffer.from(
      '\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n' +
        'x-amz-checksum-crc32c:sOO8/Q==\r\n' +
        'x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n',
    ),
  ]);
  for (const piece of [1, 13, 65536, body.length]) {
    const { data, trailers } = await decode(auth, body, piece);
    expect(data).toHaveLength(66560);
    expect([...trailers]).toEqual([['x-amz-checksum-crc32c', 'sOO8/Q==']]);
  }
  const otherValue = Buffer.from(body.toString('latin1').replace('sOO8/Q==', 'sOO8/A=='), 'latin1');
  expect((await refusal(decode(auth, otherValue, 4096))).code).toBe('SignatureDoesNotMatch');
});
