// Hostile input changes nothing (issue 10): slow and greedy clients against a real gateway process
// and its real nodes. Request heads sent a byte at a time are cut at HEADERS_TIMEOUT_MS while others
// are served; a body that stops is cut at IDLE_TIMEOUT_MS and leaves no row and no chunk; connections
// and uploads beyond MAX_CONNECTIONS and MAX_UPLOADS are answered 503 with Retry-After at once, on
// REST and on S3; oversized heads are 414/431; malformed inputs are 400 JSON; a slow S3 reader holds
// little memory; the processes listen on 127.0.0.1 unless told otherwise. Short timeouts keep it quick.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { request } from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { listeningAddresses } from './helpers/listening-sockets.js';
import { addedFileIds, fileIdsOnNodes } from './helpers/node-chunk-files.js';
import { startStorageNode } from './helpers/processes.js';
import { RawConnection, type RawAnswer } from './helpers/raw-connection.js';
import { captureOutput, MiB, multipartFraming, pollUntil, startGatewayProcess, tableCounts, uploadBuffer } from './helpers/raw-upload.js';
import { RawS3, xmlValue } from './helpers/s3-raw-request.js';
import { s3Client } from './helpers/s3-clients.js';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { peakResidentBytes, residentBytes, resetPeakResident } from './helpers/storage-client.js';
import type { S3Credentials } from './helpers/s3-clients.js';

const HEADERS_TIMEOUT_MS = 1_500;
const IDLE_TIMEOUT_MS = 3_000;
const ROOT_KEY: S3Credentials = { accessKeyId: 'AKIAHOSTILETEST', secretAccessKey: randomBytes(30).toString('base64') };
const rootEnv = { S3_ROOT_ACCESS_KEY: ROOT_KEY.accessKeyId, S3_ROOT_SECRET_KEY: ROOT_KEY.secretAccessKey };

let c: TestCluster;
let pool: pg.Pool;
let s3: RawS3;
let gatewayOutput: () => string;
const restPort = (): number => Number(new URL(c.gatewayUrl).port);
const s3Port = (): number => Number(new URL(c.s3Url).port);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  c = await startTestCluster({ gatewayEnv: { HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS), ...rootEnv } });
  gatewayOutput = captureOutput(c.gateway.child);
  pool = new pg.Pool({ connectionString: c.databaseUrl, max: 2 });
  s3 = new RawS3(c.s3Url, ROOT_KEY);
});

afterAll(async () => {
  await pool?.end();
  await c?.destroy();
});

/** A JSON error answer of the REST API: the status, a JSON body {error, code}, no stack or path. */
function expectJsonError(a: { status: number; headers: Record<string, string>; body: string }, status: number, code: string, what: string): void {
  expect(a.status, `${what}: ${a.body}`).toBe(status);
  expect(a.headers['content-type'], what).toMatch(/^application\/json/);
  const json = JSON.parse(a.body) as { error: unknown; code: unknown };
  expect(Object.keys(json).sort(), what).toEqual(['code', 'error']);
  expect(json.code, `${what}: ${a.body}`).toBe(code);
  expect(typeof json.error, what).toBe('string');
  expect((json.error as string).length, what).toBeLessThan(400);
  expect(a.body, what).not.toMatch(/\n\s+at |node_modules|\/work\/|\/tmp\/|dist\//);
}

/** One request on a connection of its own, sent as given; the answer, then the connection closed. */
async function exchange(port: number, text: string | Buffer): Promise<RawAnswer> {
  const conn = await RawConnection.open(port);
  try {
    await conn.send(text);
    return await conn.answer(10_000);
  } finally {
    conn.destroy();
  }
}

/** What the gateway logged as server failures of requests (REST and S3 log every 5xx so), with the line after. */
function serverErrors(output: string): string[] {
  const lines = output.split('\n');
  return lines.flatMap((l, i) => (/^(gateway|s3): (GET|PUT|POST|DELETE|HEAD) /.test(l) ? [`${l} ${lines[i + 1] ?? ''}`] : []));
}

const get = (path: string, headers = ''): string => `GET ${path} HTTP/1.1\r\nHost: gateway\r\n${headers}Connection: close\r\n\r\n`;

/** GET /health over node:http on a connection of its own: status and milliseconds. */
function health(url: string): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = request(`${url}/health`, { agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Date.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: Date.now() - started }));
    req.end();
  });
}

