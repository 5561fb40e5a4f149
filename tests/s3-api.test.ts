// The S3 API (issue 9) at the level of requests and stored state, for what the real-client tests
// (s3-clients.test.ts) do not show: error documents and codes, request ids, Expect: 100-continue,
// ACL headers, virtual-host addressing, key permissions, conditional writes, atomic overwrites that
// leave no chunks behind, erasure coding of objects through node failures, copies, metadata, CORS,
// multipart listings, the janitor's expiry of multipart uploads, and /files beside S3.
//
// Requests are signed with the SDK's signer (tests/helpers/s3-raw-request.ts) and sent with
// node:http where the exact answer matters; the SDK is used where it is simply a client.
import { createHash, randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCorsCommand,
  GetBucketAclCommand,
  GetBucketCorsCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { nodeDir } from './helpers/cluster-nodes.js';
import { addedFileIds, fileIdsOnNodes, nodeChunkFiles } from './helpers/node-chunk-files.js';
import { md5Hex, multipartEtag } from './helpers/local-files.js';
import { api, captureOutput, chunkPath, killHard, MiB, pollUntil } from './helpers/raw-upload.js';
import { cutPut, pausedGet, plainGet, putInTwoHalves, rawExchange } from './helpers/s3-http-exchanges.js';
import { RawS3, xmlValue, xmlValues, type RawS3Response } from './helpers/s3-raw-request.js';
import { s3Client, type S3Credentials } from './helpers/s3-clients.js';

const ROOT_KEY: S3Credentials = { accessKeyId: 'AKIAOBJSTOREAPITEST', secretAccessKey: randomBytes(30).toString('base64') };
const DOMAIN = 's3.local';
/** Every answer's request id: 16 upper-case hex digits. */
const REQUEST_ID = /^[0-9A-F]{16}$/;

const rootEnv = { S3_ROOT_ACCESS_KEY: ROOT_KEY.accessKeyId, S3_ROOT_SECRET_KEY: ROOT_KEY.secretAccessKey };

let bucketCounter = 0;
const bucketName = (what: string): string => `${what}-${process.pid}-${++bucketCounter}-${randomBytes(3).toString('hex')}`;
const unquote = (etag: string | string[] | undefined): string => String(etag ?? '').replace(/"/g, '');

/** Checks an S3 error answer: status, code, and the document's Message, Resource and RequestId. */
function expectS3Error(res: RawS3Response, status: number, code: string, resource?: string): void {
  expect({ status: res.status, code: xmlValue(res.text, 'Code') }, res.text).toEqual({ status, code });
  const id = res.headers['x-amz-request-id'];
  expect(id).toMatch(REQUEST_ID);
  expect(res.headers['content-type']).toBe('application/xml');
  expect(res.text.startsWith('<?xml')).toBe(true);
  expect(xmlValue(res.text, 'RequestId')).toBe(id);
  expect(xmlValue(res.text, 'Message')?.length).toBeGreaterThan(0);
  if (resource !== undefined) expect(xmlValue(res.text, 'Resource')).toBe(resource);
  else expect(xmlValue(res.text, 'Resource')).toBeDefined();
}

function expectOk(res: RawS3Response, status = 200): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers['x-amz-request-id']).toMatch(REQUEST_ID);
}

