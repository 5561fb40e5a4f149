// Parsing of SigV4 credentials and the refusals S3 gives for malformed, mixed or stale requests; the
// canonical forms of paths, queries and headers.
import { expect, test } from 'vitest';
import { authenticateRequest } from '../../gateway/s3/auth/authenticate.js';
import { S3AuthError } from '../../gateway/s3/auth/s3-auth-error.js';
import { cachedSigningKeyCount, deriveSigningKey } from '../../gateway/s3/auth/signing-key.js';
import { canonicalHeaderValue, canonicalQueryString, canonicalUri, splitRequestTarget } from '../../gateway/s3/auth/sigv4-canonical.js';
import { parseAmzDate, parseRequestAuth } from '../../gateway/s3/auth/sigv4-request.js';
import { percentDecode, uriEncode } from '../../gateway/s3/auth/uri-encoding.js';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SIG = 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41';
const EXAMPLE_TIME = Date.UTC(2013, 4, 24);
const CREDENTIAL = `${AKID}/20130524/us-east-1/s3/aws4_request`;

// The AWS GET Object example, whose signature is known to be right at EXAMPLE_TIME.
const getObject = (authorization = `AWS4-HMAC-SHA256 Credential=${CREDENTIAL},SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=${SIG}`) => ({
  method: 'GET',
  url: '/test.txt',
  headers: {
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': EMPTY,
    'x-amz-date': '20130524T000000Z',
    authorization,
  } as Record<string, string>,
});
const lookup = (id: string) => (id === AKID ? SECRET : undefined);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(S3AuthError);
    return (err as S3AuthError).code;
  }
  throw new Error('no error');
}

async function asyncCodeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => new Error('no error'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(S3AuthError);
  return (err as S3AuthError).code;
}

test('a request with neither an Authorization header nor X-Amz-* signature parameters is anonymous', () => {
  expect(parseRequestAuth('/bucket/key?prefix=a&X-Amz-Expires=5', { host: 'h' })).toEqual({ kind: 'anonymous' });
});

test('the Authorization header is read whatever the spaces and commas between its parts', async () => {
  const forms = [
    `AWS4-HMAC-SHA256 Credential=${CREDENTIAL},SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=${CREDENTIAL}, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=${SIG}`,
    `  AWS4-HMAC-SHA256   Credential=${CREDENTIAL} ,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date ,  Signature=${SIG.toUpperCase()}  `,
    `AWS4-HMAC-SHA256 Signature=${SIG} SignedHeaders=host;range;x-amz-content-sha256;x-amz-date Credential=${CREDENTIAL}`,
  ];
  for (const form of forms) {
    const parsed = parseRequestAuth('/test.txt', getObject(form).headers);
    expect(parsed).toMatchObject({
      kind: 'header',
      credential: { accessKeyId: AKID, date: '20130524', region: 'us-east-1', service: 's3' },
      signedHeaders: ['host', 'range', 'x-amz-content-sha256', 'x-amz-date'],
      signature: SIG,
      amzDate: '20130524T000000Z',
      requestTime: EXAMPLE_TIME,
      payloadHash: EMPTY,
    });
    await expect(authenticateRequest(getObject(form), lookup, { now: EXAMPLE_TIME })).resolves.toMatchObject({ kind: 'signed' });
  }
});