describe('slow request heads', () => {
  test('200 clients sending their heads a byte a second (reconnecting when cut) are each cut at the header timeout; others are answered meanwhile', async () => {
    const head = `GET /files HTTP/1.1\r\nHost: gateway\r\nUser-Agent: slowloris\r\nAccept: */*\r\n\r\n`;
    const lifetimes: Array<{ port: number; closedAfterMs: number | null; sent: number; answer: RawAnswer | null }> = [];
    const until = Date.now() + 6_000;
    // One attacker: connects, sends a byte a second until the server cuts it, and connects again.
    const attacker = async (port: number): Promise<void> => {
      while (Date.now() < until) {
        const conn = await RawConnection.open(port);
        const drip = setInterval(() => void conn.send(head.slice(conn.sent, conn.sent + 1)), 1_000);
        void conn.send(head[0]!);
        const closedAfterMs = await conn.closedWithin(HEADERS_TIMEOUT_MS + 4_000);
        clearInterval(drip);
        lifetimes.push({ port, closedAfterMs, sent: conn.sent, answer: await conn.answer(0).catch(() => null) });
        conn.destroy();
      }
    };
    const attackers = [...Array.from({ length: 200 }, () => attacker(restPort())), ...Array.from({ length: 20 }, () => attacker(s3Port()))];
    // A normal client, meanwhile, on both ports.
    const served: Array<{ status: number; ms: number }> = [];
    const s3Served: number[] = [];
    while (Date.now() < until) {
      served.push(await health(c.gatewayUrl));
      s3Served.push((await s3.send({ method: 'GET', path: '/', timeoutMs: 5_000 })).status);
      await sleep(200);
    }
    await Promise.all(attackers);
    const cuts = lifetimes.map((l) => l.closedAfterMs ?? Infinity).sort((a, b) => a - b);
    console.log(
      `slowloris: ${lifetimes.length} slow heads, cut after ${cuts[0]}-${cuts[cuts.length - 1]} ms (median ${cuts[cuts.length >> 1]}); ` +
        `${served.length} /health answers meanwhile, slowest ${Math.max(...served.map((s) => s.ms))} ms`,
    );

    expect(served.length).toBeGreaterThan(10);
    expect(served.map((s) => s.status)).toEqual(served.map(() => 200));
    expect(Math.max(...served.map((s) => s.ms)), 'slowest /health while attacked').toBeLessThan(2_000);
    expect(s3Served).toEqual(s3Served.map(() => 200));
    expect(lifetimes.length).toBeGreaterThanOrEqual(440); // every attacker cut at least twice
    for (const l of lifetimes) {
      const what = `a slow head on port ${l.port}: closed after ${l.closedAfterMs} ms, ${l.sent} bytes sent`;
      // Cut by the server, soon after the timeout (Node checks heads every quarter of it), head unfinished.
      expect(l.closedAfterMs, what).not.toBeNull();
      expect(l.closedAfterMs!, what).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
      expect(l.closedAfterMs!, what).toBeLessThan(HEADERS_TIMEOUT_MS + 1_500);
      expect(l.sent, what).toBeLessThan(head.length);
    }
    // The answer before the close: REST 408 JSON, S3 its RequestTimeout document.
    const rest = lifetimes.find((l) => l.port === restPort() && l.answer)!;
    expectJsonError(rest.answer!, 408, 'RequestTimeout', 'slow head on REST');
    const onS3 = lifetimes.find((l) => l.port === s3Port() && l.answer)!;
    expect(onS3.answer!.status).toBe(400);
    expect(xmlValue(onS3.answer!.body, 'Code')).toBe('RequestTimeout');
  });

  test('a connection that sends nothing is closed at the header timeout too', async () => {
    for (const port of [restPort(), s3Port()]) {
      const conn = await RawConnection.open(port);
      const closedAfterMs = await conn.closedWithin(HEADERS_TIMEOUT_MS + 4_000);
      expect(closedAfterMs, `silent connection on ${port}`).not.toBeNull();
      expect(closedAfterMs!).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
      expect(closedAfterMs!).toBeLessThan(HEADERS_TIMEOUT_MS + 1_500);
    }
  });
});

