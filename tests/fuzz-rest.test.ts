// Fuzzing the REST API (security issue): seeded, reproducible, bounded. Five surfaces of at least
// 1,000 cases each against a real cluster (AUTH=off: the published unauthenticated contract):
// multipart uploads, URLs and ids, request headers (Range above all), the listing's query string
// and the admin API's JSON bodies. Every case must get an answer or a close (never a hang), no 5xx
// but a 503 for an unavailable dependency, errors as JSON; well-formed cases must get exactly what
// they asked for. After each surface every process runs, the gateway's memory is back under its
// bound, it logged no server failure, and no row, temporary file or chunk of a failed request is
// left. FUZZ_SEED / FUZZ_CASES / FUZZ_CASE replay (see tests/fuzz/prng.ts); one line per surface.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { api, uploadBuffer } from './helpers/raw-upload.js';
import { residentBytes } from './helpers/storage-client.js';
import { adminCase, adminRequest, describeAdminCase } from './fuzz/admin-json-cases.js';
import { deadProcesses, leftovers, MiB, nothingLeft, ProcessLog, serverErrors, settledLeftovers, settledResident } from './fuzz/cluster-checks.js';
import { failureMessage, runSurface, summaryLine, type Surface, type SurfaceReport } from './fuzz/fuzz-runner.js';
import { describeHeaderCase, headerCase, headerRequest, type HeaderFixture } from './fuzz/header-cases.js';
import { rawRequest, type RawResponse } from './fuzz/http-exchange.js';
import { judgeRest } from './fuzz/http-judge.js';
import { describeListingCase, listingCase, listingRequest } from './fuzz/listing-cases.js';
import { describeMultipartCase, multipartCase } from './fuzz/multipart-cases.js';
import { describePathCase, pathCase, pathRequest } from './fuzz/path-cases.js';
import { fuzzSettings, Rng } from './fuzz/prng.js';

const settings = fuzzSettings(process.env, () => randomBytes(4).readUInt32BE());
/** Small limits, so that cases reach them with little data: 413s, stripes spanned, upload slots. */
const MAX_FILE_BYTES = 512 * 1024;
const STRIPE_UNIT = 64 * 1024;
const MAX_UPLOADS = 16;
/** Growth of the gateway's resident memory a surface may leave, once it has settled. */
const RSS_ALLOWANCE = 150 * MiB;
const CONCURRENCY = 8;

let c: TestCluster;
let gatewayLog: ProcessLog;
const port = (): number => Number(new URL(c.gatewayUrl).port);
/** Fixture files: id → content. */
const fixtures = new Map<string, Buffer>();
const fixtureIds = (): string[] => [...fixtures.keys()];

async function newKeys(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await api(`${c.gatewayUrl}/admin/keys`, { method: 'POST', body: { name: `fuzz ${i}` } });
    expect(r.status, r.text).toBe(201);
    ids.push(r.json.access_key_id as string);
  }
  return ids;
}

beforeAll(async () => {
  c = await startTestCluster({
    gatewayEnv: { AUTH: 'off', MAX_FILE_SIZE: String(MAX_FILE_BYTES), STRIPE_UNIT: String(STRIPE_UNIT), MAX_UPLOADS: String(MAX_UPLOADS) },
    nodeEnv: { AUTH: 'off' },
  });
  gatewayLog = new ProcessLog(c.gateway.child);
  // Sizes around the block (64 KiB), stripe unit and stripe (4 units) edges, and none at all.
  const rng = new Rng(settings.seed);
  for (const size of [0, 1, 3_000, STRIPE_UNIT - 1, STRIPE_UNIT, STRIPE_UNIT + 1, 4 * STRIPE_UNIT + 5, 300_001, MAX_FILE_BYTES]) {
    const data = rng.bytes(size);
    const up = await uploadBuffer(c.gatewayUrl, data, `fixture-${size}.bin`);
    expect(up.status, up.text).toBe(201);
    fixtures.set(up.json.file_id as string, data);
  }
});

afterAll(async () => {
  await c?.destroy();
});

/** Runs a surface, prints its line, and asserts the cases and then the cluster. */
async function fuzz<C>(surface: Surface<C>, afterCases: () => Promise<void> = async () => undefined): Promise<SurfaceReport> {
  const pid = c.gateway.child.pid!;
  const rssBefore = await residentBytes(pid);
  const logMark = gatewayLog.mark();
  const report = await runSurface(surface, settings);
  await afterCases();
  const rss = await settledResident(pid, rssBefore + RSS_ALLOWANCE);
  const left = await settledLeftovers(c, c.db.pool);
  console.log(`${summaryLine(report)}; gateway RSS ${(rssBefore / MiB).toFixed(0)} -> ${(rss / MiB).toFixed(0)} MiB`);
  expect(report.failures.length, failureMessage(report)).toBe(0);
  if (settings.onlyCase === null) expect(report.cases).toBeGreaterThanOrEqual(1_000);
  expect(deadProcesses(c), 'processes that died').toEqual([]);
  expect(rss, `gateway RSS after ${surface.name} (before: ${rssBefore})`).toBeLessThanOrEqual(rssBefore + RSS_ALLOWANCE);
  expect(left, `left behind after ${surface.name}`).toEqual({ uploading: [], tempFiles: [], orphanChunks: [], queuedDeletions: 0 });
  expect(serverErrors(gatewayLog.since(logMark)).slice(0, 10), 'server failures in the gateway log').toEqual([]);
  return report;
}

