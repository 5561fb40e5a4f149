// The gateway's REST API end to end: a real gateway process in front of six real storage node
// processes, metadata in a fresh PostgreSQL database. Files go in over HTTP and are checked coming
// back out, in the database tables and on the nodes' disks.
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { createStorageClient } from '../proto/storage-proto.js';
import { getChunk, MiB, sha256, storedFiles, waitFor } from './helpers/storage-client.js';
import { startStorageNode, type StorageNodeProcess } from './helpers/processes.js';
import { freePort } from './bench/bench-support.js';

const STRIPE_UNIT = MiB; // the gateway's default
const DATA_UNITS = 4; // the gateway's default k
const PARITY_UNITS = 2; // the gateway's default m
const STRIPE_WIDTH = DATA_UNITS + PARITY_UNITS; // chunks of a file of at least k stripe units
const REQUEST_TIMEOUT_MS = 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX64 = /^[0-9a-f]{64}$/;

interface ChunkJson {
  chunk_number: number;
  chunk_id: string;
  size: number;
  checksum: string | null;
  server_id: number;
  server_address: string;
  role: 'data' | 'parity';
  state: 'ok' | 'missing';
}

interface FileJson {
  file_id: string;
  filename: string;
  content_type: string;
  size: number;
  checksum: string;
  status: string;
  created_at: string;
  updated_at?: string;
  completed_at?: string | null;
  k?: number;
  m?: number;
  chunks?: ChunkJson[];
}

interface NodeJson {
  id: number;
  address: string;
  status: string;
  total_space: number | null;
  available_space: number | null;
  used_space: number | null;
}

// ---- layout arithmetic, written independently of gateway/stripe-layout.ts ----

/** The bytes of each data chunk of `data`: stripe unit u goes to chunk u % width, in order. */
function expectedChunks(data: Buffer, unit = STRIPE_UNIT, width = DATA_UNITS): Buffer[] {
  const parts: Buffer[][] = [];
  for (let offset = 0, u = 0; offset < data.length; offset += unit, u++) {
    (parts[u % width] ??= []).push(data.subarray(offset, Math.min(data.length, offset + unit)));
  }
  return parts.map((p) => Buffer.concat(p));
}

/** Chunk numbers and sizes of a file: its data chunks, then (if not empty) m parity chunks numbered from k, each as long as data chunk 0. */
function expectedLayout(data: Buffer): { numbers: number[]; sizes: number[] } {
  const dataChunks = expectedChunks(data);
  const parity = data.length === 0 ? [] : Array.from({ length: PARITY_UNITS }, (_, j) => DATA_UNITS + j);
  return {
    numbers: [...dataChunks.keys(), ...parity],
    sizes: [...dataChunks.map((b) => b.length), ...parity.map(() => dataChunks[0]!.length)],
  };
}

// ---- HTTP helpers ----

/** A Buffer as a Blob part (Buffers from randomBytes/alloc are backed by a plain ArrayBuffer). */
const blobPart = (b: Buffer): Uint8Array<ArrayBuffer> => b as Uint8Array<ArrayBuffer>;

