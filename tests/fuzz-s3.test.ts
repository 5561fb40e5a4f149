// Fuzzing the S3 API (security issue): seeded, reproducible, bounded. Two surfaces of at least 1,000
// cases each against a real cluster: XML bodies (CompleteMultipartUpload, DeleteObjects, CORS,
// CreateBucket and versioning configurations), signed properly so they reach the parsers, and SigV4
// itself (keys, scopes, dates, presigned URLs, headers mutated after signing). Every case must get
// an answer or a close, no 5xx but 503 for an unavailable dependency (and 501 NotImplemented, S3's
// answer to what it does not offer), errors as S3 <Error> documents; valid documents get what they
// ask for; a forged request is always refused and an untouched one accepted. After each surface:
// every process runs, the gateway's memory is back under its bound, it logged no server failure,
// and no row, upload, object or chunk of a failed request is left. FUZZ_SEED / FUZZ_CASES / FUZZ_CASE
// replay (see tests/fuzz/prng.ts).
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { residentBytes } from './helpers/storage-client.js';
import { deadProcesses, MiB, ProcessLog, serverErrors, settledLeftovers, settledResident } from './fuzz/cluster-checks.js';
import { failureMessage, runSurface, summaryLine, type CaseResult, type Surface, type SurfaceReport } from './fuzz/fuzz-runner.js';
import { rawRequest, type RawResponse } from './fuzz/http-exchange.js';
import { judgeS3 } from './fuzz/http-judge.js';
import { fuzzSettings } from './fuzz/prng.js';
import { encodeQueryPart, presignedQuery, queryString, rawS3Request, signedHeaders, target, type S3Key, type S3Request } from './fuzz/s3-signing.js';
import { describeXmlCase, xmlCase, type XmlCase } from './fuzz/s3-xml-cases.js';
import { describeSigCase, sigCase, sigExpectation, type Outgoing, type SigCase } from './fuzz/sigv4-cases.js';

const settings = fuzzSettings(process.env, () => randomBytes(4).readUInt32BE());
const ROOT: S3Key = { accessKeyId: 'AKIAFUZZROOTKEY00001', secretAccessKey: randomBytes(30).toString('base64') };
const REGION = 'us-east-1';
const RSS_ALLOWANCE = 150 * MiB;
const CONCURRENCY = 8;
/** Open multipart uploads the CompleteMultipartUpload cases complete (one is opened again after each success). */
const UPLOAD_SLOTS = 12;
/** Parts 1..3 of every upload: the same bytes, so the same ETags, in each. */
const PARTS = [1, 2, 3].map((p) => Buffer.from(`part ${p} `.repeat(300 * p)));
const PART_ETAGS = PARTS.map((p) => createHash('md5').update(p).digest('hex'));
const XML_BUCKET = 'fuzz-xml';
const CORS_BUCKET = 'fuzz-cors';
const SIG_BUCKET = 'fuzz-sig';
const OBJECT_KEYS = Array.from({ length: 10 }, (_, i) => `obj-${i}`);

let c: TestCluster;
let gatewayLog: ProcessLog;
const s3Port = (): number => Number(new URL(c.s3Url).port);
const host = (): string => `127.0.0.1:${s3Port()}`;

/** A request signed with the root key, now, sent as raw bytes. */
async function s3(method: string, path: string, query: Record<string, string> = {}, body: Buffer = Buffer.alloc(0), extra: Record<string, string> = {}): Promise<RawResponse> {
  const r: S3Request = { method, path, query, headers: extra, body };
  const headers = await signedHeaders(r, host(), { key: ROOT, region: REGION, service: 's3', date: new Date() });
  return rawRequest(s3Port(), { pieces: [rawS3Request(method, target(path, queryString(query)), Object.entries(headers), body)], then: 'wait', head: method === 'HEAD' });
}

async function ok(method: string, path: string, query: Record<string, string> = {}, body: Buffer = Buffer.alloc(0)): Promise<RawResponse> {
  const r = await s3(method, path, query, body);
  expect(r.status, `${method} ${path}: ${r.body.toString('utf8').slice(0, 300)}`).toBeLessThan(300);
  return r;
}

