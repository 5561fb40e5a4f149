// A /files upload becomes visible only once its whole request has been read and found right (found
// by the REST fuzz suite): a file part that ended long before the request failed (a client gone
// before the bytes its Content-Length announced, a second file sent later) used to be committed
// when its part ended, so the file stayed stored and listed while the client got an error or
// nothing. Each case here waits after the file part, so the commit would have happened by then.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { fileIdsOnNodes } from './helpers/node-chunk-files.js';
import { RawConnection } from './helpers/raw-connection.js';
import { multipartFraming, pollUntil, tableCounts } from './helpers/raw-upload.js';

let c: TestCluster;
const port = (): number => Number(new URL(c.gatewayUrl).port);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  c = await startTestCluster({ gatewayEnv: { AUTH: 'off' }, nodeEnv: { AUTH: 'off' } });
});

afterAll(async () => {
  await c?.destroy();
});

/** Waits until the files table and the nodes hold what they held before (cleanups end after the answer). */
async function expectNothingStored(before: { files: number; chunks: number }, idsBefore: Set<string>, what: string): Promise<void> {
  const counts = await pollUntil(() => tableCounts(c.db.pool), (n) => n.files === before.files && n.chunks === before.chunks, 10_000);
  expect({ files: counts.files, chunks: counts.chunks }, `${what}: rows`).toEqual({ files: before.files, chunks: before.chunks });
  const ids = await pollUntil(() => fileIdsOnNodes(c), (s) => s.size === idsBefore.size, 10_000);
  expect([...ids].filter((id) => !idsBefore.has(id)), `${what}: chunk files`).toEqual([]);
}

test('a whole form whose Content-Length announced more, the client then gone: refused, no file', async () => {
  const before = await tableCounts(c.db.pool);
  const idsBefore = await fileIdsOnNodes(c);
  const { boundary, head, tail } = multipartFraming('short.bin', 'application/octet-stream');
  const body = Buffer.concat([head, randomBytes(300_000), tail]);
  const conn = await RawConnection.open(port());
  await conn.send(`POST /files HTTP/1.1\r\nHost: g\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length + 1000}\r\n\r\n`);
  await conn.send(body);
  await sleep(1_500); // the file part is over: its chunks are on the nodes by now
  conn.socket.end(); // the 1,000 bytes announced never come
  expect(await conn.closedWithin(5_000), 'the gateway closed the connection').not.toBeNull();
  await expectNothingStored(before, idsBefore, 'body cut after the form');
  expect((await fetch(`${c.gatewayUrl}/files?limit=100`).then((r) => r.json())).files).toEqual([]);
});

test('a second file sent a while after the first: 400, and the first is not stored', async () => {
  const before = await tableCounts(c.db.pool);
  const idsBefore = await fileIdsOnNodes(c);
  const { boundary, head } = multipartFraming('first.bin', 'application/octet-stream');
  const first = Buffer.concat([head, randomBytes(100_000), Buffer.from(`\r\n--${boundary}\r\n`)]);
  const second = Buffer.from(`Content-Disposition: form-data; name="file"; filename="second.bin"\r\n\r\nsecond\r\n--${boundary}--\r\n`);
  const conn = await RawConnection.open(port());
  await conn.send(`POST /files HTTP/1.1\r\nHost: g\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${first.length + second.length}\r\nConnection: close\r\n\r\n`);
  await conn.send(first);
  await sleep(1_500);
  await conn.send(second);
  const answer = await conn.answer(10_000);
  conn.destroy();
  expect(answer.status, answer.body).toBe(400);
  expect(JSON.parse(answer.body).error).toMatch(/only one file/);
  await expectNothingStored(before, idsBefore, 'second file');
});

test('the same form sent whole is stored (the cases above fail for what follows the file, not the file)', async () => {
  const { boundary, head, tail } = multipartFraming('whole.bin', 'application/octet-stream');
  const body = Buffer.concat([head, randomBytes(300_000), tail]);
  const conn = await RawConnection.open(port());
  await conn.send(`POST /files HTTP/1.1\r\nHost: g\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
  await conn.send(body);
  const answer = await conn.answer(10_000);
  conn.destroy();
  expect(answer.status, answer.body).toBe(201);
  expect(JSON.parse(answer.body).size).toBe(300_000);
});
