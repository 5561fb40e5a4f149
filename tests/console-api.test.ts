// What the web console reads from the gateway, against a real cluster with REST authentication on:
// GET /buckets/{bucket}/entries (every entry exactly once across keyset pages, by date and by name,
// with a prefix, for S3 buckets and the REST API's files; each page a walk of an index), one entry
// with its chunks or its parts, who may list what, /whoami, and the S3 API's CORS answers to the
// console's origin (errors included) and to no other.
import { CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EntryStore } from '../gateway/metadata/entry-store.js';
import { compareKeys } from '../gateway/s3/key-order.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';

const MiB = 1024 * 1024;
let cluster: TestCluster;
let s3: S3Client;
let token: string;
let consoleOrigin: string;

interface Entry {
  id: string;
  name: string;
  size: number;
  content_type: string;
  modified_at: string;
}

async function rest(path: string, init: { token?: string; method?: string; body?: unknown } = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`${cluster.gatewayUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(init.token !== '' ? { authorization: `Bearer ${init.token ?? token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** Every entry, a page of `limit` at a time, following next_cursor. */
async function walk(bucket: string, query: Record<string, string>, limit: number): Promise<Entry[]> {
  const all: Entry[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const q = new URLSearchParams({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
    const r = await rest(`/buckets/${encodeURIComponent(bucket)}/entries?${q}`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.entries.length).toBeLessThanOrEqual(limit);
    all.push(...r.json.entries);
    cursor = r.json.next_cursor;
    if (!cursor) return all;
  }
  throw new Error('more than 100 pages');
}

async function uploadFile(name: string, body: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([body], { type: 'text/plain' }), name);
  const res = await fetch(`${cluster.gatewayUrl}/files`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  expect(res.status).toBe(201);
  return ((await res.json()) as { file_id: string }).file_id;
}

const KEYS = ['a/1.txt', 'a/2.txt', 'a/sub/3.txt', 'b/4.txt', 'b/5.txt', 'c', 'été/6.txt', 'z 7.txt', '日本/8.txt', '🙂/9.txt', 'a0', 'A/10.txt'];

beforeAll(async () => {
  cluster = await startTestCluster({ restAuth: true, gatewayEnv: { MIN_PART_SIZE: '0' } });
  token = cluster.apiToken!;
  consoleOrigin = cluster.gatewayUrl; // http://127.0.0.1:<REST port>
  s3 = new S3Client({ endpoint: cluster.s3Url, region: 'us-east-1', forcePathStyle: true, credentials: cluster.rootKey!, maxAttempts: 1 });
  await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'other' }));
  // One at a time: each a later completion time than the one before.
  for (const key of KEYS) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: key, Body: key, ContentType: 'text/plain' }));
});

afterAll(async () => {
  s3?.destroy();
  await cluster?.destroy();
});