/** A multipart upload of `key` with parts 1..3 uploaded; its id. */
async function openUpload(key: string): Promise<string> {
  const created = await ok('POST', `/${XML_BUCKET}/${key}`, { uploads: '' });
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body.toString('utf8'))![1]!;
  for (const [i, part] of PARTS.entries()) await ok('PUT', `/${XML_BUCKET}/${key}`, { partNumber: String(i + 1), uploadId }, part);
  return uploadId;
}

const count = async (sql: string, params: unknown[] = []): Promise<number> => Number((await c.db.pool.query<{ n: string }>(sql, params)).rows[0]!.n);

beforeAll(async () => {
  c = await startTestCluster({
    gatewayEnv: { S3_ROOT_ACCESS_KEY: ROOT.accessKeyId, S3_ROOT_SECRET_KEY: ROOT.secretAccessKey, MIN_PART_SIZE: '0', DELETE_GRACE_MS: '0', JANITOR_INTERVAL_MS: '500' },
  });
  gatewayLog = new ProcessLog(c.gateway.child);
  for (const bucket of [XML_BUCKET, CORS_BUCKET, SIG_BUCKET]) await ok('PUT', `/${bucket}`);
  for (const key of OBJECT_KEYS) await ok('PUT', `/${XML_BUCKET}/${key}`, {}, Buffer.from(key));
  await ok('PUT', `/${SIG_BUCKET}/existing`, {}, Buffer.from('existing'));
});

afterAll(async () => {
  await c?.destroy();
});

async function fuzz<C>(surface: Surface<C>): Promise<SurfaceReport> {
  const pid = c.gateway.child.pid!;
  const rssBefore = await residentBytes(pid);
  const logMark = gatewayLog.mark();
  const report = await runSurface(surface, settings);
  const rss = await settledResident(pid, rssBefore + RSS_ALLOWANCE);
  console.log(`${summaryLine(report)}; gateway RSS ${(rssBefore / MiB).toFixed(0)} -> ${(rss / MiB).toFixed(0)} MiB`);
  expect(report.failures.length, failureMessage(report)).toBe(0);
  if (settings.onlyCase === null) expect(report.cases).toBeGreaterThanOrEqual(1_000);
  expect(deadProcesses(c), 'processes that died').toEqual([]);
  expect(rss, `gateway RSS after ${surface.name} (before: ${rssBefore})`).toBeLessThanOrEqual(rssBefore + RSS_ALLOWANCE);
  expect(serverErrors(gatewayLog.since(logMark)).slice(0, 10), 'server failures in the gateway log').toEqual([]);
  return report;
}

const problem = (outcome: string, text: string): CaseResult => ({ outcome, problem: text });