test('malformed Authorization headers get the codes S3 gives', () => {
  const parse = (authorization: string, extra: Record<string, string> = {}) => () =>
    parseRequestAuth('/test.txt', { ...getObject(authorization).headers, ...extra });
  const good = `Credential=${CREDENTIAL}, SignedHeaders=host;x-amz-date, Signature=${SIG}`;
  expect(codeOf(parse(`AWS4-HMAC-SHA256 Credential=${CREDENTIAL}, SignedHeaders=host;x-amz-date`))).toBe('AuthorizationHeaderMalformed');
  expect(codeOf(parse(`AWS4-HMAC-SHA256 ${good}, Signature=${SIG}`))).toBe('AuthorizationHeaderMalformed');
  expect(codeOf(parse(`AWS4-HMAC-SHA256 ${good}, Extra=1`))).toBe('AuthorizationHeaderMalformed');
  expect(codeOf(parse(`AWS4-HMAC-SHA256 ${good.replace('/s3/', '/ec2/')}`))).toBe('AuthorizationHeaderMalformed');
  expect(codeOf(parse(`AWS4-HMAC-SHA256 ${good.replace('aws4_request', 'aws4_reques')}`))).toBe('AuthorizationHeaderMalformed');
  expect(codeOf(parse(`AWS4-HMAC-SHA256 ${good.replace(`${AKID}/`, '')}`))).toBe('AuthorizationHeaderMalformed');
  expect(codeOf(parse(`AWS4-HMAC-SHA256 ${good.replace('20130524', '20130525')}`))).toBe('AuthorizationHeaderMalformed');
  expect(codeOf(parse(`AWS4-HMAC-SHA256 ${good.replace(SIG, SIG.slice(1))}`))).toBe('AuthorizationHeaderMalformed');
  expect(codeOf(parse(`AWS4-HMAC-SHA256 ${good.replace('host;', '')}`))).toBe('AuthorizationHeaderMalformed');
  expect(codeOf(parse(`AWS ${AKID}:frJIUN8DYpKDtOLCwo//yllqDzg=`))).toBe('InvalidRequest');
  expect(codeOf(parse(`AWS4-ECDSA-P256-SHA256 ${good}`))).toBe('NotImplemented');
  expect(codeOf(parse(`Bearer abc`))).toBe('InvalidArgument');
  expect(codeOf(parse(`AWS4-HMAC-SHA256 ${good}`, { 'x-amz-date': '20130524T250000Z' }))).toBe('AccessDenied');
  expect(codeOf(parse(`AWS4-HMAC-SHA256 ${good}`, { 'x-amz-security-token': 'token' }))).toBe('InvalidToken');
  const noDate = getObject(`AWS4-HMAC-SHA256 ${good}`).headers;
  delete noDate['x-amz-date'];
  expect(codeOf(() => parseRequestAuth('/test.txt', noDate))).toBe('AccessDenied');
  const noHash = getObject(`AWS4-HMAC-SHA256 ${good}`).headers;
  delete noHash['x-amz-content-sha256'];
  expect(codeOf(() => parseRequestAuth('/test.txt', noHash))).toBe('InvalidRequest');
  // The endpoint's region, when it has one, must be the credential's.
  expect(codeOf(() => parseRequestAuth('/test.txt', getObject(`AWS4-HMAC-SHA256 ${good}`).headers, { region: 'eu-west-1' }))).toBe(
    'AuthorizationHeaderMalformed',
  );
  expect(parseRequestAuth('/test.txt', getObject(`AWS4-HMAC-SHA256 ${good}`).headers, { region: 'us-east-1' }).kind).toBe('header');
});

test('a request signed with the Date header alone takes its time from it', () => {
  const headers = getObject().headers;
  delete headers['x-amz-date'];
  headers['date'] = 'Fri, 24 May 2013 00:00:00 GMT';
  expect(parseRequestAuth('/test.txt', headers)).toMatchObject({ amzDate: '20130524T000000Z', requestTime: EXAMPLE_TIME });
});

test('the header and the query cannot both carry credentials', () => {
  const url = `/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(CREDENTIAL)}`;
  expect(codeOf(() => parseRequestAuth(url, getObject().headers))).toBe('InvalidArgument');
});