describe("a bucket's entries", () => {
  test('by name: every key once, in UTF-8 byte order, across pages; with a prefix', async () => {
    const byName = await walk('listing', { sort: 'name' }, 5);
    expect(byName.map((e) => e.name)).toEqual([...KEYS].sort(compareKeys));
    expect(byName[0]).toMatchObject({ size: byName[0]!.name.length, content_type: 'text/plain' });
    expect((await walk('listing', { sort: 'name', prefix: 'a/' }, 2)).map((e) => e.name)).toEqual(['a/1.txt', 'a/2.txt', 'a/sub/3.txt']);
    expect((await walk('listing', { sort: 'name', prefix: '日本' }, 2)).map((e) => e.name)).toEqual(['日本/8.txt']);
    expect(await walk('listing', { sort: 'name', prefix: 'nothing' }, 2)).toEqual([]);
  });

  test('by date: newest first across pages; with a prefix', async () => {
    const byDate = await walk('listing', {}, 4);
    expect(byDate.map((e) => e.name)).toEqual([...KEYS].reverse());
    const times = byDate.map((e) => Date.parse(e.modified_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect((await walk('listing', { prefix: 'b/' }, 1)).map((e) => e.name)).toEqual(['b/5.txt', 'b/4.txt']);
  });

  test('objects replaced between two pages are listed once each', async () => {
    const first = await rest(`/buckets/listing/entries?sort=name&limit=3`);
    const seen: string[] = first.json.entries.map((e: Entry) => e.name);
    const sorted = [...KEYS].sort(compareKeys);
    // One key before the cursor and one after it get new rows (new ids, later times).
    for (const key of [seen[0]!, sorted[sorted.length - 1]!]) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: key, Body: 'replaced' }));
    const next = new URLSearchParams({ sort: 'name', limit: '100', cursor: first.json.next_cursor });
    const later = (await rest(`/buckets/listing/entries?${next}`)).json.entries.map((e: Entry) => e.name);
    expect([...seen, ...later]).toEqual(sorted);
  });

  test("the REST API's files: names repeat, so ids break ties across pages", async () => {
    const ids = [await uploadFile('same.txt', '1'), await uploadFile('same.txt', '22'), await uploadFile('same.txt', '333'), await uploadFile('apple.txt', 'a')];
    const byName = await walk('.files', { sort: 'name' }, 1);
    expect(byName.map((e) => e.name)).toEqual(['apple.txt', 'same.txt', 'same.txt', 'same.txt']);
    expect(new Set(byName.map((e) => e.id))).toEqual(new Set(ids));
    const sames = byName.filter((e) => e.name === 'same.txt').map((e) => e.id);
    expect(sames).toEqual([...sames].sort()); // same name: by id
    expect((await walk('.files', {}, 3)).map((e) => e.id)).toEqual([...ids].reverse());
    expect((await walk('.files', { prefix: 'sa' }, 2)).length).toBe(3);
  });

  test('each order walks an index from its position, never a sort of the bucket', async () => {
    const client = await cluster.db.pool.connect();
    try {
      // With sorting (and sequential scans) made prohibitively dear, a plan still sorts only when no index can give the order.
      await client.query('SET enable_sort = off; SET enable_seqscan = off');
      const plans: string[] = [];
      const explaining = {
        query: async (sql: string, params: unknown[]) => {
          const r = await client.query(`EXPLAIN ${sql}`, params);
          plans.push(r.rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n'));
          return { rows: [] };
        },
      };
      const store = new EntryStore(explaining as never);
      const listing = (await cluster.db.pool.query<{ id: number }>(`SELECT id FROM buckets WHERE name = 'listing'`)).rows[0]!.id;
      const id = '0b6e4f2c-7d7e-4c55-9e3a-3f0c2a9d4b11';
      for (const bucket of [listing, 1]) {
        await store.list(bucket, { prefix: '', sort: 'date', after: null }, 51);
        await store.list(bucket, { prefix: 'a', sort: 'date', after: { sort: 'date', micros: '1796140000000000', id } }, 51);
        await store.list(bucket, { prefix: '', sort: 'name', after: null }, 51);
        await store.list(bucket, { prefix: 'a', sort: 'name', after: { sort: 'name', name: 'a/1.txt', id } }, 51);
      }
      expect(plans).toHaveLength(8);
      for (const plan of plans) {
        expect(plan, plan).toMatch(/Index (Only )?Scan/);
        expect(plan, plan).not.toMatch(/Sort/);
      }
    } finally {
      client.release();
    }
  });

  test('one entry: its metadata and chunks; a multipart object by parts; nothing of another bucket', async () => {
    const list = await walk('listing', { sort: 'name', prefix: 'b/4' }, 10);
    const one = await rest(`/buckets/listing/entries/${list[0]!.id}`);
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ bucket: 'listing', name: 'b/4.txt', key: 'b/4.txt', size: 7, content_type: 'text/plain', k: 4, m: 2, parts: [] });
    expect(one.json.md5).toMatch(/^[0-9a-f]{32}$/);
    expect(one.json.chunks.map((c: { role: string }) => c.role)).toEqual(['data', 'parity', 'parity']); // 7 bytes: one data unit
    for (const c of one.json.chunks) expect(c).toMatchObject({ state: 'ok', node_status: 'healthy', node_draining: false });

    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'listing', Key: 'multi.bin' }));
    const parts = [];
    for (const n of [1, 2]) {
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: 'listing', Key: 'multi.bin', UploadId, PartNumber: n, Body: Buffer.alloc(5 * MiB, n) }));
      parts.push({ ETag, PartNumber: n });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'listing', Key: 'multi.bin', UploadId, MultipartUpload: { Parts: parts } }));
    const [multi] = await walk('listing', { sort: 'name', prefix: 'multi' }, 10);
    expect(multi).toMatchObject({ name: 'multi.bin', size: 10 * MiB, multipart: true });
    const detail = await rest(`/buckets/listing/entries/${multi!.id}`);
    expect(detail.json).toMatchObject({ part_count: 2, parts_truncated: false, chunks: [] });
    expect(detail.json.parts.map((p: { part_number: number; size: number; chunks: unknown[] }) => [p.part_number, p.size, p.chunks.length])).toEqual([
      [1, 5 * MiB, 6],
      [2, 5 * MiB, 6],
    ]);
    // Parts are no entries of their own, and an entry is found only in its bucket.
    expect((await walk('listing', { sort: 'name' }, 100)).filter((e) => e.name === 'multi.bin')).toHaveLength(1);
    expect((await rest(`/buckets/other/entries/${multi!.id}`)).status).toBe(404);
    expect((await rest(`/buckets/.files/entries/${multi!.id}`)).status).toBe(404);
    expect((await rest(`/buckets/listing/entries/not-a-uuid`)).status).toBe(400);
  });
});