test('XML bodies: CompleteMultipartUpload, DeleteObjects, CORS, bucket configurations', async () => {
  // Upload slots: each case on a slot runs alone on it, in case order, so a success is followed by a fresh upload.
  const slots = await Promise.all(Array.from({ length: UPLOAD_SLOTS }, async (_, i) => ({ key: `mp-${i}`, uploadId: await openUpload(`mp-${i}`), queue: Promise.resolve() as Promise<unknown> })));
  const createdBuckets: string[] = [];
  const onSlot = <T>(slot: (typeof slots)[number], work: () => Promise<T>): Promise<T> => {
    const run = slot.queue.then(work, work);
    slot.queue = run.catch(() => undefined);
    return run;
  };

  const send = async (k: XmlCase, index: number, slot: (typeof slots)[number]): Promise<{ r: RawResponse; path: string }> => {
    const headers: Record<string, string> = k.contentMd5 === null ? {} : { 'content-md5': k.contentMd5 };
    const [method, path, query] = {
      complete: ['POST', `/${XML_BUCKET}/${slot.key}`, { uploadId: slot.uploadId }],
      delete: ['POST', `/${XML_BUCKET}`, { delete: '' }],
      cors: ['PUT', `/${CORS_BUCKET}`, { cors: '' }],
      'create-bucket': ['PUT', `/fz-cb-${index}`, {}],
      versioning: ['PUT', `/${XML_BUCKET}`, { versioning: '' }],
    }[k.target] as [string, string, Record<string, string>];
    return { r: await s3(method, path, query, k.body, headers), path };
  };

  await fuzz({
    name: 's3-xml',
    concurrency: CONCURRENCY,
    generate: (rng) => xmlCase(rng, { partEtags: PART_ETAGS, keys: OBJECT_KEYS, region: REGION }),
    describe: describeXmlCase,
    async run(k, index) {
      const slot = slots[index % UPLOAD_SLOTS]!;
      return onSlot(slot, async () => {
        const { r, path } = await send(k, index, slot);
        const judged = judgeS3(r);
        if (k.target === 'create-bucket' && r.status === 200) createdBuckets.push(path.slice(1));
        if (judged.problem) return judged;
        if (k.expect !== null && r.status !== k.expect) return problem(judged.outcome, `a valid ${k.target} got ${r.status ?? r.end}: ${r.body.toString('utf8').slice(0, 300)}`);
        const text = r.body.toString('utf8');
        if (r.status === 200 && /<Code>InternalError<\/Code>/.test(text)) return problem(judged.outcome, `an InternalError inside a 200: ${text.slice(0, 300)}`);
        if (k.target === 'complete' && r.status === 200) {
          // The object is made of the parts named; the slot gets a new upload.
          slot.uploadId = await openUpload(slot.key);
          const head = await s3('HEAD', path);
          const size = (k.parts ?? []).reduce((sum, p) => sum + PARTS[p - 1]!.length, 0);
          if (k.parts && Number(head.headers['content-length']) !== size) return problem(judged.outcome, `completed object of ${head.headers['content-length']} bytes, parts ${k.parts.join(',')} make ${size}`);
        }
        if (k.target === 'cors' && r.status === 200) {
          // What was stored reads back, and preflights are answered from it.
          const back = await s3('GET', `/${CORS_BUCKET}`, { cors: '' });
          if (back.status !== 200) return problem(judged.outcome, `GetBucketCors after a 200 PutBucketCors: ${back.status} ${back.body.toString('utf8').slice(0, 200)}`);
          const pre = await rawRequest(s3Port(), {
            pieces: [Buffer.from(`OPTIONS /${CORS_BUCKET}/x HTTP/1.1\r\nHost: ${host()}\r\nOrigin: https://example.com\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n`)],
            then: 'wait',
          });
          const judgedPre = judgeS3(pre);
          if (judgedPre.problem) return problem(judged.outcome, `preflight: ${judgedPre.problem}`);
        }
        return judged;
      });
    },
  });
  await Promise.all(slots.map((s) => s.queue));

  // Nothing of a failed request stayed: the open uploads are the slots', the objects are the ones
  // made on purpose, no uploading row, temporary file, orphan chunk or queued deletion.
  expect(await count('SELECT count(*) AS n FROM multipart_uploads')).toBe(UPLOAD_SLOTS);
  const keys = (await c.db.pool.query<{ object_key: string }>(`SELECT object_key FROM files f JOIN buckets b ON b.id = f.bucket_id WHERE b.name = $1 AND f.parent_id IS NULL AND f.upload_id IS NULL AND f.object_key IS NOT NULL`, [XML_BUCKET])).rows.map((r) => r.object_key);
  expect(keys.filter((key) => !OBJECT_KEYS.includes(key) && !slots.some((s) => s.key === key)), 'objects no case made').toEqual([]);
  const left = await settledLeftovers(c, c.db.pool);
  expect(left, 'left behind by the XML cases').toEqual({ uploading: [], tempFiles: [], orphanChunks: [], queuedDeletions: 0 });
  for (const s of slots) expect((await s3('DELETE', `/${XML_BUCKET}/${s.key}`, { uploadId: s.uploadId })).status).toBe(204);
  for (const b of createdBuckets) expect((await s3('DELETE', `/${b}`)).status).toBe(204);
  expect(await count('SELECT count(*) AS n FROM multipart_uploads')).toBe(0);
  expect(await settledLeftovers(c, c.db.pool)).toEqual({ uploading: [], tempFiles: [], orphanChunks: [], queuedDeletions: 0 });
});