test('presigned URLs: missing, repeated or out-of-range parameters', () => {
  const params: Record<string, string> = {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': CREDENTIAL,
    'X-Amz-Date': '20130524T000000Z',
    'X-Amz-Expires': '86400',
    'X-Amz-SignedHeaders': 'host',
    'X-Amz-Signature': SIG,
  };
  const url = (p: Record<string, string>, extra = '') =>
    '/test.txt?' + Object.entries(p).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&') + extra;
  const headers = { host: 'examplebucket.s3.amazonaws.com' };
  expect(parseRequestAuth(url(params), headers)).toMatchObject({ kind: 'presigned', expiresSeconds: 86400, payloadHash: 'UNSIGNED-PAYLOAD' });
  expect(parseRequestAuth(url(params, `&x-amz-content-sha256=${EMPTY}`), headers)).toMatchObject({ payloadHash: EMPTY });
  for (const name of Object.keys(params)) {
    const { [name]: _, ...rest } = params;
    expect(codeOf(() => parseRequestAuth(url(rest), headers))).toBe('AuthorizationQueryParametersError');
  }
  const refused = (changes: Record<string, string>, extra = '') => codeOf(() => parseRequestAuth(url({ ...params, ...changes }, extra), headers));
  expect(refused({ 'X-Amz-Algorithm': 'AWS4-HMAC-SHA1' })).toBe('AuthorizationQueryParametersError');
  expect(refused({ 'X-Amz-Expires': '0' })).toBe('AuthorizationQueryParametersError');
  expect(refused({ 'X-Amz-Expires': '604801' })).toBe('AuthorizationQueryParametersError');
  expect(refused({ 'X-Amz-Expires': '1h' })).toBe('AuthorizationQueryParametersError');
  expect(refused({ 'X-Amz-Date': '2013-05-24T00:00:00Z' })).toBe('AuthorizationQueryParametersError');
  expect(refused({ 'X-Amz-Credential': CREDENTIAL.replace('20130524', '20130523') })).toBe('AuthorizationQueryParametersError');
  expect(refused({ 'X-Amz-SignedHeaders': 'range' })).toBe('AuthorizationQueryParametersError');
  expect(refused({}, `&X-Amz-Signature=${SIG}`)).toBe('AuthorizationQueryParametersError');
  expect(refused({}, '&X-Amz-Security-Token=abc')).toBe('InvalidToken');
  expect(parseRequestAuth(url({ ...params, 'X-Amz-Expires': '604800' }), headers)).toMatchObject({ expiresSeconds: 604800 });
  expect(codeOf(() => parseRequestAuth('/test.txt?AWSAccessKeyId=AK&Expires=1&Signature=abc', headers))).toBe('InvalidRequest');
});

test('a request more than 15 minutes away from the clock is RequestTimeTooSkewed', async () => {
  const at = (offset: number) => authenticateRequest(getObject(), lookup, { now: EXAMPLE_TIME + offset });
  await expect(at(15 * 60_000)).resolves.toMatchObject({ kind: 'signed' });
  await expect(at(-15 * 60_000)).resolves.toMatchObject({ kind: 'signed' });
  expect(await asyncCodeOf(at(15 * 60_000 + 1000))).toBe('RequestTimeTooSkewed');
  expect(await asyncCodeOf(at(-15 * 60_000 - 1000))).toBe('RequestTimeTooSkewed');
});

test('an unknown access key is InvalidAccessKeyId; a wrong secret SignatureDoesNotMatch', async () => {
  expect(await asyncCodeOf(authenticateRequest(getObject(), () => undefined, { now: EXAMPLE_TIME }))).toBe('InvalidAccessKeyId');
  expect(await asyncCodeOf(authenticateRequest(getObject(), async () => `${SECRET}x`, { now: EXAMPLE_TIME }))).toBe('SignatureDoesNotMatch');
  await expect(authenticateRequest(getObject(), async () => SECRET, { now: EXAMPLE_TIME })).resolves.toMatchObject({ kind: 'signed' });
});

test('payload modes: x-amz-content-sha256 values', async () => {
  const anonymous = (hash: string, extra: Record<string, string> = {}) =>
    authenticateRequest({ method: 'PUT', url: '/b/k', headers: { host: 'h', 'x-amz-content-sha256': hash, ...extra } }, lookup);
  await expect(anonymous('UNSIGNED-PAYLOAD')).resolves.toEqual({ kind: 'anonymous', payload: { kind: 'unsigned' } });
  await expect(anonymous(EMPTY.toUpperCase())).resolves.toMatchObject({ payload: { kind: 'sha256', sha256Hex: EMPTY } });
  await expect(
    anonymous('STREAMING-UNSIGNED-PAYLOAD-TRAILER', { 'x-amz-trailer': 'x-amz-checksum-crc32, X-Amz-Checksum-Sha256', 'x-amz-decoded-content-length': '10' }),
  ).resolves.toMatchObject({
    payload: { kind: 'aws-chunked', signedChunks: false, trailer: true, announcedTrailers: ['x-amz-checksum-crc32', 'x-amz-checksum-sha256'], decodedLength: 10 },
  });
  expect(await asyncCodeOf(anonymous('STREAMING-AWS4-HMAC-SHA256-PAYLOAD'))).toBe('AccessDenied');
  expect(await asyncCodeOf(anonymous('STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD'))).toBe('NotImplemented');
  expect(await asyncCodeOf(anonymous('abc'))).toBe('InvalidArgument');
  expect(await asyncCodeOf(anonymous('STREAMING-UNSIGNED-PAYLOAD-TRAILER', { 'x-amz-decoded-content-length': '-1' }))).toBe('InvalidArgument');
});