const problem = (outcome: string, text: string) => ({ outcome, problem: text });

test('multipart uploads: truncated, wrong or missing boundaries, lying lengths, huge part headers, thousands of fields', async () => {
  const created = new Set<string>();
  const before = new Set((await c.db.pool.query<{ id: string }>(`SELECT id FROM files`)).rows.map((r) => r.id));
  await fuzz(
    {
      name: 'rest-multipart',
      concurrency: CONCURRENCY,
      generate: (rng, index) => multipartCase(rng, { maxFileBytes: MAX_FILE_BYTES, tag: `case-${index}` }),
      describe: describeMultipartCase,
      async run(k) {
        const r = await rawRequest(port(), k.request);
        const judged = judgeRest(r);
        let json: { file_id?: string; size?: number; checksum?: string } | null = null;
        if (r.status === 201) {
          json = JSON.parse(r.body.toString('utf8')) as typeof json;
          created.add(json!.file_id!);
        }
        if (judged.problem) return judged;
        if (k.expected?.status === 201) {
          if (r.status !== 201) return problem(judged.outcome, `a well-formed upload got ${r.status ?? r.end}: ${r.body.toString('utf8').slice(0, 300)}`);
          if (json!.size !== k.expected.size || json!.checksum !== k.expected.sha256) {
            return problem(judged.outcome, `stored ${json!.size} bytes with SHA-256 ${json!.checksum}, sent ${k.expected.size} with ${k.expected.sha256}`);
          }
        }
        if (k.expected?.status === 413 && r.status !== 413) return problem(judged.outcome, `a file over the limit got ${r.status ?? r.end}`);
        return judged;
      },
    },
    async () => {
      // Files that became visible are exactly those whose client was told 201; then they go.
      const now = (await c.db.pool.query<{ id: string; filename: string }>(`SELECT id, filename FROM files WHERE status = 'completed'`)).rows;
      const unannounced = now.filter((f) => !before.has(f.id) && !created.has(f.id)).map((f) => `${f.id} (${f.filename.slice(0, 60)})`);
      expect(unannounced, 'files stored although the client never got a 201').toEqual([]);
      for (const id of created) expect((await api(`${c.gatewayUrl}/files/${id}`, { method: 'DELETE' })).status).toBe(200);
    },
  );
});

test('URLs and ids: traversal, encodings, 100 KB paths, every method', async () => {
  const keyIds = await newKeys(3);
  await fuzz({
    name: 'rest-paths',
    concurrency: CONCURRENCY,
    generate: (rng) => pathCase(rng, { fileIds: fixtureIds(), keyIds }),
    describe: describePathCase,
    async run(k) {
      const r = await rawRequest(port(), { pieces: [pathRequest(k)], then: 'wait', head: k.method === 'HEAD' });
      const judged = judgeRest(r, k.method === 'HEAD');
      if (judged.problem) return judged;
      // Deletions never name a file that exists (see path-cases.ts): one that succeeds went astray.
      if (k.method === 'DELETE' && k.target.startsWith('/files') && r.status === 200) return problem(judged.outcome, `a DELETE removed something: ${r.body.toString('utf8').slice(0, 200)}`);
      if (k.readsFixture === null) return judged;
      const content = fixtures.get(fixtureIds()[k.readsFixture]!)!;
      if (r.status !== 200 || !r.body.equals(content)) return problem(judged.outcome, `GET of a fixture gave ${r.status} with ${r.body.length} bytes, not its ${content.length} bytes`);
      return judged;
    },
  });
  // The fixture is whole: no path reached a DELETE of it.
  for (const [id, content] of fixtures) expect((await rawRequest(port(), { pieces: [pathRequest({ method: 'GET', target: `/files/${id}`, readsFixture: 0 })], then: 'wait' })).body.equals(content)).toBe(true);
});

