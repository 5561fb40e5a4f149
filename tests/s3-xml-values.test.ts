// Values in S3 XML bodies that the store cannot keep or use (found by the S3 fuzz suite): U+0000
// (which PostgreSQL text and jsonb refuse; XML 1.0 does not allow it either) is MalformedXML, keys
// over 1,024 bytes are refused as in a path, never sent to SQL to come back as InternalError, and a
// CORS ExposeHeader must be a header name, since it goes out in a response header.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { RawS3, xmlValue, xmlValues } from './helpers/s3-raw-request.js';
import type { S3Credentials } from './helpers/s3-clients.js';

const ROOT: S3Credentials = { accessKeyId: 'AKIAXMLVALUESTEST001', secretAccessKey: randomBytes(30).toString('base64') };
const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

let c: TestCluster;
let s3: RawS3;

beforeAll(async () => {
  c = await startTestCluster({ gatewayEnv: { S3_ROOT_ACCESS_KEY: ROOT.accessKeyId, S3_ROOT_SECRET_KEY: ROOT.secretAccessKey } });
  s3 = new RawS3(c.s3Url, ROOT);
  expect((await s3.send({ method: 'PUT', path: '/values' })).status).toBe(200);
  expect((await s3.send({ method: 'PUT', path: '/values/kept', body: 'kept' })).status).toBe(200);
});

afterAll(async () => {
  await c?.destroy();
});

test('DeleteObjects: U+0000 in a key is MalformedXML and deletes nothing; a key over 1,024 bytes is a per-key KeyTooLongError while the other keys are deleted', async () => {
  const nul = await s3.send({ method: 'POST', path: '/values', query: { delete: '' }, body: `<Delete xmlns="${NS}"><Object><Key>kept</Key></Object><Object><Key>a\u0000b</Key></Object></Delete>` });
  expect({ status: nul.status, code: xmlValue(nul.text, 'Code') }, nul.text).toEqual({ status: 400, code: 'MalformedXML' });
  expect((await s3.send({ method: 'HEAD', path: '/values/kept' })).status).toBe(200);

  const body = `<Delete xmlns="${NS}"><Object><Key>kept</Key></Object><Object><Key>${'k'.repeat(1_025)}</Key></Object></Delete>`;
  const r = await s3.send({ method: 'POST', path: '/values', query: { delete: '' }, body });
  expect(r.status, r.text).toBe(200);
  expect(xmlValues(r.text, 'Deleted').map((d) => xmlValue(d, 'Key'))).toEqual(['kept']);
  expect(xmlValues(r.text, 'Code')).toEqual(['KeyTooLongError']);
  expect((await s3.send({ method: 'HEAD', path: '/values/kept' })).status).toBe(404);
});

test('PutBucketCors: U+0000 in a rule is MalformedXML, not InternalError, and the rules in force stay', async () => {
  const rules = (origin: string): string =>
    `<CORSConfiguration xmlns="${NS}"><CORSRule><AllowedOrigin>${origin}</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`;
  expect((await s3.send({ method: 'PUT', path: '/values', query: { cors: '' }, body: rules('https://a.example') })).status).toBe(200);
  for (const bad of ['https://a\u0000.example', 'https://b.example']) {
    const body = bad.includes('\u0000') ? rules(bad) : rules(bad).replace('<AllowedMethod>GET', '<AllowedHeader>x\u0000</AllowedHeader><AllowedMethod>GET');
    const r = await s3.send({ method: 'PUT', path: '/values', query: { cors: '' }, body });
    expect({ status: r.status, code: xmlValue(r.text, 'Code') }, r.text).toEqual({ status: 400, code: 'MalformedXML' });
  }
  const back = await s3.send({ method: 'GET', path: '/values', query: { cors: '' } });
  expect(xmlValue(back.text, 'AllowedOrigin')).toBe('https://a.example');
});

test('PutBucketCors: an ExposeHeader that is not a header name is InvalidRequest; it was stored and then broke every preflight and request from an allowed origin with a 500', async () => {
  const rules = (expose: string): string =>
    `<CORSConfiguration xmlns="${NS}"><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>${expose}</ExposeHeader></CORSRule></CORSConfiguration>`;
  expect((await s3.send({ method: 'PUT', path: '/values', query: { cors: '' }, body: rules('ETag') })).status).toBe(200);
  for (const bad of ['\u{1F600}', 'x-amz-request-id\u0085', 'a b', 'x:y', '']) {
    const r = await s3.send({ method: 'PUT', path: '/values', query: { cors: '' }, body: rules(bad) });
    expect({ status: r.status, code: xmlValue(r.text, 'Code') }, `${JSON.stringify(bad)}: ${r.text}`).toEqual({ status: 400, code: 'InvalidRequest' });
  }
  const preflight = await s3.send({ method: 'OPTIONS', path: '/values/x', key: null, headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' } });
  expect(preflight.status, preflight.text).toBe(200);
  expect(preflight.headers['access-control-expose-headers']).toBe('ETag');
  const get = await s3.send({ method: 'GET', path: '/values', query: { cors: '' }, headers: { origin: 'https://a.example' } });
  expect(get.status, get.text).toBe(200);
});