/** The error an SDK call ended with; fails when the call succeeded. */
async function sdkError(call: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await call;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** S3 access over one cluster: the root key's raw and SDK clients, and helpers built on them. */
class S3Session {
  readonly raw: RawS3;
  readonly sdk: S3Client;
  private readonly clients: S3Client[] = [];

  constructor(readonly cluster: TestCluster) {
    this.raw = new RawS3(cluster.s3Url, ROOT_KEY);
    this.sdk = this.client(ROOT_KEY);
  }

  client(key: S3Credentials): S3Client {
    const c = s3Client(this.cluster.s3Url, key);
    this.clients.push(c);
    return c;
  }

  dispose(): void {
    for (const c of this.clients) c.destroy();
  }

  async bucket(what: string): Promise<string> {
    const name = bucketName(what);
    expectOk(await this.raw.send({ method: 'PUT', path: `/${name}` }));
    return name;
  }

  async put(bucket: string, key: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<RawS3Response> {
    return this.raw.send({ method: 'PUT', path: `/${bucket}/${key}`, body, headers });
  }

  async get(bucket: string, key: string, headers: Record<string, string> = {}): Promise<RawS3Response> {
    return this.raw.send({ method: 'GET', path: `/${bucket}/${key}`, headers });
  }

  async createUpload(bucket: string, key: string, headers: Record<string, string> = {}): Promise<string> {
    const r = await this.raw.send({ method: 'POST', path: `/${bucket}/${key}`, query: { uploads: '' }, headers });
    expectOk(r);
    return xmlValue(r.text, 'UploadId')!;
  }

  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Buffer): Promise<RawS3Response> {
    return this.raw.send({ method: 'PUT', path: `/${bucket}/${key}`, query: { partNumber: String(partNumber), uploadId }, body });
  }

  /** Uploads a part and returns its ETag (unquoted). */
  async part(bucket: string, key: string, uploadId: string, partNumber: number, body: Buffer): Promise<string> {
    const r = await this.uploadPart(bucket, key, uploadId, partNumber, body);
    expectOk(r);
    return unquote(r.headers.etag);
  }

  async complete(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { n: number; etag: string }[],
    headers: Record<string, string> = {},
  ): Promise<RawS3Response> {
    const body =
      '<CompleteMultipartUpload>' +
      parts.map((p) => `<Part><PartNumber>${p.n}</PartNumber><ETag>"${p.etag}"</ETag></Part>`).join('') +
      '</CompleteMultipartUpload>';
    return this.raw.send({ method: 'POST', path: `/${bucket}/${key}`, query: { uploadId }, body, headers });
  }

  /** The file row of the object at a key (its id), from PostgreSQL. */
  async objectFile(bucket: string, key: string): Promise<{ id: string; part_count: number }> {
    const r = await this.cluster.db.pool.query<{ id: string; part_count: number }>(
      `SELECT f.id, f.part_count FROM files f JOIN buckets b ON b.id = f.bucket_id
       WHERE b.name = $1 AND f.object_key = $2 AND f.status = 'completed'`,
      [bucket, key],
    );
    expect(r.rows).toHaveLength(1);
    return r.rows[0]!;
  }

  /** A new access key with grants (bucket → read/write), from the admin API. */
  async newKey(grants: Record<string, { read: boolean; write: boolean }>): Promise<S3Credentials> {
    const created = await api(`${this.cluster.gatewayUrl}/admin/keys`, { method: 'POST', body: { name: 's3-api test' } });
    expect(created.status, created.text).toBe(201);
    for (const [bucket, access] of Object.entries(grants)) {
      const g = await api(`${this.cluster.gatewayUrl}/admin/keys/${created.json.access_key_id}/grants/${bucket}`, { method: 'PUT', body: access });
      expect(g.status, g.text).toBe(200);
    }
    return { accessKeyId: created.json.access_key_id, secretAccessKey: created.json.secret_access_key };
  }
}

describe('S3 API on one cluster', () => {
  let cluster: TestCluster;
  let s3: S3Session;
  let output: () => string = () => '';

  beforeAll(async () => {
    // Replaced objects' chunks stay DELETE_GRACE_MS (3 s here) for reads under way; the janitor then deletes them.
    cluster = await startTestCluster({
      gatewayEnv: { ...rootEnv, S3_DOMAIN: DOMAIN, S3_KEY_CACHE_MS: '0', DELETE_GRACE_MS: '3000', JANITOR_INTERVAL_MS: '500' },
    });
    output = captureOutput(cluster.gateway.child);
    s3 = new S3Session(cluster);
  });

  afterAll(async () => {
    s3?.dispose();
    await cluster?.destroy();
  });

  beforeEach((context) => {
    context.onTestFailed(() => console.log(`--- gateway output (last lines) ---\n${output().slice(-6000)}`));
  });

  test('every answer carries x-amz-request-id; errors are S3 XML with Code, Message, Resource and RequestId', async () => {
    const b = await s3.bucket('reqid');
    const ok = await s3.raw.send({ method: 'GET', path: '/' });
    expectOk(ok);
    expect(ok.text).toContain('<ListAllMyBucketsResult');

    const missing = await s3.get(b, 'nothing-here');
    expectS3Error(missing, 404, 'NoSuchKey', `/${b}/nothing-here`);
    expect(xmlValue(missing.text, 'Key')).toBe('nothing-here');

    const wrongSecret = await s3.raw.send({ method: 'GET', path: `/${b}`, key: { ...ROOT_KEY, secretAccessKey: randomBytes(30).toString('base64') } });
    expectS3Error(wrongSecret, 403, 'SignatureDoesNotMatch', `/${b}`);
    const anonymous = await s3.raw.send({ method: 'GET', path: `/${b}`, key: null });
    expectS3Error(anonymous, 403, 'AccessDenied', `/${b}`);

    // Refused before any authentication: an unsupported sub-resource, a path that is not valid UTF-8.
    const tagging = await s3.raw.send({ method: 'GET', path: `/${b}/k`, query: { tagging: '' }, key: null });
    expectS3Error(tagging, 501, 'NotImplemented', `/${b}/k`);
    const badUri = await s3.raw.send({ method: 'GET', path: `/${b}/%ff%fe`, key: null });
    expectS3Error(badUri, 400, 'InvalidURI');

    // Refused by the HTTP parser itself: a malformed header line, a header section over Node's limit.
    const parserErrors = [];
    for (const [head, code] of [
      ['GET / HTTP/1.1\r\nHost: x\r\nNot a header line\r\n\r\n', 'InvalidRequest'],
      [`GET / HTTP/1.1\r\nHost: x\r\nx-amz-meta-big: ${'v'.repeat(20_000)}\r\n\r\n`, 'RequestHeaderSectionTooLarge'],
    ] as const) {
      const answer = await rawExchange(cluster.s3Url, head);
      expect(answer.status, answer.text).toBe(400);
      expect(xmlValue(answer.text, 'Code')).toBe(code);
      expect(answer.headers['x-amz-request-id']).toMatch(REQUEST_ID);
      expect(xmlValue(answer.text, 'RequestId')).toBe(answer.headers['x-amz-request-id']);
      parserErrors.push(answer.headers['x-amz-request-id']);
    }

    // Two answers never share an id.
    const ids = new Set([...[ok, missing, wrongSecret, anonymous, tagging, badUri].map((r) => r.headers['x-amz-request-id']), ...parserErrors]);
    expect(ids.size).toBe(8);
  });

  test('errors: NoSuchBucket, NoSuchKey (HEAD without a body), InvalidBucketName, BucketAlreadyOwnedByYou, BucketNotEmpty', async () => {
    const gone = bucketName('never-created');
    expectS3Error(await s3.get(gone, 'k'), 404, 'NoSuchBucket', `/${gone}/k`);
    expectS3Error(await s3.raw.send({ method: 'GET', path: `/${gone}` }), 404, 'NoSuchBucket', `/${gone}`);

    const b = await s3.bucket('errors');
    expectS3Error(await s3.get(b, 'missing'), 404, 'NoSuchKey');
    const head = await s3.raw.send({ method: 'HEAD', path: `/${b}/missing` });
    expect(head.status).toBe(404);
    expect(head.body.length).toBe(0);
    expect(head.headers['x-amz-request-id']).toMatch(REQUEST_ID);

    for (const name of ['UpperCase-bucket', 'ab', '192.168.10.20']) {
      expectS3Error(await s3.raw.send({ method: 'PUT', path: `/${name}` }), 400, 'InvalidBucketName', `/${name}`);
      expect((await s3.raw.send({ method: 'HEAD', path: `/${name}` })).status).toBe(404); // not created
    }

    expectS3Error(await s3.raw.send({ method: 'PUT', path: `/${b}` }), 409, 'BucketAlreadyOwnedByYou', `/${b}`);

    expectOk(await s3.put(b, 'keep', 'x'));
    expectS3Error(await s3.raw.send({ method: 'DELETE', path: `/${b}` }), 409, 'BucketNotEmpty', `/${b}`);
    expectOk(await s3.raw.send({ method: 'HEAD', path: `/${b}` }));
    expectOk(await s3.raw.send({ method: 'DELETE', path: `/${b}/keep` }), 204);
    expectOk(await s3.raw.send({ method: 'DELETE', path: `/${b}` }), 204);
    expect((await s3.raw.send({ method: 'HEAD', path: `/${b}` })).status).toBe(404);
  });

  test('errors: InvalidRange (416, Content-Range bytes */size), BadDigest (nothing stored), MissingContentLength, MethodNotAllowed, NotImplemented', async () => {
    const b = await s3.bucket('errors2');
    expectOk(await s3.put(b, 'hundred', randomBytes(100)));
    const range = await s3.get(b, 'hundred', { range: 'bytes=1000-2000' });
    expectS3Error(range, 416, 'InvalidRange');
    expect(range.headers['content-range']).toBe('bytes */100');

    const before = await fileIdsOnNodes(cluster);
    const body = randomBytes(5000);
    const wrongMd5 = createHash('md5').update('something else').digest('base64');
    expectS3Error(await s3.put(b, 'bad-md5', body, { 'content-md5': wrongMd5 }), 400, 'BadDigest', `/${b}/bad-md5`);
    expect((await s3.raw.send({ method: 'HEAD', path: `/${b}/bad-md5` })).status).toBe(404);
    // Over an existing object, the old one stays.
    expectOk(await s3.put(b, 'hundred-copy', body));
    expectS3Error(await s3.put(b, 'hundred-copy', randomBytes(5000), { 'content-md5': wrongMd5 }), 400, 'BadDigest');
    expect(md5Hex((await s3.get(b, 'hundred-copy')).body)).toBe(md5Hex(body));
    // No file row of the refused uploads is left, finished or not.
    const rows = await cluster.db.pool.query(`SELECT f.object_key, f.status FROM files f JOIN buckets x ON x.id = f.bucket_id WHERE x.name = $1 ORDER BY 1`, [b]);
    expect(rows.rows).toEqual([
      { object_key: 'hundred', status: 'completed' },
      { object_key: 'hundred-copy', status: 'completed' },
    ]);
    // ... and no chunk of them on the nodes: only the one object stored since is there.
    const copyId = (await s3.objectFile(b, 'hundred-copy')).id;
    expect(await pollUntil(() => addedFileIds(cluster, before), (ids) => ids.length === 1, 10_000, 100)).toEqual([copyId]);

    const noLength = await s3.raw.send({ method: 'PUT', path: `/${b}/no-length`, body: 'abc', chunked: true, unsignedPayload: true });
    expectS3Error(noLength, 411, 'MissingContentLength', `/${b}/no-length`);
    expect((await s3.raw.send({ method: 'HEAD', path: `/${b}/no-length` })).status).toBe(404);

    // Names the store cannot keep are refused up front, not with a 500 once the body is stored.
    const long = 'k'.repeat(1025);
    expectS3Error(await s3.put(b, long, randomBytes(100_000)), 400, 'KeyTooLongError');
    expectS3Error(await s3.raw.send({ method: 'POST', path: `/${b}/${long}`, query: { uploads: '' } }), 400, 'KeyTooLongError');
    expectOk(await s3.put(b, 'k'.repeat(1024), 'longest key'));
    expectS3Error(await s3.put(b, 'nul%00key', 'x'), 400, 'InvalidArgument');
    expectS3Error(await s3.get(b, 'nul%00key'), 400, 'InvalidArgument');
    expectS3Error(await s3.raw.send({ method: 'PUT', path: `/${b}/copy`, headers: { 'x-amz-copy-source': `/${b}/nul%00key` } }), 400, 'InvalidArgument');

    expectS3Error(await s3.raw.send({ method: 'POST', path: `/${b}/hundred` }), 405, 'MethodNotAllowed');
    expectS3Error(await s3.raw.send({ method: 'PATCH', path: `/${b}` }), 405, 'MethodNotAllowed');
    expectS3Error(await s3.raw.send({ method: 'GET', path: `/${b}`, query: { tagging: '' } }), 501, 'NotImplemented');
    expectS3Error(await s3.raw.send({ method: 'PUT', path: `/${b}/hundred`, query: { tagging: '' }, body: '<Tagging/>' }), 501, 'NotImplemented');
  });

  test('multipart errors: InvalidPart, InvalidPartOrder, EntityTooSmall, NoSuchUpload on unknown and aborted uploads', async () => {
    const b = await s3.bucket('mperr');
    const id = await s3.createUpload(b, 'obj');
    const e1 = await s3.part(b, 'obj', id, 1, randomBytes(MiB));
    const e2 = await s3.part(b, 'obj', id, 2, randomBytes(MiB));
    expect(e1).not.toBe(e2);

    expectS3Error(await s3.complete(b, 'obj', id, [{ n: 1, etag: e2 }, { n: 2, etag: e2 }]), 400, 'InvalidPart');
    expectS3Error(await s3.complete(b, 'obj', id, [{ n: 3, etag: e2 }]), 400, 'InvalidPart'); // never uploaded
    expectS3Error(await s3.complete(b, 'obj', id, [{ n: 2, etag: e2 }, { n: 1, etag: e1 }]), 400, 'InvalidPartOrder');
    // Parts but the last must be 5 MiB (MIN_PART_SIZE's default): a 1 MiB first part is too small.
    const small = await s3.complete(b, 'obj', id, [{ n: 1, etag: e1 }, { n: 2, etag: e2 }]);
    expectS3Error(small, 400, 'EntityTooSmall');
    expect((await s3.raw.send({ method: 'HEAD', path: `/${b}/obj` })).status).toBe(404);
    // An upload id belongs to its key: through another key it is unknown, and stays as it was.
    expectS3Error(await s3.complete(b, 'elsewhere', id, [{ n: 2, etag: e2 }]), 404, 'NoSuchUpload');
    expectS3Error(await s3.uploadPart(b, 'elsewhere', id, 3, randomBytes(1000)), 404, 'NoSuchUpload');
    expectS3Error(await s3.raw.send({ method: 'GET', path: `/${b}/elsewhere`, query: { uploadId: id } }), 404, 'NoSuchUpload');
    expectS3Error(await s3.raw.send({ method: 'DELETE', path: `/${b}/elsewhere`, query: { uploadId: id } }), 404, 'NoSuchUpload');
    const listed = await s3.raw.send({ method: 'GET', path: `/${b}/obj`, query: { uploadId: id } });
    expectOk(listed);
    expect(xmlValues(listed.text, 'PartNumber')).toEqual(['1', '2']);
    // The refusals left the upload as it was: a single part of it completes.
    const one = await s3.complete(b, 'obj', id, [{ n: 2, etag: e2 }]);
    expectOk(one);

    expectS3Error(await s3.raw.send({ method: 'POST', path: `/${b}/sum`, query: { uploads: '' }, headers: { 'x-amz-checksum-algorithm': 'MD4' } }), 400, 'InvalidRequest');
    const withCrc = await s3.raw.send({ method: 'POST', path: `/${b}/sum`, query: { uploads: '' }, headers: { 'x-amz-checksum-algorithm': 'crc32c' } });
    expectOk(withCrc);
    expect(withCrc.headers['x-amz-checksum-algorithm']).toBe('CRC32C');

    const unknown = '0b5c1e5e-1f4e-4c3a-9a2b-7d1e2f3a4b5c';
    expectS3Error(await s3.complete(b, 'obj', unknown, [{ n: 1, etag: e1 }]), 404, 'NoSuchUpload');
    expectS3Error(await s3.raw.send({ method: 'DELETE', path: `/${b}/obj`, query: { uploadId: unknown } }), 404, 'NoSuchUpload');
    expectS3Error(await s3.uploadPart(b, 'obj', unknown, 1, randomBytes(1000)), 404, 'NoSuchUpload');
    expectS3Error(await s3.uploadPart(b, 'obj', 'not-a-uuid', 1, randomBytes(1000)), 404, 'NoSuchUpload');
    // The completed upload is gone too.
    expectS3Error(await s3.uploadPart(b, 'obj', id, 3, randomBytes(1000)), 404, 'NoSuchUpload');

    // Two Completes of one upload at once: one makes the object, the other finds no upload.
    const twice = await s3.createUpload(b, 'twice');
    const et = await s3.part(b, 'twice', twice, 1, randomBytes(1000));
    const both = await Promise.all([0, 1].map(() => s3.complete(b, 'twice', twice, [{ n: 1, etag: et }])));
    expect(both.map((r) => r.status).sort()).toEqual([200, 404]);
    expectS3Error(both.find((r) => r.status === 404)!, 404, 'NoSuchUpload');

    const aborted = await s3.createUpload(b, 'other');
    const ea = await s3.part(b, 'other', aborted, 1, randomBytes(1000));
    expectOk(await s3.raw.send({ method: 'DELETE', path: `/${b}/other`, query: { uploadId: aborted } }), 204);
    expectS3Error(await s3.complete(b, 'other', aborted, [{ n: 1, etag: ea }]), 404, 'NoSuchUpload');
    expectS3Error(await s3.raw.send({ method: 'DELETE', path: `/${b}/other`, query: { uploadId: aborted } }), 404, 'NoSuchUpload');
    expectS3Error(await s3.uploadPart(b, 'other', aborted, 2, randomBytes(1000)), 404, 'NoSuchUpload');
    expectS3Error(await s3.raw.send({ method: 'GET', path: `/${b}/other`, query: { uploadId: aborted } }), 404, 'NoSuchUpload');
  });

  test('Expect: 100-continue gets 100 Continue then 200; a refused PUT gets its 403 without a 100; other Expect values are ignored', async () => {
    const b = await s3.bucket('expect');
    const body = randomBytes(300_000);
    const put = await s3.raw.send({ method: 'PUT', path: `/${b}/continued`, body, expectContinue: true });
    expect(put.continued).toBe(true);
    expectOk(put);
    expect(unquote(put.headers.etag)).toBe(md5Hex(body));
    expect(md5Hex((await s3.get(b, 'continued')).body)).toBe(md5Hex(body));

    const stranger = await s3.newKey({});
    const noGrant = await s3.raw.send({ method: 'PUT', path: `/${b}/refused`, body, expectContinue: true, key: stranger });
    expect(noGrant.continued).toBe(false);
    expectS3Error(noGrant, 403, 'AccessDenied');
    const badSignature = await s3.raw.send({
      method: 'PUT',
      path: `/${b}/refused`,
      body,
      expectContinue: true,
      key: { ...ROOT_KEY, secretAccessKey: randomBytes(30).toString('base64') },
    });
    expect(badSignature.continued).toBe(false);
    expectS3Error(badSignature, 403, 'SignatureDoesNotMatch');
    expect((await s3.raw.send({ method: 'HEAD', path: `/${b}/refused` })).status).toBe(404);

    const foo = await s3.raw.send({ method: 'PUT', path: `/${b}/foo`, body: 'expect foo', headers: { expect: 'foo' } });
    expectOk(foo);
    expect((await s3.get(b, 'foo')).text).toBe('expect foo');
  });

  test('x-amz-acl private and public-read are accepted on CreateBucket and PutObject; the ACLs answer an AccessControlPolicy', async () => {
    for (const acl of ['private', 'public-read']) {
      const b = bucketName(`acl-${acl}`);
      expectOk(await s3.raw.send({ method: 'PUT', path: `/${b}`, headers: { 'x-amz-acl': acl } }));
      expectOk(await s3.put(b, 'o', 'acl body', { 'x-amz-acl': acl }));
      for (const path of [`/${b}`, `/${b}/o`]) {
        const r = await s3.raw.send({ method: 'GET', path, query: { acl: '' } });
        expectOk(r);
        expect(r.text).toMatch(/<AccessControlPolicy[ >]/);
        expect(xmlValue(r.text, 'ID')).toMatch(/^[0-9a-f]{64}$/);
        expect(xmlValues(r.text, 'Permission')).toEqual(['FULL_CONTROL']);
      }
      const bucketAcl = await s3.sdk.send(new GetBucketAclCommand({ Bucket: b }));
      expect(bucketAcl.Grants?.[0]?.Permission).toBe('FULL_CONTROL');
      const objectAcl = await s3.sdk.send(new GetObjectAclCommand({ Bucket: b, Key: 'o' }));
      expect(objectAcl.Owner?.ID).toBe(bucketAcl.Owner?.ID);
    }
    const b = bucketName('acl-sdk');
    await s3.sdk.send(new CreateBucketCommand({ Bucket: b, ACL: 'public-read' }));
    await s3.sdk.send(new PutObjectCommand({ Bucket: b, Key: 'o', Body: 'x', ACL: 'private' }));
    expect((await s3.get(b, 'o')).text).toBe('x');
    // An ACL that is not a canned one is refused rather than ignored.
    expectS3Error(await s3.raw.send({ method: 'PUT', path: `/${bucketName('acl-bad')}`, headers: { 'x-amz-acl': 'everyone-may' } }), 400, 'InvalidArgument');
  });

  test('listings of long and short pages answered at the same time, one read slowly, each hold exactly their own keys (the gateway reuses and grows its listing buffers)', async () => {
    // Keys go in as rows, as a completed PutObject leaves them (without chunks): pages of 1,000
    // long keys (about 300 KB of XML, more than a kept buffer holds) and of short ones.
    const [big, small] = [await s3.bucket('list-big'), await s3.bucket('list-small')];
    const db = new pg.Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    const keysOf = (prefix: string, n: number, pad: number): string[] =>
      Array.from({ length: n }, (_, i) => `${prefix}/${String(i).padStart(4, '0')}-${'k'.repeat(pad)}`);
    const bigKeys = keysOf('big', 1000, 180);
    const smallKeys = keysOf('small', 300, 8);
    try {
      for (const [bucket, keys] of [[big, bigKeys], [small, smallKeys]] as const) {
        await db.query(
          `INSERT INTO files (id, filename, content_type, size, status, stripe_unit, stripe_width, completed_at, etag, md5, bucket_id, object_key)
           SELECT gen_random_uuid(), 'f', 'application/octet-stream', 1, 'completed', 1048576, 4, now(), md5(k), md5(k), b.id, k
           FROM unnest($2::text[]) k, buckets b WHERE b.name = $1`,
          [bucket, keys],
        );
      }
    } finally {
      await db.end();
    }
    const listUrl = (bucket: string) => getSignedUrl(s3.sdk, new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    const slow = await pausedGet(await listUrl(big));
    const answers = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const bucket = i % 2 ? big : small;
        const res = await s3.raw.send({ method: 'GET', path: `/${bucket}`, query: { 'list-type': '2' } });
        return { bucket, res };
      }),
    );
    for (const { bucket, res } of answers) {
      expectOk(res);
      expect(xmlValues(res.text, 'Key'), bucket).toEqual(bucket === big ? bigKeys : smallKeys);
    }
    const rest = await slow.readRest();
    expect(rest.error).toBeNull();
    expect(xmlValues(rest.body.toString('utf8'), 'Key')).toEqual(bigKeys);
  });

  test('virtual-host style: Host <bucket>.s3.local lists and gets objects', async () => {
    const b = await s3.bucket('vhost');
    const body = randomBytes(70_000);
    expectOk(await s3.put(b, 'dir/file.bin', body));
    const host = `${b}.${DOMAIN}:${new URL(cluster.s3Url).port}`;
    const list = await s3.raw.send({ method: 'GET', path: '/', query: { 'list-type': '2' }, host });
    expectOk(list);
    expect(xmlValue(list.text, 'Name')).toBe(b);
    expect(xmlValues(list.text, 'Key')).toEqual(['dir/file.bin']);
    const get = await s3.raw.send({ method: 'GET', path: '/dir/file.bin', host });
    expectOk(get);
    expect(md5Hex(get.body)).toBe(md5Hex(body));
    const put = await s3.raw.send({ method: 'PUT', path: '/vhost-put', body: 'virtual', host });
    expectOk(put);
    expect((await s3.get(b, 'vhost-put')).text).toBe('virtual');
    const missing = await s3.raw.send({ method: 'GET', path: '/nope', host });
    expectS3Error(missing, 404, 'NoSuchKey', `/${b}/nope`);
    // Another bucket's name in the host is that bucket.
    expectS3Error(await s3.raw.send({ method: 'GET', path: '/', host: `${bucketName('absent')}.${DOMAIN}` }), 404, 'NoSuchBucket');
  });

  test("permissions: read-only, write-only and no grant behave as Garage's model; bucket changes need the root key; a revoked key is unknown", async () => {
    const a = await s3.bucket('perm-a');
    const bb = await s3.bucket('perm-b');
    expectOk(await s3.put(a, 'in-a', 'bytes of a'));
    expectOk(await s3.put(bb, 'in-b', 'bytes of b'));

    const reader = s3.raw.as(await s3.newKey({ [a]: { read: true, write: false } }));
    expect((await reader.send({ method: 'GET', path: `/${a}/in-a` })).text).toBe('bytes of a');
    expectOk(await reader.send({ method: 'HEAD', path: `/${a}/in-a` }));
    const listed = await reader.send({ method: 'GET', path: `/${a}`, query: { 'list-type': '2' } });
    expectOk(listed);
    expect(xmlValues(listed.text, 'Key')).toEqual(['in-a']);
    expectS3Error(await reader.send({ method: 'PUT', path: `/${a}/new`, body: 'no' }), 403, 'AccessDenied');
    expectS3Error(await reader.send({ method: 'DELETE', path: `/${a}/in-a` }), 403, 'AccessDenied');
    expectS3Error(await reader.send({ method: 'POST', path: `/${a}/mp`, query: { uploads: '' } }), 403, 'AccessDenied');
    expectS3Error(await reader.send({ method: 'GET', path: `/${bb}/in-b` }), 403, 'AccessDenied');
    expect((await reader.send({ method: 'HEAD', path: `/${bb}/in-b` })).status).toBe(403);
    expectS3Error(await reader.send({ method: 'GET', path: `/${bb}` }), 403, 'AccessDenied');
    expectS3Error(await reader.send({ method: 'GET', path: `/${bb}`, query: { uploads: '' } }), 403, 'AccessDenied');
    const deleteMany = '<Delete><Object><Key>in-a</Key></Object></Delete>';
    const contentMd5 = createHash('md5').update(deleteMany).digest('base64');
    expectS3Error(await reader.send({ method: 'POST', path: `/${a}`, query: { delete: '' }, body: deleteMany, headers: { 'content-md5': contentMd5 } }), 403, 'AccessDenied');
    const buckets = await reader.send({ method: 'GET', path: '/' });
    expectOk(buckets);
    expect(xmlValues(buckets.text, 'Name')).toEqual([a]);
    expect((await s3.get(a, 'in-a')).text).toBe('bytes of a');

    // Read and write on A, nothing on B: copying from B into A is refused, from A into A is not.
    const writer = s3.raw.as(await s3.newKey({ [a]: { read: true, write: true } }));
    expectS3Error(await writer.send({ method: 'PUT', path: `/${a}/from-b`, headers: { 'x-amz-copy-source': `/${bb}/in-b` } }), 403, 'AccessDenied');
    expect((await s3.raw.send({ method: 'HEAD', path: `/${a}/from-b` })).status).toBe(404);
    const copied = await writer.send({ method: 'PUT', path: `/${a}/from-a`, headers: { 'x-amz-copy-source': `/${a}/in-a` } });
    expectOk(copied);
    expect((await s3.get(a, 'from-a')).text).toBe('bytes of a');
    // Bucket changes need the root key, even for a bucket the key may write.
    expectS3Error(await writer.send({ method: 'PUT', path: `/${bucketName('perm-new')}` }), 403, 'AccessDenied');
    expectS3Error(await writer.send({ method: 'DELETE', path: `/${a}` }), 403, 'AccessDenied');
    expectOk(await s3.raw.send({ method: 'HEAD', path: `/${a}` }));

    const writeOnlyKey = await s3.newKey({ [a]: { read: false, write: true } });
    const writeOnly = s3.raw.as(writeOnlyKey);
    expectOk(await writeOnly.send({ method: 'PUT', path: `/${a}/dropped`, body: 'dropbox' }));
    expect((await s3.get(a, 'dropped')).text).toBe('dropbox');
    expectS3Error(await writeOnly.send({ method: 'GET', path: `/${a}/dropped` }), 403, 'AccessDenied');
    expectS3Error(await writeOnly.send({ method: 'GET', path: `/${a}` }), 403, 'AccessDenied');
    const presignedByWriter = await getSignedUrl(s3.client(writeOnlyKey), new GetObjectCommand({ Bucket: a, Key: 'dropped' }));
    expect((await plainGet(presignedByWriter)).status).toBe(403);
    const presignedPut = await getSignedUrl(s3.client(writeOnlyKey), new PutObjectCommand({ Bucket: a, Key: 'presigned-put' }));

    // Revoked: the key is unknown from then on (S3_KEY_CACHE_MS=0 in this cluster).
    const revoke = await api(`${cluster.gatewayUrl}/admin/keys/${writeOnlyKey.accessKeyId}`, { method: 'DELETE' });
    expect(revoke.status, revoke.text).toBe(200);
    expectS3Error(await writeOnly.send({ method: 'PUT', path: `/${a}/after-revoke`, body: 'no' }), 403, 'InvalidAccessKeyId');
    expect((await s3.raw.send({ method: 'HEAD', path: `/${a}/after-revoke` })).status).toBe(404);
    // ... also in a URL presigned before the revocation.
    const lateUpload = await fetch(presignedPut, { method: 'PUT', body: 'late' });
    expect(lateUpload.status).toBe(403);
    expect(xmlValue(await lateUpload.text(), 'Code')).toBe('InvalidAccessKeyId');
    expect((await s3.raw.send({ method: 'HEAD', path: `/${a}/presigned-put` })).status).toBe(404);
  });

  test('multipart: a part uploaded again and a part left out of Complete leave no chunks on the nodes', async () => {
    const b = await s3.bucket('mpclean');
    const before = await fileIdsOnNodes(cluster);
    const id = await s3.createUpload(b, 'obj');
    const first = randomBytes(5 * MiB);
    await s3.part(b, 'obj', id, 1, first);
    const again = randomBytes(5 * MiB + 100);
    const e1 = await s3.part(b, 'obj', id, 1, again);
    const e2 = await s3.part(b, 'obj', id, 2, randomBytes(2 * MiB));
    await s3.part(b, 'obj', id, 3, randomBytes(MiB));
    expectS3Error(await s3.complete(b, 'obj', id, [{ n: 1, etag: md5Hex(first) }, { n: 2, etag: e2 }]), 400, 'InvalidPart');
    const done = await s3.complete(b, 'obj', id, [{ n: 1, etag: e1 }, { n: 2, etag: e2 }]);
    expectOk(done);
    expect(unquote(xmlValue(done.text, 'ETag')!.replace(/&quot;/g, '"'))).toBe(multipartEtag([e1, e2]));
    const got = await s3.get(b, 'obj');
    expect(got.body.subarray(0, again.length).equals(again)).toBe(true);
    expect(got.body.length).toBe(again.length + 2 * MiB);
    const object = await s3.objectFile(b, 'obj');
    const parts = (await cluster.db.pool.query<{ id: string }>('SELECT id FROM files WHERE parent_id = $1', [object.id])).rows.map((r) => r.id).sort();
    expect(parts).toHaveLength(2);
    expect(await pollUntil(() => addedFileIds(cluster, before), (ids) => ids.length === 2, 10_000, 100)).toEqual(parts);
  });

  test('nothing is left behind by a PUT cut mid-body, DeleteObjects, or a bucket deleted with an open multipart upload', async () => {
    const b = await s3.bucket('leftovers');
    const before = await fileIdsOnNodes(cluster);
    // A PUT that announces 6 MiB, sends 3 and closes its connection.
    const sent = await cutPut(cluster.s3Url, await s3.raw.signedHead('PUT', `/${b}/cut`, 6 * MiB), randomBytes(3 * MiB));
    expect(sent).toBe(3 * MiB);
    const rows = () => cluster.db.pool.query('SELECT id FROM files WHERE bucket_id = (SELECT id FROM buckets WHERE name = $1)', [b]);
    expect((await pollUntil(rows, (r) => r.rows.length === 0, 10_000, 100)).rows).toEqual([]);
    expect((await s3.raw.send({ method: 'HEAD', path: `/${b}/cut` })).status).toBe(404);

    for (const key of ['d1', 'd2', 'keep']) expectOk(await s3.put(b, key, randomBytes(200_000)));
    const keep = (await s3.objectFile(b, 'keep')).id;
    const deleteMany = '<Delete><Quiet>true</Quiet><Object><Key>d1</Key></Object><Object><Key>d2</Key></Object><Object><Key>never</Key></Object></Delete>';
    const deleted = await s3.raw.send({
      method: 'POST',
      path: `/${b}`,
      query: { delete: '' },
      body: deleteMany,
      headers: { 'content-md5': createHash('md5').update(deleteMany).digest('base64') },
    });
    expectOk(deleted);
    expect(xmlValues(deleted.text, 'Error')).toEqual([]);
    const listed = await s3.raw.send({ method: 'GET', path: `/${b}`, query: { 'list-type': '2' } });
    expect(xmlValues(listed.text, 'Key')).toEqual(['keep']);
    expect(await pollUntil(() => addedFileIds(cluster, before), (ids) => ids.length === 1, 10_000, 100)).toEqual([keep]);

    const id = await s3.createUpload(b, 'open');
    await s3.part(b, 'open', id, 1, randomBytes(300_000));
    expectOk(await s3.raw.send({ method: 'DELETE', path: `/${b}/keep` }), 204);
    expectOk(await s3.raw.send({ method: 'DELETE', path: `/${b}` }), 204);
    expect(await pollUntil(() => addedFileIds(cluster, before), (ids) => ids.length === 0, 10_000, 100)).toEqual([]);
    const uploads = await cluster.db.pool.query('SELECT id FROM multipart_uploads WHERE id = $1', [id]);
    expect(uploads.rows).toEqual([]);
  });

  test('an upload aborted while one of its parts is still being sent leaves no chunk of that part', async () => {
    const b = await s3.bucket('abortinflight');
    const before = await fileIdsOnNodes(cluster);
    const id = await s3.createUpload(b, 'obj');
    const inFlight = () => cluster.db.pool.query(`SELECT id FROM files WHERE upload_id = $1 AND status = 'uploading'`, [id]);
    const part = await putInTwoHalves(s3.raw, `/${b}/obj`, { partNumber: '1', uploadId: id }, randomBytes(6 * MiB), async () => {
      // The part's file exists (its chunks are being written) when the upload is aborted.
      expect((await pollUntil(inFlight, (r) => r.rows.length === 1, 10_000, 50)).rows).toHaveLength(1);
      expectOk(await s3.raw.send({ method: 'DELETE', path: `/${b}/obj`, query: { uploadId: id } }), 204);
    });
    expect({ status: part.status, code: xmlValue(part.text, 'Code') }).toEqual({ status: 404, code: 'NoSuchUpload' });
    const left = await pollUntil(
      async () => ({ onNodes: await addedFileIds(cluster, before), rows: (await cluster.db.pool.query('SELECT id FROM files WHERE bucket_id = (SELECT id FROM buckets WHERE name = $1)', [b])).rows }),
      (l) => l.onNodes.length === 0 && l.rows.length === 0,
      15_000,
      200,
    );
    expect(left).toEqual({ onNodes: [], rows: [] });
  });

  test('conditional requests: If-Modified-Since 304, If-Unmodified-Since 412, If-None-Match: * on PUT and CompleteMultipartUpload', async () => {
    const b = await s3.bucket('cond');
    const old = randomBytes(2000);
    expectOk(await s3.put(b, 'k', old));
    const future = new Date(Date.now() + 3_600_000).toUTCString();
    const past = new Date(Date.now() - 3_600_000).toUTCString();
    const notModified = await s3.get(b, 'k', { 'if-modified-since': future });
    expect(notModified.status).toBe(304);
    expect(notModified.headers['x-amz-request-id']).toMatch(REQUEST_ID);
    expect(notModified.body.length).toBe(0);
    expect(unquote(notModified.headers.etag)).toBe(md5Hex(old));
    expectOk(await s3.get(b, 'k', { 'if-modified-since': past }));
    expectS3Error(await s3.get(b, 'k', { 'if-unmodified-since': past }), 412, 'PreconditionFailed');
    expectOk(await s3.get(b, 'k', { 'if-unmodified-since': future }));

    expectS3Error(await s3.put(b, 'k', randomBytes(2000), { 'if-none-match': '*' }), 412, 'PreconditionFailed');
    expect(md5Hex((await s3.get(b, 'k')).body)).toBe(md5Hex(old));
    const created = await s3.put(b, 'fresh', 'created once', { 'if-none-match': '*' });
    expectOk(created);
    expect((await s3.get(b, 'fresh')).text).toBe('created once');

    const id = await s3.createUpload(b, 'k');
    const e1 = await s3.part(b, 'k', id, 1, randomBytes(10_000));
    expectS3Error(await s3.complete(b, 'k', id, [{ n: 1, etag: e1 }], { 'if-none-match': '*' }), 412, 'PreconditionFailed');
    expect(md5Hex((await s3.get(b, 'k')).body)).toBe(md5Hex(old));
    // If-None-Match on a write takes only "*": another value is refused, not ignored.
    const etagCondition = await s3.complete(b, 'k', id, [{ n: 1, etag: e1 }], { 'if-none-match': `"${md5Hex(randomBytes(8))}"` });
    expectS3Error(etagCondition, 501, 'NotImplemented');
    expectS3Error(await s3.put(b, 'k', 'x', { 'if-none-match': `"${md5Hex(old)}"` }), 501, 'NotImplemented');
    expect(md5Hex((await s3.get(b, 'k')).body)).toBe(md5Hex(old));
    // If-Match: the write happens only over the ETag named.
    expectS3Error(await s3.put(b, 'k', 'x', { 'if-match': `"${md5Hex('not the current body')}"` }), 412, 'PreconditionFailed');
    const matched = randomBytes(3000);
    expectOk(await s3.put(b, 'k', matched, { 'if-match': `"${md5Hex(old)}"` }));
    expect(md5Hex((await s3.get(b, 'k')).body)).toBe(md5Hex(matched));
    const onNew = await s3.createUpload(b, 'mp-new');
    const e2 = await s3.part(b, 'mp-new', onNew, 1, randomBytes(10_000));
    expectOk(await s3.complete(b, 'mp-new', onNew, [{ n: 1, etag: e2 }], { 'if-none-match': '*' }));

    // Create-only PUTs racing for a new key: exactly one wins, and the others leave no chunks.
    const before = await fileIdsOnNodes(cluster);
    const racers = Array.from({ length: 4 }, () => randomBytes(2 * MiB));
    const answers = await Promise.all(racers.map((body) => s3.put(b, 'race-create', body, { 'if-none-match': '*' })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 412, 412, 412]);
    const winner = racers[answers.findIndex((r) => r.status === 200)]!;
    expect(md5Hex((await s3.get(b, 'race-create')).body)).toBe(md5Hex(winner));
    const winnerFile = (await s3.objectFile(b, 'race-create')).id;
    expect(await pollUntil(() => addedFileIds(cluster, before), (ids) => ids.length === 1, 10_000, 100)).toEqual([winnerFile]);
  });

  test('overwrite is atomic: 8 concurrent PUTs leave one whole body, a reader never sees a mix, and no chunk of the losers stays', async () => {
    const b = await s3.bucket('race');
    const key = 'contended';
    const initial = randomBytes(4 * MiB + 77);
    expectOk(await s3.put(b, key, initial));
    const initialFile = (await s3.objectFile(b, key)).id;
    const bodies = Array.from({ length: 8 }, (_, i) => randomBytes(4 * MiB + 1000 * (i + 1)));
    const known = new Map([initial, ...bodies].map((body) => [md5Hex(body), body.length]));
    const before = new Set((await nodeChunkFiles(cluster)).map((f) => f.split('.')[0]));

    let writing = true;
    const seen: string[] = [];
    const bad: string[] = [];
    const reader = (async () => {
      while (writing) {
        const r = await s3.get(b, key);
        const md5 = md5Hex(r.body);
        if (r.status !== 200 || !known.has(md5) || unquote(r.headers.etag) !== md5) {
          bad.push(`status ${r.status}, ${r.body.length} bytes, md5 ${md5}, ETag ${String(r.headers.etag)}: ${r.status === 200 ? '' : r.text.slice(0, 300)}`);
        } else seen.push(md5);
      }
    })();
    const puts = await Promise.all(bodies.map((body) => s3.put(b, key, body)));
    writing = false;
    await reader;
    for (const [i, r] of puts.entries()) {
      expectOk(r);
      expect(unquote(r.headers.etag)).toBe(md5Hex(bodies[i]!));
    }
    expect(bad).toEqual([]);
    expect(seen.length).toBeGreaterThan(0);

    const final = await s3.get(b, key);
    expectOk(final);
    const winner = md5Hex(final.body);
    expect(bodies.map(md5Hex)).toContain(winner);
    expect(unquote(final.headers.etag)).toBe(winner);

    // One file for the bucket, with its six chunks; the nodes hold that file's chunks and nothing of
    // the seven losers or the initial object, once the deletions are done.
    const file = await s3.objectFile(b, key);
    const rows = await cluster.db.pool.query<{ id: string; status: string; chunks: number }>(
      `SELECT f.id, f.status, (SELECT count(*)::int FROM chunks c WHERE c.file_id = f.id) AS chunks
       FROM files f JOIN buckets x ON x.id = f.bucket_id WHERE x.name = $1`,
      [b],
    );
    expect(rows.rows).toEqual([{ id: file.id, status: 'completed', chunks: 6 }]);
    const settled = await pollUntil(
      async () => {
        const onNodes = await nodeChunkFiles(cluster);
        const queued = Number((await cluster.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM chunk_deletions')).rows[0]!.n);
        const added = [...new Set(onNodes.map((f) => f.split('.')[0]!))].filter((id) => !before.has(id)).sort();
        return { queued, added, initialLeft: onNodes.filter((f) => f.startsWith(initialFile)), winnerChunks: onNodes.filter((f) => f.startsWith(file.id)).length };
      },
      (s) => s.queued === 0 && s.added.length === 1 && s.initialLeft.length === 0,
      20_000,
      200,
    );
    expect(settled).toEqual({ queued: 0, added: [file.id], initialLeft: [], winnerChunks: 6 });
  });

  // A read under way keeps what it needs: the object's chunk rows (all parts') are read at its start,
  // and the replaced object's chunks stay on the nodes for DELETE_GRACE_MS, then the janitor deletes them.
  test('a GET in progress during an overwrite gets the whole old object, single-part or multipart; the old chunks go after the grace', async () => {
    const b = await s3.bucket('slowread');
    for (const kind of ['single', 'multipart']) {
      const key = `${kind}-object`;
      const old = randomBytes(24 * MiB + 5);
      if (kind === 'single') expectOk(await s3.put(b, key, old));
      else {
        const id = await s3.createUpload(b, key);
        const e1 = await s3.part(b, key, id, 1, old.subarray(0, 20 * MiB));
        const e2 = await s3.part(b, key, id, 2, old.subarray(20 * MiB));
        expectOk(await s3.complete(b, key, id, [{ n: 1, etag: e1 }, { n: 2, etag: e2 }]));
      }
      const oldFile = (await s3.objectFile(b, key)).id;
      // A reader that takes the first bytes, then stops reading while the key is overwritten.
      const { res, readRest } = await pausedGet(await getSignedUrl(s3.sdk, new GetObjectCommand({ Bucket: b, Key: key })));
      expect(res.statusCode).toBe(200);
      expectOk(await s3.put(b, key, 'the new object'));
      expect((await s3.get(b, key)).text).toBe('the new object');
      const got = await readRest();
      expect({ kind, error: got.error, length: got.body.length, same: got.body.equals(old) }).toEqual({ kind, error: null, length: old.length, same: true });
      const drained = await pollUntil(
        async () => (await nodeChunkFiles(cluster)).filter((f) => f.startsWith(oldFile)).length,
        (n) => n === 0,
        20_000,
        100,
      );
      expect(drained, 'chunks of the replaced object left on the nodes after the grace').toBe(0);
    }
  });

  test('CopyObject: COPY keeps type and metadata, REPLACE takes the new ones, onto itself needs REPLACE; UploadPartCopy with ranges', async () => {
    const b = await s3.bucket('copy');
    const body = randomBytes(9 * MiB + 123);
    expectOk(await s3.put(b, 'src', body, { 'content-type': 'text/x-source', 'x-amz-meta-color': 'blue', 'cache-control': 'no-store' }));

    expectOk(await s3.raw.send({ method: 'PUT', path: `/${b}/copied`, headers: { 'x-amz-copy-source': `/${b}/src`, 'content-type': 'ignored/type' } }));
    const copied = await s3.raw.send({ method: 'HEAD', path: `/${b}/copied` });
    expect([copied.headers['content-type'], copied.headers['x-amz-meta-color'], copied.headers['cache-control']]).toEqual(['text/x-source', 'blue', 'no-store']);
    expect(unquote(copied.headers.etag)).toBe(md5Hex(body));

    const replaced = await s3.raw.send({
      method: 'PUT',
      path: `/${b}/replaced`,
      headers: { 'x-amz-copy-source': `/${b}/src`, 'x-amz-metadata-directive': 'REPLACE', 'content-type': 'application/x-new', 'x-amz-meta-shape': 'round' },
    });
    expectOk(replaced);
    expect(unquote(xmlValue(replaced.text, 'ETag')!.replace(/&quot;/g, '"'))).toBe(md5Hex(body));
    const head = await s3.raw.send({ method: 'HEAD', path: `/${b}/replaced` });
    expect([head.headers['content-type'], head.headers['x-amz-meta-shape'], head.headers['x-amz-meta-color'], head.headers['cache-control']]).toEqual([
      'application/x-new',
      'round',
      undefined,
      undefined,
    ]);
    expect(md5Hex((await s3.get(b, 'replaced')).body)).toBe(md5Hex(body));

    expectS3Error(await s3.raw.send({ method: 'PUT', path: `/${b}/src`, headers: { 'x-amz-copy-source': `/${b}/src` } }), 400, 'InvalidRequest');
    expectOk(
      await s3.raw.send({
        method: 'PUT',
        path: `/${b}/src`,
        headers: { 'x-amz-copy-source': `/${b}/src`, 'x-amz-metadata-directive': 'REPLACE', 'content-type': 'text/x-renamed' },
      }),
    );
    const self = await s3.raw.send({ method: 'HEAD', path: `/${b}/src` });
    expect([self.headers['content-type'], unquote(self.headers.etag)]).toEqual(['text/x-renamed', md5Hex(body)]);

    // An object made of two ranges of the source: the last 6 MiB, then 1 MiB + 33 bytes from byte 1000.
    const ranges: [number, number][] = [
      [body.length - 6 * MiB, body.length - 1],
      [1000, 1000 + MiB + 32],
    ];
    const { UploadId } = await s3.sdk.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'ranged' }));
    const parts = [];
    for (const [i, [first, last]] of ranges.entries()) {
      const r = await s3.sdk.send(
        new UploadPartCopyCommand({ Bucket: b, Key: 'ranged', UploadId, PartNumber: i + 1, CopySource: `${b}/src`, CopySourceRange: `bytes=${first}-${last}` }),
      );
      expect(unquote(r.CopyPartResult?.ETag)).toBe(md5Hex(body.subarray(first, last + 1)));
      parts.push({ PartNumber: i + 1, ETag: r.CopyPartResult!.ETag! });
    }
    const done = await s3.sdk.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'ranged', UploadId, MultipartUpload: { Parts: parts } }));
    const expected = Buffer.concat(ranges.map(([first, last]) => body.subarray(first, last + 1)));
    expect(unquote(done.ETag)).toBe(multipartEtag(ranges.map(([first, last]) => md5Hex(body.subarray(first, last + 1)))));
    const got = await s3.get(b, 'ranged');
    expect(got.body.length).toBe(expected.length);
    expect(md5Hex(got.body)).toBe(md5Hex(expected));
    // A range across the two parts, too.
    const cross = await s3.get(b, 'ranged', { range: `bytes=${6 * MiB - 10}-${6 * MiB + 9}` });
    expect(cross.status).toBe(206);
    expect(cross.body.equals(expected.subarray(6 * MiB - 10, 6 * MiB + 10))).toBe(true);

    // A part copied from a multipart object, across its part boundary, and from a single-part one.
    const { UploadId: again } = await s3.sdk.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'from-multipart' }));
    const [first, last] = [MiB, 7 * MiB]; // 5 MiB before the boundary at 6 MiB, 1 MiB + 1 after
    const pastEnd = s3.sdk.send(
      new UploadPartCopyCommand({ Bucket: b, Key: 'from-multipart', UploadId: again, PartNumber: 1, CopySource: `${b}/ranged`, CopySourceRange: `bytes=${first}-${expected.length}` }),
    );
    expect(await sdkError(pastEnd)).toEqual({ name: 'InvalidArgument', status: 400 }); // the source has expected.length bytes
    const c1 = await s3.sdk.send(
      new UploadPartCopyCommand({ Bucket: b, Key: 'from-multipart', UploadId: again, PartNumber: 1, CopySource: `${b}/ranged`, CopySourceRange: `bytes=${first}-${last}` }),
    );
    const c2 = await s3.sdk.send(new UploadPartCopyCommand({ Bucket: b, Key: 'from-multipart', UploadId: again, PartNumber: 2, CopySource: `${b}/src` }));
    await s3.sdk.send(
      new CompleteMultipartUploadCommand({
        Bucket: b,
        Key: 'from-multipart',
        UploadId: again,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: c1.CopyPartResult!.ETag! }, { PartNumber: 2, ETag: c2.CopyPartResult!.ETag! }] },
      }),
    );
    const combined = Buffer.concat([expected.subarray(first, last + 1), body]);
    const back = await s3.get(b, 'from-multipart');
    expect(back.body.length).toBe(combined.length);
    expect(md5Hex(back.body)).toBe(md5Hex(combined));
  });

  test('metadata: Content-Type, -Disposition, Cache-Control, Content-Encoding and x-amz-meta-* on GET and HEAD; response-content-type on a presigned GET', async () => {
    const b = await s3.bucket('meta');
    const headers = {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="report.csv"',
      'cache-control': 'max-age=60, private',
      'content-encoding': 'gzip',
      'x-amz-meta-color': 'blue',
      'x-amz-meta-owner-name': 'Test User',
    };
    const body = randomBytes(3000);
    expectOk(await s3.put(b, 'report.csv', body, headers));
    for (const method of ['GET', 'HEAD']) {
      const r = await s3.raw.send({ method, path: `/${b}/report.csv` });
      expectOk(r);
      for (const [name, value] of Object.entries(headers)) expect(r.headers[name], `${method} ${name}`).toBe(value);
      expect(r.headers['content-length']).toBe('3000');
      if (method === 'GET') expect(r.body.equals(body)).toBe(true);
    }
    const url = await getSignedUrl(
      s3.sdk,
      new GetObjectCommand({ Bucket: b, Key: 'report.csv', ResponseContentType: 'application/x-override', ResponseContentDisposition: 'inline' }),
      { expiresIn: 300 },
    );
    const presigned = await plainGet(url);
    expect(presigned.status).toBe(200);
    expect(presigned.headers['content-type']).toBe('application/x-override');
    expect(presigned.headers['content-disposition']).toBe('inline');
    expect(presigned.headers['x-amz-meta-color']).toBe('blue');
    expect(presigned.body.equals(body)).toBe(true);

    // A multipart object keeps what CreateMultipartUpload was given; partNumber reads one part.
    const id = await s3.createUpload(b, 'multi.txt', { 'content-type': 'text/plain', 'x-amz-meta-kind': 'parts', 'content-language': 'de' });
    const bodies = [randomBytes(5 * MiB), randomBytes(1234)];
    const etags = [await s3.part(b, 'multi.txt', id, 1, bodies[0]!), await s3.part(b, 'multi.txt', id, 2, bodies[1]!)];
    expectOk(await s3.complete(b, 'multi.txt', id, etags.map((etag, i) => ({ n: i + 1, etag }))));
    const multiHead = await s3.raw.send({ method: 'HEAD', path: `/${b}/multi.txt` });
    expectOk(multiHead);
    expect([multiHead.headers['content-type'], multiHead.headers['x-amz-meta-kind'], multiHead.headers['content-language']]).toEqual(['text/plain', 'parts', 'de']);
    expect(multiHead.headers['content-length']).toBe(String(5 * MiB + 1234));
    expect(unquote(multiHead.headers.etag)).toBe(multipartEtag(etags));
    const second = await s3.raw.send({ method: 'GET', path: `/${b}/multi.txt`, query: { partNumber: '2' } });
    expect(second.status).toBe(206);
    expect(second.headers['content-range']).toBe(`bytes ${5 * MiB}-${5 * MiB + 1233}/${5 * MiB + 1234}`);
    expect(second.headers['x-amz-mp-parts-count']).toBe('2');
    expect(second.body.equals(bodies[1]!)).toBe(true);
    expectS3Error(await s3.raw.send({ method: 'GET', path: `/${b}/multi.txt`, query: { partNumber: '3' } }), 416, 'InvalidPartNumber');

    // An empty object: no bytes, the MD5 of nothing, and no range in it.
    expectOk(await s3.put(b, 'empty', Buffer.alloc(0), { 'x-amz-meta-empty': 'yes' }));
    const empty = await s3.get(b, 'empty');
    expectOk(empty);
    expect([empty.body.length, empty.headers['content-length'], unquote(empty.headers.etag), empty.headers['x-amz-meta-empty']]).toEqual([0, '0', md5Hex(''), 'yes']);
    const emptyRange = await s3.get(b, 'empty', { range: 'bytes=0-0' });
    expectS3Error(emptyRange, 416, 'InvalidRange');
    expect(emptyRange.headers['content-range']).toBe('bytes */0');
  });

  test('CORS: preflight allowed for the configured origin and method, 403 for another; GET carries the header; Get/DeleteBucketCors', async () => {
    const b = await s3.bucket('cors');
    expectOk(await s3.put(b, 'page', 'hello'));
    await s3.sdk.send(
      new PutBucketCorsCommand({
        Bucket: b,
        CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['http://app.example'], AllowedMethods: ['PUT', 'GET'], AllowedHeaders: ['*'], MaxAgeSeconds: 600 }] },
      }),
    );
    const preflight = (origin: string, method: string) =>
      s3.raw.send({ method: 'OPTIONS', path: `/${b}/page`, key: null, headers: { origin, 'access-control-request-method': method } });
    const allowed = await preflight('http://app.example', 'PUT');
    expectOk(allowed);
    expect(allowed.headers['access-control-allow-origin']).toBe('http://app.example');
    expect(allowed.headers['access-control-allow-methods']).toContain('PUT');
    expect(allowed.headers['access-control-max-age']).toBe('600');
    expectS3Error(await preflight('http://evil.example', 'PUT'), 403, 'AccessForbidden');
    expectS3Error(await preflight('http://app.example', 'DELETE'), 403, 'AccessForbidden');

    const get = await s3.raw.send({ method: 'GET', path: `/${b}/page`, headers: { origin: 'http://app.example' } });
    expectOk(get);
    expect(get.headers['access-control-allow-origin']).toBe('http://app.example');
    const missingWithOrigin = await s3.raw.send({ method: 'GET', path: `/${b}/missing`, headers: { origin: 'http://app.example' } });
    expectS3Error(missingWithOrigin, 404, 'NoSuchKey');
    expect(missingWithOrigin.headers['access-control-allow-origin']).toBe('http://app.example');
    const other = await s3.raw.send({ method: 'GET', path: `/${b}/page`, headers: { origin: 'http://evil.example' } });
    expectOk(other);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();

    const rules = await s3.sdk.send(new GetBucketCorsCommand({ Bucket: b }));
    expect(rules.CORSRules).toEqual([{ AllowedOrigins: ['http://app.example'], AllowedMethods: ['PUT', 'GET'], AllowedHeaders: ['*'], MaxAgeSeconds: 600 }]);
    await s3.sdk.send(new DeleteBucketCorsCommand({ Bucket: b }));
    expect(await sdkError(s3.sdk.send(new GetBucketCorsCommand({ Bucket: b })))).toEqual({ name: 'NoSuchCORSConfiguration', status: 404 });
    expectS3Error(await preflight('http://app.example', 'PUT'), 403, 'AccessForbidden');
  });

  test('GetBucketLocation, GetBucketVersioning without Status, ListMultipartUploads before and after abort, ListParts paged by one', async () => {
    const b = await s3.bucket('listing');
    const location = await s3.raw.send({ method: 'GET', path: `/${b}`, query: { location: '' } });
    expectOk(location);
    expect(location.text).toMatch(/<LocationConstraint[^>]*(\/>|><\/LocationConstraint>)/); // us-east-1: empty
    const versioning = await s3.raw.send({ method: 'GET', path: `/${b}`, query: { versioning: '' } });
    expectOk(versioning);
    expect(versioning.text).toContain('<VersioningConfiguration');
    expect(versioning.text).not.toContain('<Status>');

    const id = await s3.createUpload(b, 'open/upload');
    const etags = [];
    for (let n = 1; n <= 3; n++) etags.push(await s3.part(b, 'open/upload', id, n, randomBytes(1000 * n)));
    const uploads = await s3.raw.send({ method: 'GET', path: `/${b}`, query: { uploads: '' } });
    expectOk(uploads);
    expect(xmlValues(uploads.text, 'UploadId')).toEqual([id]);
    expect(xmlValues(uploads.text, 'Key')).toEqual(['open/upload']);

    const pages: { parts: string[]; truncated: string | undefined; next: string | undefined }[] = [];
    let marker = '0';
    for (let i = 0; i < 5; i++) {
      const r = await s3.raw.send({ method: 'GET', path: `/${b}/open/upload`, query: { uploadId: id, 'max-parts': '1', 'part-number-marker': marker } });
      expectOk(r);
      const page = { parts: xmlValues(r.text, 'PartNumber'), truncated: xmlValue(r.text, 'IsTruncated'), next: xmlValue(r.text, 'NextPartNumberMarker') };
      expect(xmlValues(r.text, 'ETag').map((e) => unquote(e.replace(/&quot;/g, '"')))).toEqual([etags[pages.length]]);
      expect(xmlValue(r.text, 'Size')).toBe(String(1000 * (pages.length + 1)));
      pages.push(page);
      if (page.truncated !== 'true') break;
      marker = page.next!;
    }
    expect(pages).toEqual([
      { parts: ['1'], truncated: 'true', next: '1' },
      { parts: ['2'], truncated: 'true', next: '2' },
      { parts: ['3'], truncated: 'false', next: undefined },
    ]);

    expectOk(await s3.raw.send({ method: 'DELETE', path: `/${b}/open/upload`, query: { uploadId: id } }), 204);
    const after = await s3.raw.send({ method: 'GET', path: `/${b}`, query: { uploads: '' } });
    expectOk(after);
    expect(xmlValues(after.text, 'UploadId')).toEqual([]);

    // Paged by one: two uploads of one key (oldest first), then another key; the markers carry on.
    const expected = [
      { key: 'a', id: await s3.createUpload(b, 'a') },
      { key: 'a', id: await s3.createUpload(b, 'a') },
      { key: 'b', id: await s3.createUpload(b, 'b') },
    ];
    const seen: { key: string; id: string }[] = [];
    let markers: Record<string, string> = {};
    for (let i = 0; i < 5; i++) {
      const r = await s3.raw.send({ method: 'GET', path: `/${b}`, query: { uploads: '', 'max-uploads': '1', ...markers } });
      expectOk(r);
      const keys = xmlValues(r.text, 'Key');
      const ids = xmlValues(r.text, 'UploadId');
      expect(keys).toHaveLength(1);
      seen.push({ key: keys[0]!, id: ids[0]! });
      if (xmlValue(r.text, 'IsTruncated') !== 'true') break;
      markers = { 'key-marker': xmlValue(r.text, 'NextKeyMarker')!, 'upload-id-marker': xmlValue(r.text, 'NextUploadIdMarker')! };
    }
    expect(seen).toEqual(expected);
  });

  test('/files keeps working beside S3: upload and list show only /files uploads, S3 does not see their bucket', async () => {
    const b = await s3.bucket('beside');
    expectOk(await s3.put(b, 'an-object', randomBytes(10_000)));
    const objectId = (await s3.objectFile(b, 'an-object')).id;

    const data = randomBytes(200_000);
    const form = new FormData();
    form.append('file', new Blob([data]), 'plain.bin');
    const posted = await fetch(`${cluster.gatewayUrl}/files`, { method: 'POST', body: form, signal: AbortSignal.timeout(30_000) });
    expect(posted.status).toBe(201);
    const file = (await posted.json()) as { file_id: string; size: number };
    expect(file.size).toBe(data.length);
    const back = await fetch(`${cluster.gatewayUrl}/files/${file.file_id}`);
    expect(Buffer.from(await back.arrayBuffer()).equals(data)).toBe(true);

    const page = await api(`${cluster.gatewayUrl}/files?page=1&per_page=100`);
    expect(page.status, page.text).toBe(200);
    expect({ total: page.json.total, ids: page.json.files.map((f: { file_id: string }) => f.file_id) }).toEqual({ total: 1, ids: [file.file_id] });
    const keyset = await api(`${cluster.gatewayUrl}/files?limit=100`);
    expect(keyset.json.files.map((f: { file_id: string }) => f.file_id)).toEqual([file.file_id]);
    // An S3 object is not a /files file, even by its id.
    expect((await api(`${cluster.gatewayUrl}/files/${objectId}/metadata`)).status).toBe(404);

    const buckets = await s3.sdk.send(new ListBucketsCommand({}));
    const names = (buckets.Buckets ?? []).map((x) => x.Name);
    expect(names).toContain(b);
    expect(names).not.toContain('.files');
    expect((await s3.raw.send({ method: 'GET', path: '/.files' })).status).toBe(404);
  });
});