async function api(cluster: TestCluster, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${cluster.gatewayUrl}${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

async function uploadForm(cluster: TestCluster, form: FormData): Promise<Response> {
  return api(cluster, '/files', { method: 'POST', body: form });
}

/** Uploads `data` as the field `file` with FormData; expects 201 and returns the JSON. */
async function upload(
  cluster: TestCluster,
  data: Buffer,
  filename = 'file.bin',
  contentType = 'application/octet-stream',
): Promise<FileJson> {
  const form = new FormData();
  form.append('file', new Blob([blobPart(data)], { type: contentType }), filename);
  const res = await uploadForm(cluster, form);
  const text = await res.text();
  expect(res.status, `upload of ${data.length} bytes answered ${res.status}: ${text}`).toBe(201);
  return JSON.parse(text) as FileJson;
}

async function download(
  cluster: TestCluster,
  fileId: string,
  headers: Record<string, string> = {},
): Promise<{ res: Response; body: Buffer }> {
  const res = await api(cluster, `/files/${fileId}`, { headers });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

async function getJson<T>(cluster: TestCluster, path: string): Promise<T> {
  const res = await api(cluster, path);
  const text = await res.text();
  expect(res.status, `GET ${path} answered ${res.status}: ${text}`).toBe(200);
  return JSON.parse(text) as T;
}

/** Checks an error response: the status, a JSON body {error, code} with non-empty strings. */
async function expectApiError(res: Response, status: number, what: string): Promise<{ error: string; code: string }> {
  const text = await res.text();
  expect(res.status, `${what}: ${text}`).toBe(status);
  expect(res.headers.get('content-type') ?? '', `${what}: content type`).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { error?: unknown; code?: unknown };
  expect(typeof body.error, `${what}: error field in ${text}`).toBe('string');
  expect(typeof body.code, `${what}: code field in ${text}`).toBe('string');
  expect((body.error as string).length, what).toBeGreaterThan(0);
  expect((body.code as string).length, what).toBeGreaterThan(0);
  return body as { error: string; code: string };
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A request with exactly the given bytes, through node:http (no client-side re-encoding of
 * multipart headers). `body` as an array of buffers and `chunked: true` sends it without
 * Content-Length, piece by piece.
 */
function rawRequest(
  cluster: TestCluster,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | Buffer[],
  options: { chunked?: boolean } = {},
): Promise<RawResponse> {
  const pieces = Array.isArray(body) ? body : [body];
  const total = pieces.reduce((n, p) => n + p.length, 0);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${cluster.gatewayUrl}${path}`,
      {
        method,
        headers: options.chunked ? headers : { ...headers, 'Content-Length': String(total) },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    void (async () => {
      for (const p of pieces) {
        if (!req.write(p)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })();
  });
}

interface RawPart {
  /** The whole Content-Disposition value, exactly as sent. */
  disposition: string;
  contentType?: string;
  data: Buffer;
}

function multipartBody(boundary: string, parts: RawPart[]): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: ${p.disposition}\r\n`;
    if (p.contentType !== undefined) head += `Content-Type: ${p.contentType}\r\n`;
    out.push(Buffer.from(`${head}\r\n`, 'utf8'), p.data, Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(out);
}

/** Escapes a filename as an RFC 2616/7578 quoted-string (backslash before `"` and `\`). */
const quoted = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

// ---- looks at the nodes and the database ----

function nodeDataDir(cluster: TestCluster, index: number): string {
  return join(cluster.dataDir, `node-${index + 1}`);
}

/** Every file each node keeps (chunks/ and tmp/), as "<node index>:<relative path>". */
async function filesOnNodes(cluster: TestCluster): Promise<Set<string>> {
  const lists = await Promise.all(cluster.nodes.map((_, i) => storedFiles(nodeDataDir(cluster, i))));
  return new Set(lists.flatMap((files, i) => files.map((f) => `${i}:${f}`)));
}

/** Chunk files of `fileId` on the nodes, as "<node index>:<chunk id>". */
async function chunkFilesOf(cluster: TestCluster, fileId: string): Promise<string[]> {
  return [...(await filesOnNodes(cluster))]
    .filter((f) => f.split(':')[1]!.startsWith('chunks/') && basename(f).startsWith(`${fileId}.`))
    .map((f) => `${f.split(':')[0]}:${basename(f)}`)
    .sort();
}

/**
 * What the nodes keep that no files row accounts for: chunk files of unknown file ids, and any
 * temporary file (no upload is in flight when this is called).
 */
async function strayFiles(cluster: TestCluster): Promise<string[]> {
  const ids = new Set(await fileIdsInTable(cluster));
  return [...(await filesOnNodes(cluster))].filter((f) => {
    const path = f.slice(f.indexOf(':') + 1);
    if (!path.startsWith('chunks/')) return true;
    const name = basename(path);
    return !ids.has(name.slice(0, name.lastIndexOf('.')));
  });
}

/** Waits (bounded) until the nodes keep nothing stray; fails with what is left and the deletion queue. */
async function expectNothingStray(cluster: TestCluster, what: string): Promise<void> {
  const clean = await waitFor(async () => (await strayFiles(cluster)).length === 0, 10_000, 100);
  if (clean) return;
  const queued = await cluster.db.pool.query('SELECT node_id, chunk_id, attempts, last_error FROM chunk_deletions');
  expect.fail(`${what}: left on the nodes: ${(await strayFiles(cluster)).join(', ')}; chunk_deletions: ${JSON.stringify(queued.rows)}`);
}

async function fileIdsInTable(cluster: TestCluster): Promise<string[]> {
  const r = await cluster.db.pool.query<{ id: string }>('SELECT id FROM files ORDER BY id');
  return r.rows.map((x) => x.id);
}

async function completedIdsNewestFirst(cluster: TestCluster): Promise<string[]> {
  const r = await cluster.db.pool.query<{ id: string }>(
    `SELECT id FROM files WHERE status = 'completed' ORDER BY created_at DESC, id DESC`,
  );
  return r.rows.map((x) => x.id);
}

function nodeIndexOf(cluster: TestCluster, address: string): number {
  const i = cluster.nodes.findIndex((n) => n.address === address);
  expect(i, `server_address ${address} is one of the cluster's nodes`).toBeGreaterThanOrEqual(0);
  return i;
}

function expectIsoTime(value: unknown, what: string): number {
  expect(typeof value, what).toBe('string');
  const t = Date.parse(value as string);
  expect(Number.isFinite(t), `${what}: ${String(value)} is a date`).toBe(true);
  expect(Math.abs(t - Date.now()), `${what}: ${String(value)} is about now`).toBeLessThan(30 * 60_000);
  return t;
}

/** A random size from 0 to `max` bytes. */
function randomSize(max: number): number {
  return Math.floor(Math.random() * (max + 1));
}

// =================================================================================================

describe('gateway REST API', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    // GATEWAY_TEST_LOG=1 prints the processes' output, for debugging a failure.
    cluster = await startTestCluster({ nodes: 6, log: process.env.GATEWAY_TEST_LOG === '1' });
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  // A 10 MiB file of random bytes, uploaded once and shared by the tests that read it.
  let bigPromise: Promise<{ data: Buffer; file: FileJson }> | undefined;
  const big = (): Promise<{ data: Buffer; file: FileJson }> =>
    (bigPromise ??= (async () => {
      const data = randomBytes(10 * MiB);
      const file = await upload(cluster, data, 'ten-mib.bin', 'application/x-test-data');
      return { data, file };
    })());

  it('round-trips a 10 MiB file bit-exact and answers the upload with the file fields', async () => {
    const { data, file } = await big();
    const digest = sha256(data);
    expect(file.file_id).toMatch(UUID);
    expect(file.filename).toBe('ten-mib.bin');
    expect(file.content_type).toBe('application/x-test-data');
    expect(file.size).toBe(10 * MiB);
    expect(file.checksum).toBe(digest);
    expect(file.status).toBe('completed');
    expectIsoTime(file.created_at, 'created_at');
    expect(Array.isArray(file.chunks)).toBe(true);
    expect(file.chunks!.length).toBe(STRIPE_WIDTH);

    const { res, body } = await download(cluster, file.file_id);
    expect(res.status).toBe(200);
    expect(body.length).toBe(data.length);
    expect(sha256(body)).toBe(digest);
    expect(body.equals(data)).toBe(true);
  });

  it('stores a 0-byte file with no chunks and serves it back empty', async () => {
    const file = await upload(cluster, Buffer.alloc(0), 'empty.txt', 'application/octet-stream');
    expect(file.size).toBe(0);
    expect(file.checksum).toBe(sha256(Buffer.alloc(0)));
    expect(file.status).toBe('completed');
    expect(file.chunks).toEqual([]);
    const rows = await cluster.db.pool.query('SELECT * FROM chunks WHERE file_id = $1', [file.file_id]);
    expect(rows.rowCount).toBe(0);
    expect(await chunkFilesOf(cluster, file.file_id)).toEqual([]);

    const { res, body } = await download(cluster, file.file_id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('0');
    expect(res.headers.get('etag')).toBe(`"${sha256(Buffer.alloc(0))}"`);
    expect(body.length).toBe(0);
    const meta = await getJson<FileJson>(cluster, `/files/${file.file_id}/metadata`);
    expect(meta.size).toBe(0);
    expect(meta.chunks).toEqual([]);
  });

  it('gives a small file only as many chunks as it has stripe units', async () => {
    // Data chunks (one per stripe unit, at most k = 4) plus the m = 2 parity chunks.
    const cases = [
      { size: 1, chunks: 3 },
      { size: MiB, chunks: 3 },
      { size: MiB + 1, chunks: 4 },
      { size: 3 * MiB + 5, chunks: 6 },
      { size: 6 * MiB, chunks: 6 },
      { size: 6 * MiB + 1, chunks: 6 },
    ];
    for (const c of cases) {
      const data = randomBytes(c.size);
      const file = await upload(cluster, data, `small-${c.size}.bin`);
      const what = `file of ${c.size} bytes`;
      expect(file.size, what).toBe(c.size);
      expect(file.checksum, what).toBe(sha256(data));
      expect(file.chunks!.length, what).toBe(c.chunks);
      const expected = expectedLayout(data);
      expect(expected.numbers.length, what).toBe(c.chunks); // the test's own arithmetic agrees
      expect(file.chunks!.map((x) => x.size), what).toEqual(expected.sizes);
      expect(new Set(file.chunks!.map((x) => x.server_id)).size, `${what}: distinct nodes`).toBe(c.chunks);

      const rows = await cluster.db.pool.query<{ chunk_number: number }>(
        'SELECT chunk_number FROM chunks WHERE file_id = $1 ORDER BY chunk_number',
        [file.file_id],
      );
      expect(rows.rows.map((r) => r.chunk_number), what).toEqual(expected.numbers);
      expect((await chunkFilesOf(cluster, file.file_id)).length, `${what}: chunk files on the nodes`).toBe(c.chunks);

      const { res, body } = await download(cluster, file.file_id);
      expect(res.status, what).toBe(200);
      expect(body.equals(data), `${what} round trip`).toBe(true);
    }
  });

  it('accepts an upload without Content-Length (chunked transfer) and keeps only the chunks it needs', async () => {
    const data = randomBytes(2 * MiB + 12345);
    const boundary = `----bnd${randomBytes(8).toString('hex')}`;
    const body = multipartBody(boundary, [
      { disposition: 'form-data; name="file"; filename="chunked.bin"', contentType: 'application/octet-stream', data },
    ]);
    // Many small writes, no Content-Length.
    const pieces: Buffer[] = [];
    for (let i = 0; i < body.length; i += 100_000) pieces.push(body.subarray(i, i + 100_000));
    const res = await rawRequest(
      cluster,
      'POST',
      '/files',
      { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      pieces,
      { chunked: true },
    );
    expect(res.status, res.body.toString()).toBe(201);
    const file = JSON.parse(res.body.toString()) as FileJson;
    expect(file.size).toBe(data.length);
    expect(file.checksum).toBe(sha256(data));
    // Three data units: data chunks 0-2 and the two parity chunks; the planned chunk 3 is dropped.
    expect(file.chunks!.map((c) => c.chunk_number)).toEqual([0, 1, 2, 4, 5]);
    const rows = await cluster.db.pool.query('SELECT 1 FROM chunks WHERE file_id = $1', [file.file_id]);
    expect(rows.rowCount).toBe(5);
    expect((await chunkFilesOf(cluster, file.file_id)).length).toBe(5);
    const { body: back } = await download(cluster, file.file_id);
    expect(back.equals(data)).toBe(true);
  });

  it('answers the metadata of a file with its chunks spread over six distinct nodes', async () => {
    const { data, file } = await big();
    const meta = await getJson<FileJson>(cluster, `/files/${file.file_id}/metadata`);
    expect(meta.file_id).toBe(file.file_id);
    expect(meta.filename).toBe('ten-mib.bin');
    expect(meta.content_type).toBe('application/x-test-data');
    expect(meta.size).toBe(data.length);
    expect(meta.checksum).toBe(sha256(data));
    expect(meta.status).toBe('completed');
    const created = expectIsoTime(meta.created_at, 'created_at');
    const updated = expectIsoTime(meta.updated_at, 'updated_at');
    const completed = expectIsoTime(meta.completed_at, 'completed_at');
    expect(updated).toBeGreaterThanOrEqual(created);
    expect(completed).toBeGreaterThanOrEqual(created);

    const chunks = meta.chunks!;
    expect(meta.k).toBe(DATA_UNITS);
    expect(meta.m).toBe(PARITY_UNITS);
    expect(chunks.map((c) => c.chunk_number)).toEqual([0, 1, 2, 3, 4, 5]);
    const expected = expectedChunks(data);
    for (const c of chunks) {
      const what = `chunk ${c.chunk_number}`;
      expect(c.chunk_id, what).toBe(`${file.file_id}.${c.chunk_number}`);
      expect(typeof c.server_id, what).toBe('number');
      expect(c.server_address, what).toMatch(/^[^\s/]+:\d{1,5}$/);
      expect(c.checksum, what).toBeNull(); // block checksums on the node replace a SHA-256 per chunk
      expect(c.role, what).toBe(c.chunk_number < DATA_UNITS ? 'data' : 'parity');
      expect(c.state, what).toBe('ok');
      expect(c.size, what).toBe(expected[c.chunk_number < DATA_UNITS ? c.chunk_number : 0]!.length);
      if (c.role === 'data') {
        // A data chunk holds exactly the stripe units dealt to it, as they were (systematic code).
        const client = createStorageClient(c.server_address!, {}, cluster.clusterToken);
        try {
          expect((await getChunk(client, c.chunk_id)).equals(expected[c.chunk_number]!), what).toBe(true);
        } finally {
          client.close();
        }
      }
    }
    expect(chunks.filter((c) => c.role === 'data').reduce((n, c) => n + c.size, 0)).toBe(data.length);
    expect(new Set(chunks.map((c) => c.server_id)).size).toBe(6);
    expect(new Set(chunks.map((c) => c.server_address)).size).toBe(6);
    // The upload response told the same story.
    expect(file.chunks).toEqual(chunks);

    // Each chunk is on disk on the node the metadata names, and nowhere else.
    const onDisk = await chunkFilesOf(cluster, file.file_id);
    const named = chunks.map((c) => `${nodeIndexOf(cluster, c.server_address)}:${c.chunk_id}`).sort();
    expect(onDisk).toEqual(named);
  });

  it('answers 404 for an unknown file and 400 for an id that is not a UUID, as JSON errors', async () => {
    const unknown = '4a1f0c2e-9b7d-4e3a-8c6f-1d2e3f4a5b6c';
    expect((await fileIdsInTable(cluster)).includes(unknown)).toBe(false);
    await expectApiError(await api(cluster, `/files/${unknown}`), 404, 'GET unknown');
    await expectApiError(await api(cluster, `/files/${unknown}/metadata`), 404, 'GET unknown metadata');
    await expectApiError(await api(cluster, `/files/${unknown}`, { method: 'DELETE' }), 404, 'DELETE unknown');
    for (const bad of ['not-a-uuid', '12345', `${unknown}x`, 'zzzzzzzz-9b7d-4e3a-8c6f-1d2e3f4a5b6c']) {
      await expectApiError(await api(cluster, `/files/${bad}`), 400, `GET ${bad}`);
      await expectApiError(await api(cluster, `/files/${bad}/metadata`), 400, `GET ${bad}/metadata`);
      await expectApiError(await api(cluster, `/files/${bad}`, { method: 'DELETE' }), 400, `DELETE ${bad}`);
    }
  });

  it('rejects an upload that is not multipart with 400', async () => {
    const before = await fileIdsInTable(cluster);
    await expectApiError(
      await api(cluster, '/files', {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: randomBytes(4096),
      }),
      400,
      'octet-stream body',
    );
    await expectApiError(
      await api(cluster, '/files', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ file: 'hello' }),
      }),
      400,
      'JSON body',
    );
    await expectApiError(
      await api(cluster, '/files', { method: 'POST', headers: { 'Content-Type': 'multipart/form-data' }, body: 'x' }),
      400,
      'multipart without boundary',
    );
    await expectApiError(await api(cluster, '/files', { method: 'POST' }), 400, 'no body at all');
    expect(await fileIdsInTable(cluster)).toEqual(before);
  });

  it('rejects a form without a file in the field "file" with 400 and keeps nothing', async () => {
    const before = await fileIdsInTable(cluster);
    const disk = await filesOnNodes(cluster);

    const onlyText = new FormData();
    onlyText.append('name', 'value');
    await expectApiError(await uploadForm(cluster, onlyText), 400, 'form with only a text field');

    // Sent in one piece with node:http, so the gateway has the whole body before it answers; the next
    // test covers what a client that is still sending sees.
    const boundary1 = 'wrongfieldboundary';
    const wrongField = await rawRequest(
      cluster,
      'POST',
      '/files',
      { 'Content-Type': `multipart/form-data; boundary=${boundary1}` },
      multipartBody(boundary1, [{ disposition: 'form-data; name="upload"; filename="x.bin"', data: randomBytes(1000) }]),
    );
    expect(wrongField.status, wrongField.body.toString()).toBe(400);
    expect(JSON.parse(wrongField.body.toString())).toMatchObject({ error: expect.any(String), code: expect.any(String) });

    const textNamedFile = new FormData();
    textNamedFile.append('file', 'just a string, not a file part');
    await expectApiError(await uploadForm(cluster, textNamedFile), 400, 'text field named "file"');

    const boundary = 'emptyformboundary';
    const empty = await rawRequest(
      cluster,
      'POST',
      '/files',
      { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      Buffer.from(`--${boundary}--\r\n`),
    );
    expect(empty.status, empty.body.toString()).toBe(400);
    expect(JSON.parse(empty.body.toString())).toMatchObject({ error: expect.any(String), code: expect.any(String) });

    expect(await fileIdsInTable(cluster)).toEqual(before);
    await expectNothingStray(cluster, 'forms without a file');
    expect(setsEqual(await filesOnNodes(cluster), disk)).toBe(true);
  });

  it('delivers the 400 for a rejected upload to a fetch client instead of resetting the connection', async () => {
    // fetch sends a FormData body in several writes. When the gateway rejects the request early (a
    // file in the wrong field, a body that is not multipart), the client must still get to read the
    // JSON error, not "fetch failed: EPIPE/ECONNRESET" because the gateway closed the socket with
    // part of the body unread. Several attempts each, because the loss depends on timing.
    const before = await fileIdsInTable(cluster);
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const cases: Array<[string, () => Promise<Response>]> = [
        [
          '1000-byte file in the field "upload"',
          () => {
            const form = new FormData();
            form.append('upload', new Blob([blobPart(randomBytes(1000))]), 'x.bin');
            return uploadForm(cluster, form);
          },
        ],
        [
          '2 MiB file in the field "upload"',
          () => {
            const form = new FormData();
            form.append('upload', new Blob([blobPart(randomBytes(2 * MiB))]), 'x.bin');
            return uploadForm(cluster, form);
          },
        ],
        [
          '2 MiB application/octet-stream body',
          () => api(cluster, '/files', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: randomBytes(2 * MiB) }),
        ],
      ];
      for (const [what, send] of cases) {
        try {
          const res = await send();
          const text = await res.text();
          outcomes.push(`${what}: ${res.status} ${text.slice(0, 60)}`);
        } catch (err) {
          const cause = (err as { cause?: { code?: string; message?: string } }).cause;
          outcomes.push(`${what}: request failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
        }
      }
    }
    const bad = outcomes.filter((o) => !/: 400 \{"error":/.test(o));
    expect(bad, `outcomes:\n${outcomes.join('\n')}`).toEqual([]);
    expect(await fileIdsInTable(cluster)).toEqual(before);
  });

  it('rejects two files in one request with 400 and leaves no row and no chunk behind', async () => {
    const before = await fileIdsInTable(cluster);
    const disk = await filesOnNodes(cluster);
    const chunksBefore = await cluster.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks');

    // The first file is large enough that its chunks are already streaming when the second shows up.
    const form = new FormData();
    form.append('file', new Blob([blobPart(randomBytes(7 * MiB))], { type: 'application/octet-stream' }), 'one.bin');
    form.append('file', new Blob([blobPart(randomBytes(1024))], { type: 'application/octet-stream' }), 'two.bin');
    await expectApiError(await uploadForm(cluster, form), 400, 'two files in the field "file"');

    const second = new FormData();
    second.append('file', new Blob([blobPart(randomBytes(3 * MiB))]), 'one.bin');
    second.append('other', new Blob([blobPart(randomBytes(10))]), 'two.bin');
    await expectApiError(await uploadForm(cluster, second), 400, 'a second file in another field');

    expect(await fileIdsInTable(cluster)).toEqual(before);
    const chunksAfter = await cluster.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks');
    expect(chunksAfter.rows[0]!.n).toBe(chunksBefore.rows[0]!.n);
    await expectNothingStray(cluster, 'two files in one request');
    const left = [...(await filesOnNodes(cluster))].filter((f) => !disk.has(f));
    expect(left, 'files on the nodes that were not there before').toEqual([]);
  });

  it('lists files newest first with page/per_page and validates the paging parameters', async () => {
    const mine: string[] = [];
    for (let i = 0; i < 7; i++) mine.push((await upload(cluster, randomBytes(100 + i), `list-${i}.txt`, 'text/plain')).file_id);

    const dbOrder = await completedIdsNewestFirst(cluster);
    expect(dbOrder.slice(0, 7)).toEqual([...mine].reverse()); // sequential uploads: the newest is the last

    const first = await getJson<{ files: FileJson[]; total: number; page: number; per_page: number }>(
      cluster,
      '/files?page=1&per_page=3',
    );
    expect(first.total).toBe(dbOrder.length);
    expect(first.page).toBe(1);
    expect(first.per_page).toBe(3);
    expect(first.files.map((f) => f.file_id)).toEqual([mine[6], mine[5], mine[4]]);
    const f0 = first.files[0]!;
    expect(f0).toMatchObject({ filename: 'list-6.txt', size: 106, status: 'completed' });
    expect(f0.content_type).toMatch(/^text\/plain/);
    expect(f0.checksum).toMatch(HEX64);
    expectIsoTime(f0.created_at, 'created_at');

    // Walk every page.
    const walked: string[] = [];
    let lastCreated = Infinity;
    for (let page = 1; page <= Math.ceil(dbOrder.length / 3) + 1; page++) {
      const r = await getJson<{ files: FileJson[]; total: number; page: number; per_page: number }>(
        cluster,
        `/files?page=${page}&per_page=3`,
      );
      expect(r.page).toBe(page);
      expect(r.per_page).toBe(3);
      expect(r.total).toBe(dbOrder.length);
      expect(r.files.length).toBe(Math.max(0, Math.min(3, dbOrder.length - (page - 1) * 3)));
      for (const f of r.files) {
        const t = Date.parse(f.created_at);
        expect(t).toBeLessThanOrEqual(lastCreated);
        lastCreated = t;
        walked.push(f.file_id);
      }
    }
    expect(walked).toEqual(dbOrder);

    const defaults = await getJson<{ files: FileJson[]; total: number; page: number; per_page: number }>(cluster, '/files');
    expect(defaults.page).toBe(1);
    expect(defaults.per_page).toBe(20);
    expect(defaults.files.map((f) => f.file_id)).toEqual(dbOrder.slice(0, 20));
    const hundred = await getJson<{ per_page: number; files: FileJson[] }>(cluster, '/files?per_page=100');
    expect(hundred.per_page).toBe(100);
    expect(hundred.files.length).toBe(Math.min(100, dbOrder.length));

    for (const q of ['per_page=101', 'page=0', 'per_page=abc', 'per_page=0', 'page=-1', 'page=1.5', 'page=abc', 'per_page=']) {
      await expectApiError(await api(cluster, `/files?${q}`), 400, `GET /files?${q}`);
    }
  });

  it('walks every file exactly once with limit/cursor, in the same order as page listing', async () => {
    // Enough files for several keyset pages.
    const have = (await completedIdsNewestFirst(cluster)).length;
    for (let i = have; i < 12; i++) await upload(cluster, randomBytes(10), `keyset-${i}.bin`);

    const walkPages = async (perPage: number): Promise<string[]> => {
      const out: string[] = [];
      for (let page = 1; page < 1000; page++) {
        const r = await getJson<{ files: FileJson[] }>(cluster, `/files?page=${page}&per_page=${perPage}`);
        if (r.files.length === 0) break;
        out.push(...r.files.map((f) => f.file_id));
      }
      return out;
    };
    const walkKeyset = async (limit: number): Promise<string[]> => {
      const out: string[] = [];
      let cursor: string | null = null;
      for (let step = 0; step < 1000; step++) {
        const path: string = `/files?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const r = await getJson<{ files: FileJson[]; next_cursor: string | null }>(cluster, path);
        expect(r.files.length).toBeLessThanOrEqual(limit);
        out.push(...r.files.map((f) => f.file_id));
        if (r.next_cursor === null) break;
        expect(typeof r.next_cursor).toBe('string');
        expect(r.files.length, 'a page with a next_cursor is full').toBe(limit);
        cursor = r.next_cursor;
      }
      return out;
    };

    const dbOrder = await completedIdsNewestFirst(cluster);
    expect(dbOrder.length).toBeGreaterThanOrEqual(12);
    const pages = await walkPages(5);
    expect(pages).toEqual(dbOrder);
    for (const limit of [1, 4, 100]) {
      const keyset = await walkKeyset(limit);
      expect(new Set(keyset).size, `limit=${limit}: no duplicates`).toBe(keyset.length);
      expect(keyset, `limit=${limit}`).toEqual(pages);
    }

    // Files created in the same microsecond are ordered by id, and no cursor skips or repeats one.
    const tied = dbOrder.slice(2, 7);
    await cluster.db.pool.query(`UPDATE files SET created_at = (SELECT created_at FROM files WHERE id = $1) WHERE id = ANY($2::uuid[])`, [
      tied[0],
      tied,
    ]);
    const tiedOrder = await completedIdsNewestFirst(cluster);
    expect(await walkPages(3)).toEqual(tiedOrder);
    for (const limit of [1, 2, 3]) expect(await walkKeyset(limit), `ties, limit=${limit}`).toEqual(tiedOrder);

    const badCursors = ['!!!', 'garbage', Buffer.from('123.not-a-uuid').toString('base64url'), 'x'.repeat(300)];
    for (const c of badCursors) {
      await expectApiError(await api(cluster, `/files?limit=5&cursor=${encodeURIComponent(c)}`), 400, `cursor ${c}`);
    }
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=-3']) {
      await expectApiError(await api(cluster, `/files?${q}`), 400, `GET /files?${q}`);
    }
  });

  it('deletes a file: 200, rows gone from files and chunks, chunk files gone from every node, then 404', async () => {
    const data = randomBytes(7 * MiB + 3);
    const file = await upload(cluster, data, 'doomed.bin');
    const onDisk = await chunkFilesOf(cluster, file.file_id);
    expect(onDisk.length).toBe(6);

    const res = await api(cluster, `/files/${file.file_id}`, { method: 'DELETE' });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const body = JSON.parse(text) as { message?: unknown; file_id?: unknown };
    expect(typeof body.message).toBe('string');
    expect(body.file_id).toBe(file.file_id);

    expect((await cluster.db.pool.query('SELECT 1 FROM files WHERE id = $1', [file.file_id])).rowCount).toBe(0);
    expect((await cluster.db.pool.query('SELECT 1 FROM chunks WHERE file_id = $1', [file.file_id])).rowCount).toBe(0);
    const gone = await waitFor(async () => (await chunkFilesOf(cluster, file.file_id)).length === 0, 10_000);
    expect(gone, `chunk files left: ${(await chunkFilesOf(cluster, file.file_id)).join(', ')}`).toBe(true);
    // Every deletion the nodes confirmed has left the queue.
    const queued = await waitFor(
      async () =>
        (await cluster.db.pool.query('SELECT 1 FROM chunk_deletions WHERE chunk_id LIKE $1', [`${file.file_id}.%`]))
          .rowCount === 0,
      10_000,
    );
    expect(queued).toBe(true);

    await expectApiError(await api(cluster, `/files/${file.file_id}`), 404, 'GET after delete');
    await expectApiError(await api(cluster, `/files/${file.file_id}/metadata`), 404, 'metadata after delete');
    await expectApiError(await api(cluster, `/files/${file.file_id}`, { method: 'DELETE' }), 404, 'second DELETE');
    const listing = await getJson<{ files: FileJson[] }>(cluster, '/files?per_page=100');
    expect(listing.files.map((f) => f.file_id)).not.toContain(file.file_id);
  });

  it('serves byte ranges with 206 and Content-Range, and 416 for an unsatisfiable one', async () => {
    const { data, file } = await big();
    const size = data.length;
    const cases: Array<{ header: string; start: number; end: number }> = [
      { header: 'bytes=0-0', start: 0, end: 0 },
      // Across stripe units 0..4, i.e. five chunks, starting and ending inside a unit.
      { header: `bytes=${MiB - 100}-${4 * MiB + 99}`, start: MiB - 100, end: 4 * MiB + 99 },
      // From the second round of stripes (unit 6 is chunk 0 again) into the third unit after it.
      { header: `bytes=${6 * MiB + 777}-${9 * MiB + 12}`, start: 6 * MiB + 777, end: 9 * MiB + 12 },
      // Exactly one whole stripe unit in the middle.
      { header: `bytes=${5 * MiB}-${6 * MiB - 1}`, start: 5 * MiB, end: 6 * MiB - 1 },
      { header: 'bytes=-100', start: size - 100, end: size - 1 },
      { header: `bytes=${7 * MiB + 3}-`, start: 7 * MiB + 3, end: size - 1 },
      // An end past the file is cut to the file.
      { header: `bytes=${size - 10}-${size + 1000}`, start: size - 10, end: size - 1 },
    ];
    for (const c of cases) {
      const { res, body } = await download(cluster, file.file_id, { Range: c.header });
      const what = `Range: ${c.header}`;
      expect(res.status, what).toBe(206);
      expect(res.headers.get('content-range'), what).toBe(`bytes ${c.start}-${c.end}/${size}`);
      expect(res.headers.get('content-length'), what).toBe(String(c.end - c.start + 1));
      expect(res.headers.get('accept-ranges'), what).toBe('bytes');
      expect(res.headers.get('etag'), what).toBe(`"${file.checksum}"`);
      expect(body.length, what).toBe(c.end - c.start + 1);
      expect(body.equals(data.subarray(c.start, c.end + 1)), `${what}: exact bytes`).toBe(true);
    }

    for (const header of [`bytes=${size}-`, `bytes=${size + 5}-${size + 10}`]) {
      const res = await api(cluster, `/files/${file.file_id}`, { headers: { Range: header } });
      expect(res.headers.get('content-range'), header).toBe(`bytes */${size}`);
      await expectApiError(res, 416, `Range: ${header}`);
    }
  });

  it('serves Content-Type, Content-Length, Content-Disposition, ETag and Accept-Ranges; a unicode filename survives', async () => {
    const filename = 'résumé 日本 "q".txt';
    const data = randomBytes(50_000);
    const boundary = `----formboundary${randomBytes(6).toString('hex')}`;
    const body = multipartBody(boundary, [
      { disposition: 'form-data; name="comment"', data: Buffer.from('a text field before the file') },
      { disposition: `form-data; name="file"; filename=${quoted(filename)}`, contentType: 'application/x-custom-type', data },
    ]);
    const res = await rawRequest(cluster, 'POST', '/files', { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body);
    expect(res.status, res.body.toString()).toBe(201);
    const file = JSON.parse(res.body.toString()) as FileJson;
    expect(file.filename).toBe(filename);
    expect(file.content_type).toBe('application/x-custom-type');
    expect(file.checksum).toBe(sha256(data));

    const meta = await getJson<FileJson>(cluster, `/files/${file.file_id}/metadata`);
    expect(meta.filename).toBe(filename);

    const got = await download(cluster, file.file_id);
    expect(got.res.status).toBe(200);
    expect(got.res.headers.get('content-type')).toBe('application/x-custom-type');
    expect(got.res.headers.get('content-length')).toBe(String(data.length));
    expect(got.res.headers.get('etag')).toBe(`"${sha256(data)}"`);
    expect(got.res.headers.get('accept-ranges')).toBe('bytes');
    expect(got.body.equals(data)).toBe(true);
    const disposition = got.res.headers.get('content-disposition') ?? '';
    expect(/^[\x20-\x7e]*$/.test(disposition), `Content-Disposition is ASCII: ${disposition}`).toBe(true);
    expect(disposition).toMatch(/^attachment\s*;/i);
    const star = /filename\*\s*=\s*UTF-8''([^;\s]+)/i.exec(disposition);
    expect(star, `filename* in ${disposition}`).not.toBeNull();
    expect(decodeURIComponent(star![1]!)).toBe(filename);

    // The same name sent the RFC 5987 way (filename*) arrives the same.
    const body2 = multipartBody(boundary, [
      {
        disposition: `form-data; name="file"; filename*=UTF-8''${encodeURIComponent(filename)}`,
        contentType: 'application/x-custom-type',
        data,
      },
    ]);
    const res2 = await rawRequest(cluster, 'POST', '/files', { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body2);
    expect(res2.status, res2.body.toString()).toBe(201);
    expect((JSON.parse(res2.body.toString()) as FileJson).filename).toBe(filename);

    // HEAD: the same headers, no body.
    const head = await api(cluster, `/files/${file.file_id}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(data.length));
    expect(head.headers.get('etag')).toBe(`"${sha256(data)}"`);
  });

  it('serves the Content-Type exactly as uploaded, parameters included', async () => {
    const boundary = 'ctboundary1234';
    // A Latin-1 text served as UTF-8 would be shown wrongly: the type must come back as it was sent,
    // and a type sent without a charset must not gain one.
    for (const [contentType, data] of [
      ['text/plain; charset=iso-8859-1', Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e\n', 'latin1')],
      ['text/csv', Buffer.from('a;b\n1;2\n')],
    ] as const) {
      const body = multipartBody(boundary, [{ disposition: 'form-data; name="file"; filename="t.txt"', contentType, data }]);
      const res = await rawRequest(cluster, 'POST', '/files', { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body);
      expect(res.status, res.body.toString()).toBe(201);
      const file = JSON.parse(res.body.toString()) as FileJson;
      const got = await download(cluster, file.file_id);
      expect(got.body.equals(data)).toBe(true);
      expect.soft(file.content_type, `content_type recorded for an upload of ${contentType}`).toBe(contentType);
      expect.soft(got.res.headers.get('content-type'), `Content-Type served for an upload of ${contentType}`).toBe(contentType);
    }
  });

  it('takes 50 concurrent uploads of mixed small sizes, then serves 100 concurrent downloads, all verified', async () => {
    const sizes = Array.from({ length: 50 }, (_, i) =>
      i < 6 ? [0, 1, MiB - 1, MiB, MiB + 1, 2 * MiB][i]! : randomSize(Math.floor(2.5 * MiB)),
    );
    const datas = sizes.map((n) => randomBytes(n));
    const uploaded = await Promise.all(datas.map((d, i) => upload(cluster, d, `concurrent-${i}.bin`)));
    uploaded.forEach((f, i) => {
      expect(f.size, `upload ${i}`).toBe(datas[i]!.length);
      expect(f.checksum, `upload ${i}`).toBe(sha256(datas[i]!));
    });
    expect(new Set(uploaded.map((f) => f.file_id)).size).toBe(50);

    const results = await Promise.all(
      Array.from({ length: 100 }, async (_, k) => {
        const i = k % 50;
        const { res, body } = await download(cluster, uploaded[i]!.file_id);
        return { i, status: res.status, digest: createHash('sha256').update(body).digest('hex'), length: body.length };
      }),
    );
    for (const r of results) {
      const what = `download of file ${r.i} (${sizes[r.i]} bytes)`;
      expect(r.status, what).toBe(200);
      expect(r.length, what).toBe(sizes[r.i]);
      expect(r.digest, what).toBe(uploaded[r.i]!.checksum);
    }
  });

  it('lists the six healthy nodes with their figures, and rejects registering a bad address', async () => {
    const { nodes } = await getJson<{ nodes: NodeJson[] }>(cluster, '/admin/nodes');
    expect(nodes.length).toBe(6);
    expect(new Set(nodes.map((n) => n.address))).toEqual(new Set(cluster.nodes.map((n) => n.address)));
    for (const n of nodes) {
      const what = `node ${n.address}`;
      expect(typeof n.id, what).toBe('number');
      expect(n.status, what).toBe('healthy');
      expect(typeof n.total_space, what).toBe('number');
      expect(n.total_space!, what).toBeGreaterThan(0);
      expect(typeof n.available_space, what).toBe('number');
      expect(n.available_space!, what).toBeLessThanOrEqual(n.total_space!);
      expect(typeof n.used_space, what).toBe('number');
      expect(n.used_space!, what).toBeGreaterThanOrEqual(0);
    }
    // Every node holds some of what was uploaded so far.
    expect(nodes.every((n) => n.used_space! > 0)).toBe(true);

    const before = await cluster.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM storage_nodes');
    const bad: Array<{ body: string; what: string }> = [
      { body: JSON.stringify({ address: 'not an address' }), what: 'spaces' },
      { body: JSON.stringify({ address: '127.0.0.1' }), what: 'no port' },
      { body: JSON.stringify({ address: '127.0.0.1:99999' }), what: 'port out of range' },
      { body: JSON.stringify({ address: 'http://127.0.0.1:5000/' }), what: 'a URL' },
      { body: JSON.stringify({ address: 5000 }), what: 'a number' },
      { body: JSON.stringify({}), what: 'no address' },
      { body: '{not json', what: 'malformed JSON' },
    ];
    for (const b of bad) {
      await expectApiError(
        await api(cluster, '/admin/nodes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: b.body }),
        400,
        `POST /admin/nodes with ${b.what}`,
      );
    }
    const after = await cluster.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM storage_nodes');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('leaves no stray chunk or temporary file on any node after all of the above', async () => {
    await expectNothingStray(cluster, 'after the whole suite');
    // And every chunk row has its file on the node it names.
    const rows = await cluster.db.pool.query<{ chunk_id: string; address: string }>(
      `SELECT c.chunk_id, n.address FROM chunks c JOIN storage_nodes n ON n.id = c.node_id`,
    );
    const onDisk = new Set([...(await filesOnNodes(cluster))].map((f) => `${f.split(':')[0]}:${basename(f)}`));
    const missing = rows.rows.filter((r) => !onDisk.has(`${nodeIndexOf(cluster, r.address)}:${r.chunk_id}`));
    expect(missing).toEqual([]);
  });
});

function setsEqual<T>(a: Set<T>, b: Set<T>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

// =================================================================================================

describe('placement on a fresh cluster of six nodes', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 6 });
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  it('fills the nodes evenly: after 60 files of mixed sizes, fullest and emptiest differ by at most 10% of the mean', async () => {
    // Random sizes from 0.5 to 8 MiB, cut from one random pool (the content does not matter here).
    const pool = randomBytes(8 * MiB);
    const sizes = Array.from({ length: 60 }, () => Math.floor(0.5 * MiB + Math.random() * 7.5 * MiB));
    for (const [i, size] of sizes.entries()) {
      const start = Math.floor(Math.random() * (pool.length - size + 1));
      const data = pool.subarray(start, start + size);
      const file = await upload(cluster, data, `placement-${i}.bin`);
      expect(file.checksum).toBe(sha256(data));
    }

    const r = await cluster.db.pool.query<{ address: string; used: string }>(
      `SELECT n.address, COALESCE(sum(c.size), 0)::text AS used
       FROM storage_nodes n LEFT JOIN chunks c ON c.node_id = n.id
       GROUP BY n.address`,
    );
    const used = new Map(r.rows.map((x) => [x.address, Number(x.used)]));
    expect(used.size).toBe(6);
    const values = [...used.values()];
    const total = values.reduce((a, b) => a + b, 0);
    // Data plus two parity chunks per file, each as long as its first data chunk.
    const firstChunk = (size: number): number => expectedChunks(Buffer.alloc(size))[0]!.length;
    expect(total).toBe(sizes.reduce((a, s) => a + s + PARITY_UNITS * firstChunk(s), 0));
    const mean = total / 6;
    const spread = Math.max(...values) - Math.min(...values);
    const report = `sizes ${sizes.join(',')}; per node ${values.map((v) => (v / MiB).toFixed(2)).join(', ')} MiB`;
    expect(spread, report).toBeLessThanOrEqual(0.1 * mean);

    // The gateway's own view (GET /admin/nodes) agrees with the chunks table once the probes caught up.
    let last = '';
    const agrees = await waitFor(async () => {
      const { nodes } = await getJson<{ nodes: NodeJson[] }>(cluster, '/admin/nodes');
      last = nodes.map((n) => `${n.address}=${n.used_space}/${used.get(n.address)}`).join(' ');
      return nodes.length === 6 && nodes.every((n) => n.status === 'healthy' && n.used_space === used.get(n.address));
    }, 10_000, 200);
    expect(agrees, `used_space (admin/chunks table): ${last}`).toBe(true);
  });
});

// =================================================================================================

describe('membership: nodes that register, join by themselves and leave', () => {
  let cluster: TestCluster;
  const started: StorageNodeProcess[] = [];

  beforeAll(async () => {
    // Node rows and placement are looked at here; rebalancing on join is tested in gateway-repair.
    cluster = await startTestCluster({ nodes: 6, gatewayEnv: { REBALANCE_ON_JOIN: '0' }, log: process.env.GATEWAY_TEST_LOG === '1' });
  });

  afterAll(async () => {
    for (const n of started) await n.cleanup().catch(() => undefined);
    await cluster?.destroy();
  });

  async function extraNode(env: NodeJS.ProcessEnv = {}): Promise<StorageNodeProcess> {
    const n = await startStorageNode({ CLUSTER_TOKEN: cluster.clusterToken, ...env });
    started.push(n);
    return n;
  }

  const postNode = (address: unknown): Promise<Response> =>
    api(cluster, '/admin/nodes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ address }) });

  async function nodeRows(): Promise<Array<{ id: number; address: string; node_name: string | null }>> {
    return (await cluster.db.pool.query('SELECT id, address, node_name FROM storage_nodes ORDER BY id')).rows;
  }

  async function listedNodes(): Promise<NodeJson[]> {
    return (await getJson<{ nodes: NodeJson[] }>(cluster, '/admin/nodes')).nodes;
  }

  it('POST /admin/nodes refuses (400, nothing stored) an address that is not host:port or where no storage node answers', async () => {
    const rowsBefore = await nodeRows();
    const closedPort = await freePort();
    const refused: Array<{ address: string; code: string; what: string }> = [
      { address: `127.0.0.1:${cluster.gateway.port}`, code: 'NodeUnreachable', what: "the gateway's own HTTP port" },
      { address: '127.0.0.1:5432', code: 'NodeUnreachable', what: "PostgreSQL's port" },
      { address: `127.0.0.1:${closedPort}`, code: 'NodeUnreachable', what: 'a closed port' },
      { address: 'no-such-node.invalid:50051', code: 'NodeUnreachable', what: 'a name that does not resolve' },
      { address: `${'h'.repeat(10_000)}:50051`, code: 'InvalidNodeAddress', what: 'a 10 KB host name' },
      { address: 'http://x:1/', code: 'InvalidNodeAddress', what: 'a URL' },
      { address: 'x:0', code: 'InvalidNodeAddress', what: 'port 0' },
      { address: 'a b:1', code: 'InvalidNodeAddress', what: 'a space' },
    ];
    for (const r of refused) {
      const t0 = Date.now();
      const body = await expectApiError(await postNode(r.address), 400, `POST /admin/nodes with ${r.what}`);
      expect(body.code, r.what).toBe(r.code);
      expect(body.error.length, r.what).toBeLessThan(1000); // a 10 KB address is not quoted back
      if (r.code === 'NodeUnreachable') expect(body.error, r.what).toMatch(/no storage node answered HealthCheck/);
      expect(Date.now() - t0, `${r.what}: answered within the probe deadline`).toBeLessThan(10_000);
    }
    expect(await nodeRows()).toEqual(rowsBefore);
    expect((await listedNodes()).map((n) => n.address).sort()).toEqual(rowsBefore.map((r) => r.address).sort());
  });

  it('a valid node is 201, then 200 when announced again, and its other names are the same node (200, no new row)', async () => {
    const extra = await extraNode({ NODE_ID: 'extra-by-hand' });
    const first = await postNode(extra.address);
    const created = (await first.json()) as NodeJson;
    expect(first.status).toBe(201);
    expect(created).toMatchObject({ address: extra.address, status: 'healthy' });
    const again = await postNode(` ${extra.address} `);
    expect(again.status).toBe(200);
    expect(((await again.json()) as NodeJson).id).toBe(created.id);
    // The same process under another name: answered as the node already registered.
    const alias = await postNode(`LOCALHOST:${extra.port}`);
    expect(alias.status).toBe(200);
    expect((await alias.json()) as NodeJson).toMatchObject({ id: created.id, address: extra.address });
    const rows = (await nodeRows()).filter((r) => r.node_name === 'extra-by-hand');
    expect(rows).toEqual([{ id: created.id, address: extra.address, node_name: 'extra-by-hand' }]);

    // Empty, it can be removed: gone from the table and from the gateway's list, and 404 afterwards.
    const del = await api(cluster, `/admin/nodes/${created.id}`, { method: 'DELETE' });
    expect(del.status, await del.clone().text()).toBe(200);
    expect(await del.json()).toMatchObject({ id: created.id, address: extra.address });
    expect((await nodeRows()).map((r) => r.id)).not.toContain(created.id);
    expect((await listedNodes()).map((n) => n.id)).not.toContain(created.id);
    await expectApiError(await api(cluster, `/admin/nodes/${created.id}`, { method: 'DELETE' }), 404, 'DELETE a removed node');
    await expectApiError(await api(cluster, '/admin/nodes/99999', { method: 'DELETE' }), 404, 'DELETE an unknown node');
    await expectApiError(await api(cluster, '/admin/nodes/abc', { method: 'DELETE' }), 400, 'DELETE a node id that is not a number');
    // Probes of the removed node stopped: its row does not come back, the list stays without it.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await nodeRows()).map((r) => r.id)).not.toContain(created.id);
    expect((await listedNodes()).map((n) => n.id)).not.toContain(created.id);
  });

  it('a node that comes back at another address keeps its row instead of becoming a second node', async () => {
    const first = await extraNode({ NODE_ID: 'mover' });
    const reg = await postNode(first.address);
    expect(reg.status).toBe(201);
    const { id } = (await reg.json()) as NodeJson;
    await first.stop();
    // The same node (same NODE_ID and data) on another port: its old address answers nothing now.
    const moved = await extraNode({ NODE_ID: 'mover', DATA_DIR: first.dataDir });
    expect(moved.port).not.toBe(first.port);
    const again = await postNode(moved.address);
    expect(again.status).toBe(200);
    expect((await again.json()) as NodeJson).toMatchObject({ id, address: moved.address, status: 'healthy' });
    expect((await nodeRows()).filter((r) => r.node_name === 'mover')).toEqual([{ id, address: moved.address, node_name: 'mover' }]);
    expect(await waitFor(async () => (await listedNodes()).find((n) => n.id === id)?.status === 'healthy', 10_000, 100)).toBe(true);
    const del = await api(cluster, `/admin/nodes/${id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
  });

  it('a seventh node started with JOIN_URL appears healthy, receives chunks of the next uploads, and is shown down once killed; a node holding chunks cannot be removed (409)', async () => {
    const joiner = await extraNode({ JOIN_URL: cluster.gatewayUrl, ANNOUNCE_INTERVAL_MS: '300', NODE_ID: 'joiner' });
    let mine: NodeJson | undefined;
    const appeared = await waitFor(async () => {
      mine = (await listedNodes()).find((n) => n.address === joiner.address);
      return mine?.status === 'healthy';
    }, 20_000, 100);
    expect(appeared, `joined node in GET /admin/nodes: ${JSON.stringify(mine)}`).toBe(true);
    const id = mine!.id;

    const files: Array<{ data: Buffer; file: FileJson }> = [];
    for (let i = 0; i < 4; i++) {
      const data = randomBytes(4 * MiB + i * 1000);
      files.push({ data, file: await upload(cluster, data, `joined-${i}.bin`) });
    }
    const held = await cluster.db.pool.query<{ chunk_id: string }>('SELECT chunk_id FROM chunks WHERE node_id = $1', [id]);
    expect(held.rows.length, 'chunks placed on the joined node').toBeGreaterThan(0);
    const onDisk = new Set((await storedFiles(joiner.dataDir)).map((f) => basename(f)));
    for (const r of held.rows) expect(onDisk.has(r.chunk_id), r.chunk_id).toBe(true);
    for (const { data, file } of files) {
      const { res, body } = await download(cluster, file.file_id);
      expect(res.status).toBe(200);
      expect(sha256(body)).toBe(sha256(data));
    }
    // It keeps announcing without creating rows or spamming its log: one line for the registration.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await nodeRows()).filter((r) => r.address === joiner.address)).toHaveLength(1);
    expect(joiner.output().match(/announced /g) ?? []).toHaveLength(1);

    const del = await expectApiError(await api(cluster, `/admin/nodes/${id}`, { method: 'DELETE' }), 409, 'DELETE a node holding chunks');
    expect(del.code).toBe('NodeNotEmpty');
    expect(del.error).toContain(`still holds ${held.rows.length} chunks`);

    joiner.child.kill('SIGKILL');
    const down = await waitFor(async () => (await listedNodes()).find((n) => n.id === id)?.status === 'down', 20_000, 100);
    expect(down, 'killed node shown down').toBe(true);
    expect((await nodeRows()).map((r) => r.id)).toContain(id); // still registered: its chunks are there
  });
});