describe('a body that stops half way', () => {
  /** Sends `head` and `sent` bytes of body, then nothing; when the server closes, and when the last byte went. */
  async function stall(port: number, head: string | Buffer, body: Buffer): Promise<{ idleMs: number | null; answer: RawAnswer | null }> {
    const conn = await RawConnection.open(port);
    await conn.send(head);
    await conn.send(body);
    const lastByteAt = Date.now();
    const closed = await conn.closedWithin(IDLE_TIMEOUT_MS + 6_000);
    const answer = await conn.answer(0).catch(() => null);
    conn.destroy();
    return { idleMs: closed === null ? null : Date.now() - lastByteAt, answer };
  }

  async function expectNothingLeft(start: { files: number; chunks: number }, idsBefore: Set<string>, what: string): Promise<void> {
    const before = { files: start.files, chunks: start.chunks };
    const counts = await pollUntil(
      () => tableCounts(pool),
      (n) => n.files === before.files && n.chunks === before.chunks,
      15_000,
    );
    expect({ files: counts.files, chunks: counts.chunks }, `${what}: rows left`).toEqual(before);
    const added = await pollUntil(
      () => addedFileIds(c, idsBefore),
      (ids) => ids.length === 0,
      15_000,
    );
    expect(added, `${what}: chunk files left on the nodes`).toEqual([]);
  }

  test('REST: an upload whose client stops after 6 of 10 MiB is cut after the idle timeout and leaves no row and no chunk', async () => {
    const before = await tableCounts(pool);
    const idsBefore = await fileIdsOnNodes(c);
    const { boundary, head: partHead, tail } = multipartFraming('stalled.bin', 'application/octet-stream');
    const declared = partHead.length + 10 * MiB + tail.length;
    const head = `POST /files HTTP/1.1\r\nHost: gateway\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${declared}\r\n\r\n`;
    // 6 MiB: more than a stripe (4 MiB), so chunks were on their way to the nodes when it stopped.
    const { idleMs } = await stall(restPort(), head, Buffer.concat([partHead, randomBytes(6 * MiB)]));
    expect(idleMs, 'closed by the gateway').not.toBeNull();
    expect(idleMs!).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 100);
    expect(idleMs!).toBeLessThan(IDLE_TIMEOUT_MS + 4_000);
    await expectNothingLeft(before, idsBefore, 'stalled REST upload');
  });

  test('S3: a PutObject whose client stops after 6 of 10 MiB is cut after the idle timeout and leaves no object, row or chunk', async () => {
    const bucket = `stall-${randomBytes(4).toString('hex')}`;
    expect((await s3.send({ method: 'PUT', path: `/${bucket}` })).status).toBe(200);
    const before = await tableCounts(pool);
    const idsBefore = await fileIdsOnNodes(c);
    const head = await s3.signedHead('PUT', `/${bucket}/stalled.bin`, 10 * MiB);
    const { idleMs } = await stall(s3Port(), head, randomBytes(6 * MiB));
    expect(idleMs, 'closed by the gateway').not.toBeNull();
    expect(idleMs!).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 100);
    expect(idleMs!).toBeLessThan(IDLE_TIMEOUT_MS + 4_000);
    await expectNothingLeft(before, idsBefore, 'stalled PutObject');
    expect((await s3.send({ method: 'HEAD', path: `/${bucket}/stalled.bin` })).status).toBe(404);
  });
});