test('canonical URI: each segment decoded and encoded once, unreserved characters as they are', () => {
  expect(canonicalUri('/')).toBe('/');
  expect(canonicalUri('')).toBe('/');
  expect(canonicalUri('/bucket/a b+c')).toBe('/bucket/a%20b%2Bc');
  expect(canonicalUri('/bucket/a%20b%2bc')).toBe('/bucket/a%20b%2Bc');
  expect(canonicalUri('/b/%7Etilde~-._')).toBe('/b/~tilde~-._');
  expect(canonicalUri('/b/dir%2Fkey/')).toBe('/b/dir%2Fkey/'); // an encoded slash stays inside its segment
  expect(canonicalUri('/b//double/./dot/../x')).toBe('/b//double/./dot/../x'); // S3 does not normalise paths
  expect(canonicalUri('/b/%E6%97%A5%e6%9c%ac')).toBe('/b/%E6%97%A5%E6%9C%AC');
  expect(canonicalUri('/b/日本')).toBe('/b/%E6%97%A5%E6%9C%AC');
  expect(canonicalUri('/b/%FF%zz%')).toBe('/b/%FF%25zz%25'); // invalid UTF-8 kept as bytes; stray % is a %
  expect(splitRequestTarget('http://host:9000/b/k?x=1#frag')).toEqual({ path: '/b/k', query: 'x=1' });
});

test('canonical query string: decoded (+ is a space), encoded, sorted by name then value', () => {
  expect(canonicalQueryString('', { omitSignature: false })).toBe('');
  expect(canonicalQueryString('prefix=a+b&delimiter=%2F&list-type=2', { omitSignature: false })).toBe('delimiter=%2F&list-type=2&prefix=a%20b');
  expect(canonicalQueryString('uploads&a=&b', { omitSignature: false })).toBe('a=&b=&uploads=');
  expect(canonicalQueryString('k=2&k=10&k=1&K=0', { omitSignature: false })).toBe('K=0&k=1&k=10&k=2');
  expect(canonicalQueryString('x=%7e%21*&&y', { omitSignature: false })).toBe('x=~%21%2A&y=');
  expect(canonicalQueryString('X-Amz-Signature=abc&X-Amz-Date=1', { omitSignature: true })).toBe('X-Amz-Date=1');
  expect(canonicalQueryString('X-Amz-Signature=abc&X-Amz-Date=1', { omitSignature: false })).toBe('X-Amz-Date=1&X-Amz-Signature=abc');
});

test('canonical header values: trimmed, runs of whitespace made one space, several values joined by commas', () => {
  expect(canonicalHeaderValue('  a   b\t c  ')).toBe('a b c');
  expect(canonicalHeaderValue(['a ', '  b  c'])).toBe('a,b c');
  expect(canonicalHeaderValue(undefined)).toBe('');
});

test('percent-decoding works on bytes and URI encoding is AWS\'s', () => {
  expect(percentDecode('a%2Bb+c').toString()).toBe('a+b+c');
  expect(percentDecode('a%2Bb+c', true).toString()).toBe('a+b c');
  expect(uriEncode(percentDecode('%F0%9F%99%82/x'))).toBe('%F0%9F%99%82%2Fx');
  expect(uriEncode(percentDecode('%F0%9F%99%82/x'), true)).toBe('%F0%9F%99%82/x');
  expect(uriEncode(Buffer.from("AZaz09-._~!*'()"))).toBe("AZaz09-._~%21%2A%27%28%29");
  expect(parseAmzDate('20130230T000000Z')).toBeUndefined();
  expect(parseAmzDate('20130524T000000Z')).toBe(EXAMPLE_TIME);
});

test('the signing-key cache is bounded', () => {
  for (let i = 0; i < 1500; i++) deriveSigningKey(`secret-${i}`, '20130524', 'us-east-1', 's3');
  expect(cachedSigningKeyCount()).toBeLessThanOrEqual(1024);
  // Derivation is deterministic whether cached or not.
  const key = deriveSigningKey('secret-0', '20130524', 'us-east-1', 's3');
  expect(deriveSigningKey('secret-0', '20130524', 'us-east-1', 's3').equals(key)).toBe(true);
  expect(deriveSigningKey('secret-0', '20130525', 'us-east-1', 's3').equals(key)).toBe(false);
});