function keyFor(k: SigCase, index: number): S3Key {
  switch (k.keyKind) {
    case 'root':
      return ROOT;
    case 'unknown-id':
      return { accessKeyId: `AKIAUNKNOWN${String(index).padStart(9, '0')}`, secretAccessKey: ROOT.secretAccessKey };
    case 'bad-id':
      return { accessKeyId: ['a', 'AKIA IS BAD', 'x'.repeat(200), 'AKIA\u00e9', 'A_B-C'][index % 5]!, secretAccessKey: ROOT.secretAccessKey };
    default:
      return { accessKeyId: ROOT.accessKeyId, secretAccessKey: `${ROOT.secretAccessKey}x` };
  }
}

test('SigV4: keys, scopes and dates, presigned URLs, headers mutated after signing', async () => {
  const stored = new Set<string>(); // keys a PUT was answered 200 for
  let accepted = 0;
  await fuzz({
    name: 's3-sigv4',
    concurrency: CONCURRENCY,
    generate: (rng, index) => sigCase(rng, { bucket: SIG_BUCKET, existingKey: 'existing', region: REGION }, index),
    describe: describeSigCase,
    async run(k, index) {
      const r: S3Request = { method: k.method, path: k.path, query: k.query, headers: {}, body: k.body };
      const variant = { key: keyFor(k, index), region: k.region, service: k.service, date: new Date(Date.now() + k.dateOffsetMs), unsignedPayload: k.unsignedPayload };
      const o: Outgoing =
        k.base === 'presigned-get'
          ? { method: k.method, path: k.path, query: Object.entries(await presignedQuery(r, host(), variant, k.expiresIn)), headers: [['host', host()]] }
          : { method: k.method, path: k.path, query: Object.entries(k.query), headers: Object.entries(await signedHeaders(r, host(), variant)) };
      // A mutation that changed nothing forges nothing, and neither do mutations that undo each
      // other (a parameter doubled, then one of the two dropped: only the order changed).
      const canonical = (x: Outgoing): string => JSON.stringify([x.method, x.path, [...x.query].map(String).sort(), [...x.headers].map(String).sort()]);
      const original = canonical(o);
      let effective = k.mutations.filter((m) => {
        const before = JSON.stringify(o);
        m.apply(o);
        return JSON.stringify(o) !== before;
      });
      if (canonical(o) === original) effective = [];
      const expected = sigExpectation(k, effective);
      const qs = o.query.map(([n, v]) => `${encodeQueryPart(n)}=${encodeQueryPart(v)}`).join('&');
      const res = await rawRequest(s3Port(), { pieces: [rawS3Request(o.method, target(o.path, qs), o.headers, k.body)], then: 'wait', head: o.method === 'HEAD' });
      const judged = judgeS3(res, o.method === 'HEAD');
      if (k.base === 'put' && res.status === 200 && o.method === 'PUT') stored.add(k.path.split('/').slice(2).join('/'));
      if (judged.problem) return judged;
      const status = res.status ?? 0;
      const what = `${effective.map((m) => m.name).join(', ') || 'no mutation'}`;
      if (expected === 'ok' && (status < 200 || status > 299)) return problem(judged.outcome, `an authentic request (${what}) got ${res.status ?? res.end}: ${res.body.toString('utf8').slice(0, 300)}`);
      if (expected === 'denied' && status >= 200 && status < 400) return problem(judged.outcome, `a forged request (${what}) was accepted with ${status}`);
      if (status >= 200 && status < 300) accepted++;
      return judged;
    },
  });
  expect(accepted, 'authentic requests accepted (the surface reaches past authentication)').toBeGreaterThan(100);
  // Objects: only those whose PUT was answered 200 (a refused PUT stores nothing).
  const keys = (await c.db.pool.query<{ object_key: string }>(`SELECT object_key FROM files f JOIN buckets b ON b.id = f.bucket_id WHERE b.name = $1 AND f.object_key IS NOT NULL`, [SIG_BUCKET])).rows.map((r) => r.object_key);
  expect(keys.filter((key) => key !== 'existing' && !stored.has(key)), 'objects stored by refused requests').toEqual([]);
  expect(await settledLeftovers(c, c.db.pool)).toEqual({ uploading: [], tempFiles: [], orphanChunks: [], queuedDeletions: 0 });
});