describe('more clients than the limits', () => {
  let tight: Awaited<ReturnType<typeof startGatewayProcess>>;
  let tightRest: number;
  let tightS3: number;
  let tightOutput: () => string;

  beforeAll(async () => {
    tight = await startGatewayProcess({
      databaseUrl: c.databaseUrl,
      nodeAddresses: c.nodes.map((n) => n.address),
      dataDir: c.dataDir,
      env: { MAX_CONNECTIONS: '20', MAX_UPLOADS: '2', ...rootEnv },
    });
    tightOutput = tight.output;
    tightRest = Number(new URL(tight.url).port);
    tightS3 = Number(/S3 API on port (\d+)/.exec(tight.output())![1]);
  });

  afterAll(async () => {
    await tight?.stop();
  });

  /** `n` connections, each served one keep-alive request (so the server counts them), left open. */
  async function holdConnections(port: number, n: number, text: string): Promise<RawConnection[]> {
    return Promise.all(
      Array.from({ length: n }, async () => {
        const conn = await RawConnection.open(port);
        await conn.send(text);
        await conn.answer(5_000);
        return conn;
      }),
    );
  }

  test('MAX_CONNECTIONS=20: twenty connections are served, ten more get 503 with Retry-After at once (REST and S3 each), and a freed slot serves again', async () => {
    const held = await holdConnections(tightRest, 20, 'GET /health HTTP/1.1\r\nHost: gateway\r\n\r\n');
    try {
      // The twenty are still served: another request on each of them.
      for (const conn of held.slice(0, 5)) {
        await conn.send('GET /health HTTP/1.1\r\nHost: gateway\r\n\r\n');
        expect((await conn.answer(5_000)).status).toBe(200);
      }
      const refused = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const conn = await RawConnection.open(tightRest);
          await conn.send('GET /health HTTP/1.1\r\nHost: gateway\r\n\r\n');
          const answer = await conn.answer(5_000);
          return { answer, closedAfterMs: await conn.closedWithin(5_000) };
        }),
      );
      for (const r of refused) {
        expectJsonError(r.answer, 503, 'TooManyConnections', 'connection beyond the limit');
        expect(r.answer.headers['retry-after']).toBe('1');
        expect(r.answer.atMs, 'answered at once').toBeLessThan(1_000);
        expect(r.closedAfterMs, 'and closed').not.toBeNull();
        expect(r.closedAfterMs!).toBeLessThan(3_000);
      }
      // The S3 port has a bound of its own: it still serves while REST is full.
      expect((await new RawS3(`http://127.0.0.1:${tightS3}`, ROOT_KEY).send({ method: 'GET', path: '/' })).status).toBe(200);
      // One held connection closes: its slot serves a new client.
      held.pop()!.destroy();
      await sleep(200);
      expect((await exchange(tightRest, get('/health'))).status).toBe(200);
    } finally {
      held.forEach((h) => h.destroy());
    }

    const s3Held = await holdConnections(tightS3, 20, 'GET / HTTP/1.1\r\nHost: s3\r\n\r\n'); // 403s, connections kept
    try {
      const answer = await exchange(tightS3, 'GET / HTTP/1.1\r\nHost: s3\r\n\r\n');
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('1');
      expect(answer.headers['content-type']).toBe('application/xml');
      expect(xmlValue(answer.body, 'Code')).toBe('ServiceUnavailable');
      expect(answer.atMs).toBeLessThan(1_000);
      expect((await exchange(tightRest, get('/health'))).status).toBe(200);
    } finally {
      s3Held.forEach((h) => h.destroy());
    }
  });

  test('MAX_UPLOADS=2: with two uploads in flight a third (REST POST, S3 PutObject, UploadPart, CopyObject) gets 503 with Retry-After before its body is sent; a finished upload frees its slot', async () => {
    await sleep(300); // the connections of the test before are closed
    const tightS3Client = new RawS3(`http://127.0.0.1:${tightS3}`, ROOT_KEY);
    const bucket = `limits-${randomBytes(4).toString('hex')}`;
    expect((await s3.send({ method: 'PUT', path: `/${bucket}` })).status).toBe(200);
    expect((await s3.send({ method: 'PUT', path: `/${bucket}/source`, body: 'copy me' })).status).toBe(200);
    const created = await tightS3Client.send({ method: 'POST', path: `/${bucket}/multi`, query: { uploads: '' } });
    const uploadId = xmlValue(created.text, 'UploadId')!;
    expect(uploadId).toBeTruthy();

    // Two uploads in flight: head and 1 MiB sent of 5 MiB, then waiting.
    const inFlight = await Promise.all(
      [0, 1].map(async () => {
        const { boundary, head: partHead, tail } = multipartFraming('held.bin', 'application/octet-stream');
        const conn = await RawConnection.open(tightRest);
        await conn.send(`POST /files HTTP/1.1\r\nHost: gateway\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${partHead.length + 5 * MiB + tail.length}\r\n\r\n`);
        await conn.send(Buffer.concat([partHead, randomBytes(MiB)]));
        return { conn, rest: Buffer.concat([randomBytes(4 * MiB), tail]) };
      }),
    );
    try {
      const uploading = await pollUntil(
        async () => Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM files WHERE status = 'uploading'`)).rows[0]!.n),
        (n) => n >= 2,
        10_000,
      );
      expect(uploading, 'both uploads under way').toBe(2);

      // REST: the head alone; the answer comes without a byte of the body.
      const { boundary } = multipartFraming('third.bin', 'application/octet-stream');
      const third = await RawConnection.open(tightRest);
      await third.send(`POST /files HTTP/1.1\r\nHost: gateway\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${5 * MiB}\r\n\r\n`);
      const refused = await third.answer(5_000);
      third.destroy();
      expectJsonError(refused, 503, 'TooManyUploads', 'third REST upload');
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.atMs).toBeLessThan(1_000);

      // S3: PutObject and UploadPart heads alone, a CopyObject (no body at all).
      for (const [what, path, query] of [
        ['PutObject', `/${bucket}/third`, {}],
        ['UploadPart', `/${bucket}/multi`, { partNumber: '1', uploadId }],
      ] as const) {
        const conn = await RawConnection.open(tightS3);
        const headers = await tightS3Client.signedHeaders('PUT', path, query, MiB);
        const qs = RawS3.queryString(query);
        await conn.send(`PUT ${path}${qs ? `?${qs}` : ''} HTTP/1.1\r\n${Object.entries(headers).map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`);
        const answer = await conn.answer(5_000);
        conn.destroy();
        expect({ what, status: answer.status, code: xmlValue(answer.body, 'Code') }, answer.body).toEqual({ what, status: 503, code: 'SlowDown' });
        expect(answer.headers['retry-after'], what).toBe('1');
        expect(answer.atMs, what).toBeLessThan(1_000);
      }
      const copy = await tightS3Client.send({ method: 'PUT', path: `/${bucket}/copy`, headers: { 'x-amz-copy-source': `/${bucket}/source` } });
      expect({ status: copy.status, code: xmlValue(copy.text, 'Code') }, copy.text).toEqual({ status: 503, code: 'SlowDown' });
      expect(copy.headers['retry-after']).toBe('1');
      // Reads are not uploads.
      expect((await tightS3Client.send({ method: 'GET', path: `/${bucket}/source` })).text).toBe('copy me');

      // The first upload finishes; its slot takes the next upload.
      await inFlight[0]!.conn.send(inFlight[0]!.rest);
      expect((await inFlight[0]!.conn.answer(30_000)).status).toBe(201);
      const next = await uploadBuffer(tight.url, randomBytes(1000), 'next.bin');
      expect(next.status, next.text).toBe(201);
      await inFlight[1]!.conn.send(inFlight[1]!.rest);
      expect((await inFlight[1]!.conn.answer(30_000)).status).toBe(201);
      // Both slots free again: S3 uploads go through.
      expect((await tightS3Client.send({ method: 'PUT', path: `/${bucket}/third`, body: 'now' })).status).toBe(200);
      expect((await tightS3Client.send({ method: 'PUT', path: `/${bucket}/copy`, headers: { 'x-amz-copy-source': `/${bucket}/source` } })).status).toBe(200);
    } finally {
      inFlight.forEach((u) => u.conn.destroy());
    }
    expect(serverErrors(tightOutput())).toEqual([]);
  });
});

describe('oversized request heads', () => {
  test('REST: a header over MAX_HEADER_BYTES (16 KiB) is 431 JSON, a URL over it 414 JSON; 10 KiB of header passes', async () => {
    expectJsonError(await exchange(restPort(), get('/health', `X-Big: ${'a'.repeat(20_000)}\r\n`)), 431, 'RequestHeaderFieldsTooLarge', 'big header');
    expectJsonError(await exchange(restPort(), get(`/files/${'a'.repeat(20_000)}`)), 414, 'URITooLong', 'long URL');
    expectJsonError(await exchange(restPort(), get('/health', 'X-Header-Name: value\r\n'.repeat(3_000))), 431, 'RequestHeaderFieldsTooLarge', 'thousands of headers');
    expect((await exchange(restPort(), get('/health', `X-Big: ${'a'.repeat(10_000)}\r\n`))).status).toBe(200);
  });

  test('S3: a header over the limit is S3 RequestHeaderSectionTooLarge', async () => {
    const answer = await exchange(s3Port(), `GET / HTTP/1.1\r\nHost: s3\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer.status).toBe(400);
    expect(xmlValue(answer.body, 'Code')).toBe('RequestHeaderSectionTooLarge');
  });
});