/** The bytes a 200 or 206 answer must carry for a fixture, or why it is wrong. */
function rangeProblem(r: RawResponse, f: HeaderFixture, content: Buffer, head: boolean, expected: [number, number] | null): string | null {
  if (expected && r.status !== 206) return `the range ${expected.join('-')} got ${r.status}`;
  if (r.status === 200) {
    if (Number(r.headers['content-length']) !== f.size) return `200 with Content-Length ${r.headers['content-length']} for ${f.size} bytes`;
    if (!head && !r.body.equals(content)) return `200 with other bytes than the file's`;
  }
  if (r.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(r.headers['content-range'] ?? '');
    if (!m) return `206 with Content-Range ${r.headers['content-range']}`;
    const [start, end, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (size !== f.size || start > end || end >= f.size) return `206 with Content-Range ${r.headers['content-range']} for ${f.size} bytes`;
    if (expected && (start !== expected[0] || end !== expected[1])) return `206 for ${start}-${end}, asked ${expected.join('-')}`;
    if (Number(r.headers['content-length']) !== end - start + 1) return `206 ${start}-${end} with Content-Length ${r.headers['content-length']}`;
    if (!head && !r.body.equals(content.subarray(start, end + 1))) return `206 ${start}-${end} with other bytes than the file's`;
  }
  if (r.status === 416 && r.headers['content-range'] !== `bytes */${f.size}`) return `416 with Content-Range ${r.headers['content-range']}`;
  return null;
}

test('headers: Range fuzz, thousands of headers, bad names and values, odd versions', async () => {
  const files: HeaderFixture[] = [...fixtures].filter(([, d]) => d.length > 0).map(([id, d]) => ({ id, size: d.length }));
  await fuzz({
    name: 'rest-headers',
    concurrency: CONCURRENCY,
    generate: (rng) => headerCase(rng, files),
    describe: describeHeaderCase,
    async run(k) {
      const head = k.method === 'HEAD';
      const r = await rawRequest(port(), { pieces: [headerRequest(k)], then: 'wait', head });
      const judged = judgeRest(r, head);
      if (judged.problem || !k.fixture) return judged;
      const p = rangeProblem(r, k.fixture, fixtures.get(k.fixture.id)!, head, k.expectedRange);
      return p ? problem(judged.outcome, p) : judged;
    },
  });
});

test('query strings of the listing: paging values, cursors issued, mutated and forged, odd parameters', async () => {
  // Cursors as the gateway issues them, along a whole keyset listing.
  const cursors: string[] = [];
  for (let cursor: string | null = null, i = 0; i < 20; i++) {
    const page = await api(`${c.gatewayUrl}/files?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status, page.text).toBe(200);
    cursor = page.json.next_cursor as string | null;
    if (!cursor) break;
    cursors.push(cursor);
  }
  expect(cursors.length).toBeGreaterThan(2);
  await fuzz({
    name: 'rest-listing',
    concurrency: CONCURRENCY,
    generate: (rng) => listingCase(rng, cursors),
    describe: describeListingCase,
    async run(k) {
      const r = await rawRequest(port(), { pieces: [listingRequest(k)], then: 'wait' });
      const judged = judgeRest(r);
      if (judged.problem) return judged;
      if (k.valid && r.status !== 200) return problem(judged.outcome, `a valid listing got ${r.status}: ${r.body.toString('utf8').slice(0, 200)}`);
      if (r.status !== 200) return judged;
      const json = JSON.parse(r.body.toString('utf8')) as { files: Array<{ status: string }>; per_page?: number; limit?: number };
      if (!Array.isArray(json.files) || json.files.some((f) => f.status !== 'completed')) return problem(judged.outcome, `a listing that is not a list of completed files: ${r.body.toString('utf8').slice(0, 200)}`);
      if (k.valid?.mode === 'page' && (json.per_page !== k.valid.perPage || json.files.length > k.valid.perPage)) return problem(judged.outcome, `per_page ${json.per_page} with ${json.files.length} files, asked ${k.valid.perPage}`);
      if (k.valid?.mode === 'keyset' && (json.limit !== k.valid.limit || json.files.length > k.valid.limit)) return problem(judged.outcome, `limit ${json.limit} with ${json.files.length} files, asked ${k.valid.limit}`);
      return judged;
    },
  });
});

test('JSON bodies of the admin API: keys, grants, node registration', async () => {
  const keyIds = await newKeys(3);
  const harmlessAddresses = ['127.0.0.1:1', ...c.nodes.map((n) => n.address), `127.0.0.1:${port()}`];
  const nodesBefore = (await c.db.pool.query(`SELECT id, address FROM storage_nodes ORDER BY id`)).rows;
  await fuzz({
    name: 'rest-admin-json',
    concurrency: CONCURRENCY,
    generate: (rng) => adminCase(rng, { keyIds, harmlessAddresses }),
    describe: describeAdminCase,
    async run(k) {
      const r = await rawRequest(port(), { pieces: [adminRequest(k)], then: k.then });
      const judged = judgeRest(r);
      if (judged.problem || k.expect === null) return judged;
      return k.expect.includes(r.status ?? 0) ? judged : problem(judged.outcome, `a well-formed body got ${r.status ?? r.end}, expected ${k.expect.join(' or ')}: ${r.body.toString('utf8').slice(0, 200)}`);
    },
  });
  // No node was added, moved or lost.
  expect((await c.db.pool.query(`SELECT id, address FROM storage_nodes ORDER BY id`)).rows).toEqual(nodesBefore);
});

test('after every surface: the fixture is intact and the gateway serves', async () => {
  for (const [id, content] of fixtures) {
    const r = await rawRequest(port(), { pieces: [Buffer.from(`GET /files/${id} HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n`)], then: 'wait' });
    expect(r.status).toBe(200);
    expect(r.body.equals(content)).toBe(true);
  }
  expect(nothingLeft(await leftovers(c, c.db.pool))).toBe(true);
  expect((await api(`${c.gatewayUrl}/health`)).json.status).toBe('healthy');
});
