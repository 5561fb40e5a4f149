// What follows a whole request on its connection (found by the REST fuzz suite with 4,000 cases):
// - bytes that Node's parser refuses (a client that sent more than its Content-Length) were
//   answered 400 at once, before the answer to the whole request, so a client whose upload was
//   stored read a 400 (seed 0xb12079a6). Now the whole request's answer comes first, then the
//   connection closes.
// - a client that ends its side of the connection once its request is sent (TCP half-close) lost
//   its answer: Node aborted the request being answered, though it was whole and carried out (an
//   upload stored, its 201 never sent; seed 0x5f03f54d). Now it gets its answer, then the close.
// On REST and S3 alike.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { RawConnection } from './helpers/raw-connection.js';
import { multipartFraming } from './helpers/raw-upload.js';
import { RawS3 } from './helpers/s3-raw-request.js';
import type { S3Credentials } from './helpers/s3-clients.js';

const ROOT: S3Credentials = { accessKeyId: 'AKIAPIPELININGTEST01', secretAccessKey: randomBytes(30).toString('base64') };
const JUNK = 'NOT HTTP AT ALL\r\n\r\n';

let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster({ gatewayEnv: { AUTH: 'off', S3_ROOT_ACCESS_KEY: ROOT.accessKeyId, S3_ROOT_SECRET_KEY: ROOT.secretAccessKey }, nodeEnv: { AUTH: 'off' } });
});

afterAll(async () => {
  await c?.destroy();
});

/** Sends `bytes` at once (then ends the client's side if `halfClose`); the first answer, and whether the connection then closed. */
async function exchange(port: number, bytes: Buffer | string, halfClose = false): Promise<{ status: number; body: string; closed: boolean }> {
  const conn = await RawConnection.open(port);
  try {
    await conn.send(bytes);
    if (halfClose) conn.socket.end();
    const answer = await conn.answer(10_000);
    return { status: answer.status, body: answer.body, closed: (await conn.closedWithin(5_000)) !== null };
  } finally {
    conn.destroy();
  }
}

test('REST: an upload followed by bytes that are not HTTP gets its 201 first, and the file is stored; then the connection closes', async () => {
  const { boundary, head, tail } = multipartFraming('first.bin', 'application/octet-stream');
  const body = Buffer.concat([head, randomBytes(50_000), tail]);
  const request = Buffer.concat([
    Buffer.from(`POST /files HTTP/1.1\r\nHost: g\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`),
    body,
    Buffer.from(JUNK),
  ]);
  const r = await exchange(Number(new URL(c.gatewayUrl).port), request);
  expect(r.status, r.body).toBe(201);
  expect(r.closed, 'closed after the answer').toBe(true);
  const id = JSON.parse(r.body).file_id as string;
  expect((await fetch(`${c.gatewayUrl}/files/${id}/metadata`)).status).toBe(200);
});

test('REST: bytes that are not HTTP on their own are still a 400 at once', async () => {
  const r = await exchange(Number(new URL(c.gatewayUrl).port), JUNK);
  expect(r.status).toBe(400);
  expect(JSON.parse(r.body).code).toBe('InvalidRequest');
});

test('S3: a PutObject followed by bytes that are not HTTP gets its 200 first, and the object is stored', async () => {
  const s3 = new RawS3(c.s3Url, ROOT);
  expect((await s3.send({ method: 'PUT', path: '/pipelined' })).status).toBe(200);
  const head = await s3.signedHead('PUT', '/pipelined/obj', 1_000);
  const r = await exchange(Number(new URL(c.s3Url).port), Buffer.concat([Buffer.from(head), randomBytes(1_000), Buffer.from(JUNK)]));
  expect(r.status, r.body).toBe(200);
  expect(r.closed, 'closed after the answer').toBe(true);
  expect((await s3.send({ method: 'HEAD', path: '/pipelined/obj' })).status).toBe(200);
});

test('REST: a client that half-closes once its whole upload is sent gets its 201, and the file is stored', async () => {
  const { boundary, head, tail } = multipartFraming('half.bin', 'application/octet-stream');
  const body = Buffer.concat([head, randomBytes(300_000), tail]);
  const request = Buffer.concat([Buffer.from(`POST /files HTTP/1.1\r\nHost: g\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  const r = await exchange(Number(new URL(c.gatewayUrl).port), request, true);
  expect(r.status, r.body).toBe(201);
  expect(r.closed, 'closed after the answer').toBe(true);
  expect((await fetch(`${c.gatewayUrl}/files/${JSON.parse(r.body).file_id}/metadata`)).status).toBe(200);
});

test('REST: a client that half-closes half way through its body is still refused, and nothing is stored', async () => {
  const { boundary, head } = multipartFraming('cut.bin', 'application/octet-stream');
  const before = await c.db.pool.query('SELECT count(*) AS n FROM files');
  const request = Buffer.concat([Buffer.from(`POST /files HTTP/1.1\r\nHost: g\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 1000000\r\n\r\n`), head, randomBytes(300_000)]);
  const r = await exchange(Number(new URL(c.gatewayUrl).port), request, true);
  expect(r.status).toBe(400);
  await new Promise((res) => setTimeout(res, 3_000)); // the upload's own cleanup
  expect((await c.db.pool.query('SELECT count(*) AS n FROM files')).rows).toEqual(before.rows);
});

test('S3: a client that half-closes once its whole PutObject is sent gets its 200', async () => {
  const s3 = new RawS3(c.s3Url, ROOT);
  expect((await s3.send({ method: 'PUT', path: '/half-closed' })).status).toBe(200);
  const head = await s3.signedHead('PUT', '/half-closed/obj', 100_000);
  const r = await exchange(Number(new URL(c.s3Url).port), Buffer.concat([Buffer.from(head), randomBytes(100_000)]), true);
  expect(r.status, r.body).toBe(200);
  expect((await s3.send({ method: 'HEAD', path: '/half-closed/obj' })).status).toBe(200);
});