describe('malformed REST input is a 400 JSON answer', () => {
  const cursor = (text: string): string => Buffer.from(text).toString('base64url');
  const uuid = '0b0e4a52-8d7c-4c8e-9a39-1f2e3d4c5b6a';

  test('query strings, ids, paths and JSON bodies that gave 500 or no JSON', async () => {
    const json = (method: string, path: string, body: string, type = 'application/json'): string =>
      `${method} ${path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
    const cases: Array<[string, string, number, string]> = [
      // [what, raw request, status, code]
      ['19-digit cursor', get(`/files?limit=1&cursor=${cursor(`9999999999999999999.${uuid}`)}`), 400, 'InvalidRequest'],
      ['cursor past year 9999', get(`/files?limit=1&cursor=${cursor(`253402300800000000.${uuid}`)}`), 400, 'InvalidRequest'],
      ['negative 19-digit cursor', get(`/files?limit=1&cursor=${cursor(`-9999999999999999999.${uuid}`)}`), 400, 'InvalidRequest'],
      ['limit twice', get('/files?limit=1&limit=2'), 400, 'InvalidRequest'],
      ['page twice', get('/files?page=1&page=2'), 400, 'InvalidRequest'],
      ['cursor twice', get(`/files?cursor=a&cursor=b`), 400, 'InvalidRequest'],
      ['huge page', get('/files?page=99999999999999999999999'), 400, 'InvalidRequest'],
      ['page past 2^53', get('/files?page=9007199254740993'), 400, 'InvalidRequest'],
      ['huge per_page', get('/files?per_page=1e308'), 400, 'InvalidRequest'],
      ['bracketed parameter', get('/files?page[a]=1'), 400, 'InvalidRequest'],
      ['percent in query', get('/files?limit=%ZZ'), 400, 'InvalidRequest'],
      ['bad percent-encoding in an id', get('/files/%ZZ'), 400, 'InvalidRequest'],
      ['bad UTF-8 in an id', get('/files/%E0%A4%A/metadata'), 400, 'InvalidRequest'],
      ['bad percent-encoding in a node id', `DELETE /admin/nodes/%ZZ HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n`, 400, 'InvalidRequest'],
      ['bad percent-encoding in a key id', get('/admin/keys/%C0%80'), 400, 'InvalidRequest'],
      ['10,000-character id', get(`/files/${'a'.repeat(10_000)}`), 400, 'InvalidRequest'],
      ['NUL in an id', get(`/files/${uuid}%00`), 400, 'InvalidRequest'],
      ['traversal as an id', get('/files/..%2F..%2Fetc%2Fpasswd'), 400, 'InvalidRequest'],
      ['node id past int', `POST /admin/nodes/99999999999999999999/drain HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n`, 400, 'InvalidRequest'],
      ['node body null', json('POST', '/admin/nodes', 'null'), 400, 'InvalidRequest'],
      ['node body a string', json('POST', '/admin/nodes', '"127.0.0.1:1"'), 400, 'InvalidRequest'],
      ['node body an array', json('POST', '/admin/nodes', '["127.0.0.1:1"]'), 400, 'InvalidRequest'],
      ['node address an array', json('POST', '/admin/nodes', '{"address":["127.0.0.1:1"]}'), 400, 'InvalidRequest'],
      ['broken JSON', json('POST', '/admin/keys', '{"name":'), 400, 'InvalidRequest'],
      ['key body a number', json('POST', '/admin/keys', '5'), 400, 'InvalidRequest'],
      ['key body an array', json('POST', '/admin/keys', '[{"name":"x"}]'), 400, 'InvalidRequest'],
      ['key name an object', json('POST', '/admin/keys', '{"name":{"toString":1}}'), 400, 'InvalidRequest'],
      ['__proto__ field', json('POST', '/admin/keys', '{"__proto__":{"isRoot":true}}'), 400, 'InvalidRequest'],
      ['grant body an array', json('PUT', '/admin/keys/AKIAHOSTILETEST/grants/some-bucket', '[true,true]'), 400, 'InvalidRequest'],
      ['grant body strings', json('PUT', '/admin/keys/AKIAHOSTILETEST/grants/some-bucket', '{"read":"true","write":"false"}'), 400, 'InvalidRequest'],
      ['JSON body over 16 KiB', json('POST', '/admin/keys', JSON.stringify({ name: 'x'.repeat(20_000) })), 413, 'EntityTooLarge'],
      ['unknown body encoding', json('POST', '/admin/keys', '{}').replace('Content-Type', 'Content-Encoding: zip\r\nContent-Type'), 415, 'UnsupportedMediaType'],
      ['unknown method', `FOO /files HTTP/1.1\r\nHost: gateway\r\n\r\n`, 400, 'InvalidRequest'],
      ['no Host header', `GET /files HTTP/1.1\r\n\r\n`, 400, 'InvalidRequest'],
      ['Content-Length past 2^64', `POST /files HTTP/1.1\r\nHost: gateway\r\nContent-Length: 99999999999999999999999\r\n\r\n`, 400, 'InvalidRequest'],
      ['Content-Length and chunked', `POST /files HTTP/1.1\r\nHost: gateway\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`, 400, 'InvalidRequest'],
      ['a space in a header name', `GET /files HTTP/1.1\r\nHost: gateway\r\nBad Header: x\r\n\r\n`, 400, 'InvalidRequest'],
      ['an unknown expectation', get('/files', 'Expect: 200-ok\r\n'), 417, 'ExpectationFailed'],
    ];
    for (const [what, text, status, code] of cases) expectJsonError(await exchange(restPort(), text), status, code, what);
  });

  test('Range headers with huge or odd numbers: never a 5xx, an error is JSON', async () => {
    const data = randomBytes(3000);
    const up = await uploadBuffer(c.gatewayUrl, data, 'ranges.bin');
    expect(up.status, up.text).toBe(201);
    const path = `/files/${up.json.file_id}`;
    const ranges: Array<[string, number]> = [
      ['bytes=99999999999999999999999-', 416],
      ['bytes=-99999999999999999999999', 416],
      ['bytes=0-99999999999999999999999', 206],
      ['bytes=1e400-', 200],
      ['bytes=--1', 200],
      ['bytes=0x10-20', 200],
      ['bytes=3000-', 416],
      ['bytes=-0', 416],
      [`bytes=${'0-0,'.repeat(2_000)}0-0`, 206],
      ['bytes=2999-2999', 206],
    ];
    for (const [range, status] of ranges) {
      const answer = await exchange(restPort(), get(path, `Range: ${range}\r\n`));
      expect(answer.status, range.slice(0, 60)).toBe(status);
      if (status === 416) expectJsonError(answer, 416, 'InvalidRange', range);
    }
  });
});

describe('a slow S3 reader', () => {
  test('GetObject of 64 MiB read at 64 KiB/s: the gateway reads a few MiB ahead of the client and its memory stays within a few tens of MiB', async () => {
    const bucket = `slow-${randomBytes(4).toString('hex')}`;
    expect((await s3.send({ method: 'PUT', path: `/${bucket}` })).status).toBe(200);
    const size = 64 * MiB;
    const put = await s3.send({ method: 'PUT', path: `/${bucket}/big.bin`, body: randomBytes(size), unsignedPayload: true, timeoutMs: 120_000 });
    expect(put.status, put.text).toBe(200);
    const pid = c.gateway.child.pid!;
    await sleep(1_000);
    const rssBefore = await residentBytes(pid);
    await resetPeakResident(pid);
    const rcharBefore = await bytesRead(pid);

    // A presigned URL, fetched with node:http and read a few KiB four times a second.
    const url = await getSignedUrl(s3Client(c.s3Url, ROOT_KEY), new GetObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    let received = 0;
    let failure: string | null = null;
    let status = 0;
    const req = request(url, { agent: false }, (res) => {
      status = res.statusCode ?? 0;
      if (status !== 200) res.on('data', (d: Buffer) => (failure ??= d.toString()));
      res.pause();
      res.on('error', (err) => (failure ??= err.message));
      res.on('close', () => {
        if (!res.complete) failure ??= 'closed before its end';
      });
      const timer = setInterval(() => {
        for (let got = 0; got < 16 * 1024; ) {
          const piece = res.read(4096) as Buffer | null;
          if (!piece) break;
          got += piece.length;
          received += piece.length;
        }
      }, 250);
      res.once('close', () => clearInterval(timer));
    });
    req.on('error', (err) => (failure ??= err.message));
    req.end();
    await sleep(8_000);
    const stillOpen = failure;
    const rcharAfter = await bytesRead(pid);
    const peak = await peakResidentBytes(pid);
    req.destroy();

    const mib = (b: number): string => `${(b / MiB).toFixed(1)} MiB`;
    const seen = `client read ${mib(received)}, gateway read ${mib(rcharAfter - rcharBefore)}, RSS before ${mib(rssBefore)}, peak ${mib(peak)}`;
    console.log(`slow S3 reader: ${seen}`);
    expect(status, String(failure)).toBe(200);
    // Slow but flowing (not cut by the idle timeout: every read makes room the gateway fills).
    expect(stillOpen, seen).toBeNull();
    expect(received, seen).toBeGreaterThan(256 * 1024);
    expect(received, seen).toBeLessThan(2 * MiB);
    // Everything it read from the nodes (and the sockets) while the client took under 2 MiB.
    expect(rcharAfter - rcharBefore, seen).toBeLessThan(24 * MiB);
    expect(peak - rssBefore, seen).toBeLessThan(48 * MiB);
  });
});

/** Bytes a process has read with read(2) and the like (Linux /proc/<pid>/io rchar): files and sockets. */
async function bytesRead(pid: number): Promise<number> {
  const m = /^rchar:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/io`, 'utf8'));
  if (!m) throw new Error(`no rchar in /proc/${pid}/io`);
  return Number(m[1]);
}

describe('bind addresses', () => {
  test('a storage node and a gateway started without GRPC_HOST or HOST listen on 127.0.0.1 only; 0.0.0.0 when told', async () => {
    const node = await startStorageNode({ GRPC_HOST: '' });
    try {
      const addresses = await listeningAddresses(node.child.pid!);
      expect(addresses, 'node listening sockets').toEqual([`127.0.0.1:${node.port}`]);
      // Its id did not change with the bind address: the machine's name and the port it was given.
      expect(node.output()).toContain(`storage-node ${hostname()}-0 listening on 127.0.0.1:`);
    } finally {
      await node.cleanup();
    }
    const open = await startStorageNode({ GRPC_HOST: '0.0.0.0' });
    try {
      expect(await listeningAddresses(open.child.pid!)).toEqual([`0.0.0.0:${open.port}`]);
    } finally {
      await open.cleanup();
    }

    const gateway = await startGatewayProcess({
      databaseUrl: c.databaseUrl,
      nodeAddresses: c.nodes.map((n) => n.address),
      dataDir: c.dataDir,
      env: { HOST: '', ...rootEnv },
    });
    try {
      const restPortOf = Number(new URL(gateway.url).port);
      const s3PortOf = Number(/S3 API on port (\d+)/.exec(gateway.output())![1]);
      expect(await listeningAddresses(gateway.child.pid!)).toEqual([`127.0.0.1:${restPortOf}`, `127.0.0.1:${s3PortOf}`].sort());
    } finally {
      await gateway.stop();
    }
  });
});

test('nothing above made the gateway fail: it runs, answers, and logged no server error', async () => {
  expect(c.gateway.child.exitCode).toBeNull();
  expect((await health(c.gatewayUrl)).status).toBe(200);
  expect(serverErrors(gatewayOutput())).toEqual([]);
});