describe('erasure coding of objects, through two killed nodes', () => {
  let cluster: TestCluster;
  let s3: S3Session;

  beforeAll(async () => {
    cluster = await startTestCluster({ gatewayEnv: rootEnv });
    s3 = new S3Session(cluster);
  });

  afterAll(async () => {
    s3?.dispose();
    await cluster?.destroy();
  });

  /** Chunk number → node address of a file's chunks. */
  async function placement(fileId: string): Promise<{ chunk_number: number; address: string }[]> {
    const r = await cluster.db.pool.query<{ chunk_number: number; address: string }>(
      `SELECT c.chunk_number, n.address FROM chunks c JOIN storage_nodes n ON n.id = c.node_id WHERE c.file_id = $1 ORDER BY c.chunk_number`,
      [fileId],
    );
    return r.rows;
  }

  test('a 10 MiB object and a multipart object have k+m = 6 chunks on 6 nodes each, and read back bit-exact with two nodes killed', async () => {
    const b = await s3.bucket('ec');
    const single = randomBytes(10 * MiB);
    expectOk(await s3.put(b, 'single', single));
    const singleFile = await s3.objectFile(b, 'single');
    const singleChunks = await placement(singleFile.id);
    expect(singleChunks.map((c) => c.chunk_number)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(singleChunks.map((c) => c.address)).size).toBe(6);

    const partBodies = [randomBytes(5 * MiB + 4321), randomBytes(4 * MiB + 999)];
    const id = await s3.createUpload(b, 'multi');
    const etags = [];
    for (const [i, body] of partBodies.entries()) etags.push(await s3.part(b, 'multi', id, i + 1, body));
    expectOk(await s3.complete(b, 'multi', id, etags.map((etag, i) => ({ n: i + 1, etag }))));
    const multi = Buffer.concat(partBodies);
    const multiFile = await s3.objectFile(b, 'multi');
    expect(multiFile.part_count).toBe(2);
    const parts = await cluster.db.pool.query<{ id: string }>('SELECT id FROM files WHERE parent_id = $1 ORDER BY part_number', [multiFile.id]);
    expect(parts.rows).toHaveLength(2);
    for (const part of parts.rows) {
      const chunks = await placement(part.id);
      expect(chunks.map((c) => c.chunk_number)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(new Set(chunks.map((c) => c.address)).size).toBe(6);
    }

    // Kill the nodes of two data chunks of the single object: its reads must decode from parity.
    const victims = [0, 2].map((n) => cluster.nodes.findIndex((node) => node.address === singleChunks[n]!.address));
    expect(victims.every((i) => i >= 0)).toBe(true);
    for (const i of victims) await killHard(cluster.nodes[i]!.child);

    const full = await s3.get(b, 'single');
    expectOk(full);
    expect(full.body.equals(single)).toBe(true);
    const stripe = 4 * MiB; // 4 data units of 1 MiB
    const [from, to] = [stripe - 1000, stripe + 1000];
    const ranged = await s3.get(b, 'single', { range: `bytes=${from}-${to}` });
    expect(ranged.status).toBe(206);
    expect(ranged.body.equals(single.subarray(from, to + 1))).toBe(true);

    const multiBack = await s3.get(b, 'multi');
    expectOk(multiBack);
    expect(multiBack.body.equals(multi)).toBe(true);
    const boundary = partBodies[0]!.length;
    const across = await s3.get(b, 'multi', { range: `bytes=${boundary - 3000}-${boundary + 3000}` });
    expect(across.status).toBe(206);
    expect(across.body.equals(multi.subarray(boundary - 3000, boundary + 3001))).toBe(true);
  });
});

describe('the janitor and stale multipart uploads', () => {
  let cluster: TestCluster;
  let s3: S3Session;

  beforeAll(async () => {
    cluster = await startTestCluster({ gatewayEnv: { ...rootEnv, MULTIPART_TTL_MS: '2000', JANITOR_INTERVAL_MS: '500' } });
    s3 = new S3Session(cluster);
  });

  afterAll(async () => {
    s3?.dispose();
    await cluster?.destroy();
  });

  test('an upload left open past MULTIPART_TTL_MS is aborted: NoSuchUpload, and its part is deleted from the nodes', async () => {
    const b = await s3.bucket('stale');
    const id = await s3.createUpload(b, 'forgotten');
    await s3.part(b, 'forgotten', id, 1, randomBytes(300_000));
    const chunks = await cluster.db.pool.query<{ chunk_id: string; address: string }>(
      `SELECT c.chunk_id, n.address FROM chunks c JOIN files f ON f.id = c.file_id JOIN storage_nodes n ON n.id = c.node_id WHERE f.upload_id = $1`,
      [id],
    );
    expect(chunks.rows.length).toBe(3); // one data unit and two parity units
    const paths = chunks.rows.map((c) => chunkPath(nodeDir(cluster, cluster.nodes.findIndex((n) => n.address === c.address)), c.chunk_id));
    const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
    expect(await Promise.all(paths.map(exists))).toEqual([true, true, true]);

    const state = await pollUntil(
      async () => {
        const parts = await s3.raw.send({ method: 'GET', path: `/${b}/forgotten`, query: { uploadId: id } });
        return { code: xmlValue(parts.text, 'Code') ?? String(parts.status), onNodes: (await Promise.all(paths.map(exists))).filter(Boolean).length };
      },
      (s) => s.code === 'NoSuchUpload' && s.onNodes === 0,
      15_000,
      200,
    );
    expect(state).toEqual({ code: 'NoSuchUpload', onNodes: 0 });
    expectS3Error(await s3.uploadPart(b, 'forgotten', id, 2, randomBytes(1000)), 404, 'NoSuchUpload');
    const left = await cluster.db.pool.query('SELECT id FROM files WHERE bucket_id = (SELECT id FROM buckets WHERE name = $1)', [b]);
    expect(left.rows).toEqual([]);
  });
});