describe('who may list', () => {
  test('keys by their grants, tokens by their scope; strangers not at all', async () => {
    const key = (await rest('/admin/keys', { method: 'POST', body: { name: 'lister' } })).json as { access_key_id: string; secret_access_key: string };
    expect((await rest(`/admin/keys/${key.access_key_id}/grants/listing`, { method: 'PUT', body: { read: true, write: false } })).status).toBe(200);
    const signed = async (path: string) => {
      const { SignatureV4 } = await import('@smithy/signature-v4');
      const { Sha256 } = await import('@aws-crypto/sha256-js');
      const url = new URL(`${cluster.gatewayUrl}${path}`);
      const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key }, sha256: Sha256, uriEscapePath: false });
      const req = await signer.sign({
        method: 'GET',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      });
      const res = await fetch(url, { headers: req.headers as Record<string, string> });
      return { status: res.status, json: (await res.json()) as any };
    };
    expect((await signed('/buckets/listing/entries')).status).toBe(200);
    expect((await signed('/buckets/other/entries')).status).toBe(403);
    expect((await signed('/buckets/.files/entries')).status).toBe(403);
    expect((await signed('/whoami')).json).toEqual({
      caller: 'access-key',
      access_key_id: key.access_key_id,
      admin: false,
      is_root: false,
      grants: [{ bucket: 'listing', read: true, write: false }],
    });

    const read = (await rest('/admin/tokens', { method: 'POST', body: { scope: 'read' } })).json.token as string;
    expect((await rest('/buckets/.files/entries', { token: read })).status).toBe(200);
    expect((await rest('/buckets/listing/entries', { token: read })).status).toBe(403);
    expect((await rest('/whoami', { token: read })).json).toMatchObject({ caller: 'token', scope: 'read', admin: false });
    expect((await rest('/buckets/listing/entries', { token: '' })).status).toBe(401);
    expect((await rest('/buckets/nope/entries')).json.code).toBe('NoSuchBucket');
    expect((await rest('/buckets/Bad_Name/entries')).status).toBe(400);
  });
});

describe("the S3 API and the console's origin", () => {
  const preflight = (origin: string, path = '/listing/x.txt') =>
    fetch(`${cluster.s3Url}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,x-amz-date,x-amz-content-sha256,content-type' },
    });

  test('a preflight from the console is allowed, from another origin refused', async () => {
    const ok = await preflight(consoleOrigin);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(consoleOrigin);
    expect(ok.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(ok.headers.get('access-control-allow-headers')).toBe('authorization, x-amz-date, x-amz-content-sha256, content-type');
    const other = await preflight('http://evil.example:8080');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const otherPort = await preflight(consoleOrigin.replace(/:(\d+)$/, (_, p: string) => `:${Number(p) + 1}`));
    expect(otherPort.status).toBe(403);
  });

  test('answers to the console carry CORS headers, errors included; answers to others do not', async () => {
    const denied = await fetch(`${cluster.s3Url}/listing/a/1.txt`, { headers: { origin: consoleOrigin } });
    expect(denied.status).toBe(403); // unsigned
    expect(denied.headers.get('access-control-allow-origin')).toBe(consoleOrigin);
    expect(denied.headers.get('access-control-expose-headers')).toContain('x-amz-request-id');
    expect(await denied.text()).toContain('<Code>AccessDenied</Code>');
    const stranger = await fetch(`${cluster.s3Url}/listing/a/1.txt`, { headers: { origin: 'http://evil.example' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });
});
