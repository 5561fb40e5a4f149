// GET /metrics of the gateway and of the storage nodes, against real processes: what an upload, a
// download, a failed request, S3 requests and a degraded read (a node killed with SIGKILL) move,
// by exactly how much; label sets that stay bounded whatever the paths; METRICS_AUTH; and the
// nodes' metrics ports under npm start's launcher. Every wait is a poll with a deadline.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster } from '../dist/scripts/local-cluster.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { ClusterNodes } from './helpers/cluster-nodes.js';
import { createTestDatabase } from './helpers/database.js';
import { scrapeMetrics, samplesOf, sumOf, valueOf, type Exposition } from './helpers/prometheus-text.js';
import { api, captureOutput, isRunning, pollUntil, startGatewayProcess, uploadBuffer } from './helpers/raw-upload.js';
import { RawS3 } from './helpers/s3-raw-request.js';

const KiB = 1024;
const UNIT = 64 * KiB; // STRIPE_UNIT of this cluster: small, so that a small file has several stripes
const K = 4;
const SIZE = 600 * KiB; // 3 stripes of 4 x 64 KiB, the last one partial: every stripe has data in chunk 0
const STRIPES = Math.ceil(SIZE / (K * UNIT));

const sha256 = (b: Buffer | Uint8Array): string => createHash('sha256').update(b).digest('hex');

let c: TestCluster;
let nodes: ClusterNodes;
const cleanups: (() => Promise<unknown>)[] = [];
let gatewayOutput: (() => string) | undefined;

beforeAll(async () => {
  c = await startTestCluster({
    gatewayEnv: {
      STRIPE_UNIT: String(UNIT),
      // Nothing moves chunks behind the test's back: no healing, no scrubbing.
      HEAL_CONCURRENCY: '0',
      SCRUB_INTERVAL_MS: '0',
    },
  });
  nodes = new ClusterNodes(c);
  gatewayOutput = captureOutput(c.gateway.child);
});

afterEach((context) => {
  if (context.task.result?.state === 'fail') console.log(`--- gateway output ---\n${gatewayOutput?.().slice(-5000)}`);
});

afterAll(async () => {
  for (const undo of cleanups.reverse()) await undo().catch(() => undefined);
  await nodes?.stopRestarted();
  await c?.destroy();
});

const gateway = (): Promise<Exposition> => scrapeMetrics(`${c.gatewayUrl}/metrics`);
const node = (i: number): Promise<Exposition> => scrapeMetrics(c.nodes[i]!.metricsUrl!);
const allNodes = (): Promise<Exposition[]> => Promise.all(c.nodes.map((_, i) => node(i)));

/** The change of one counter (summed over the label sets that include `labels`) between two scrapes. */
const delta = (before: Exposition, after: Exposition, name: string, labels: Record<string, string> = {}): number =>
  sumOf(after, name, labels) - sumOf(before, name, labels);

const rest = (route: string, method: string, status: string): Record<string, string> => ({ api: 'rest', route, method, status });

interface StoredChunk {
  chunk_number: number;
  size: number;
  server_id: number;
  server_address: string;
}

async function chunksOf(fileId: string): Promise<StoredChunk[]> {
  const r = await api(`${c.gatewayUrl}/files/${fileId}/metadata`);
  expect(r.status).toBe(200);
  return r.json.chunks as StoredChunk[];
}

const nodeIndexOf = (address: string): number => {
  const i = c.nodes.findIndex((n) => n.address === address);
  if (i < 0) throw new Error(`no node of the cluster at ${address}`);
  return i;
};

/**
 * Scrapes the nodes until `done` holds for their per-node deltas, at most 10 s: a node counts a call
 * once it has finished it, which may be a moment after the gateway has answered its client.
 */
async function nodeDeltas(before: Exposition[], read: (b: Exposition, a: Exposition) => number, expected: number[]): Promise<number[]> {
  let last: number[] = [];
  await pollUntil(
    async () => (last = (await allNodes()).map((a, i) => read(before[i]!, a))),
    (d) => d.every((v, i) => v === expected[i]),
    10_000,
    100,
  );
  return last;
}

let fileId = '';
const content = randomBytes(SIZE);

describe('gateway and node metrics after a REST upload, a download and failed requests', () => {
  it('the cluster starts with a metrics URL for every node, distinct, each answering in the text format', async () => {
    const urls = c.nodes.map((n) => n.metricsUrl);
    expect(urls.every((u) => /^http:\/\/127\.0\.0\.1:\d+\/metrics$/.test(u ?? ''))).toBe(true);
    expect(new Set(urls).size).toBe(c.nodes.length);
    const [g, n] = await Promise.all([gateway(), node(0)]);
    expect(g.types.get('objstore_http_requests_total')).toBe('counter');
    expect(g.types.get('objstore_http_request_duration_seconds')).toBe('histogram');
    expect(g.types.get('process_cpu_seconds_total')).toBe('counter');
    expect(valueOf(n, 'objstore_storage_node_info', { node_id: c.nodes[0]!.name })).toBe(1);
    expect(valueOf(n, 'objstore_storage_disk_total_bytes')).toBeGreaterThan(0);
    expect(valueOf(n, 'objstore_storage_disk_free_bytes')).toBeGreaterThan(0);
    expect(valueOf(n, 'objstore_storage_disk_used_bytes')).toBeGreaterThan(0);
    expect(valueOf(n, 'objstore_storage_disk_reserve_bytes')).toBe(64 * 1024 * 1024);
  });

  it('every node is healthy with a closed breaker, the janitor has run, the pool is open and the queues are empty', async () => {
    const g = await pollUntil(gateway, (e) => sumOf(e, 'objstore_node_health', { status: 'healthy' }) === 6 && sumOf(e, 'objstore_janitor_runs_total', { result: 'ok' }) >= 1, 10_000);
    expect(sumOf(g, 'objstore_node_health', { status: 'healthy' })).toBe(6);
    expect(sumOf(g, 'objstore_node_health')).toBe(6); // one status per node
    expect(sumOf(g, 'objstore_node_circuit_open')).toBe(0);
    expect(samplesOf(g, 'objstore_node_info').map((s) => s.labels.address).sort()).toEqual(c.nodes.map((n) => n.address).sort());
    expect(samplesOf(g, 'objstore_node_capacity_bytes')).toHaveLength(6);
    expect(sumOf(g, 'objstore_janitor_runs_total', { result: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(g, 'objstore_janitor_runs_total', { result: 'failed' })).toBe(0);
    expect(valueOf(g, 'objstore_db_pool_connections')).toBeGreaterThan(0);
    expect(valueOf(g, 'objstore_db_pool_max_connections')).toBe(20);
    expect(valueOf(g, 'objstore_db_pool_waiting_requests')).toBe(0);
    expect(sumOf(g, 'objstore_db_query_duration_seconds_count', { statement: 'select' })).toBeGreaterThan(0);
    expect(valueOf(g, 'objstore_heal_queue_files')).toBe(0);
    expect(valueOf(g, 'objstore_heal_queue_chunks')).toBe(0);
    expect(valueOf(g, 'objstore_deletion_queue_chunks')).toBe(0);
    expect(valueOf(g, 'objstore_uploads_in_flight')).toBe(0);
    expect(valueOf(g, 'objstore_downloads_in_flight')).toBe(0);
  });

  it('an upload: one POST /files 201, its bytes, one PutChunk per chunk, and each node wrote exactly its chunk', async () => {
    const [g0, n0] = await Promise.all([gateway(), allNodes()]);
    const r = await uploadBuffer(c.gatewayUrl, content);
    expect(r.status).toBe(201);
    fileId = r.json.file_id;
    const g1 = await gateway();
    expect(delta(g0, g1, 'objstore_http_requests_total', rest('/files', 'POST', '201'))).toBe(1);
    expect(delta(g0, g1, 'objstore_http_request_duration_seconds_count', { api: 'rest', route: '/files', method: 'POST' })).toBe(1);
    expect(delta(g0, g1, 'objstore_uploaded_bytes_total')).toBe(SIZE);
    expect(delta(g0, g1, 'objstore_node_call_duration_seconds_count', { call: 'PutChunk' })).toBe(6);
    expect(delta(g0, g1, 'objstore_node_call_errors_total')).toBe(0);
    expect(delta(g0, g1, 'objstore_db_query_duration_seconds_count', { statement: 'commit' })).toBeGreaterThanOrEqual(2); // created, completed
    expect(valueOf(g1, 'objstore_uploads_in_flight')).toBe(0);

    const chunks = await chunksOf(fileId);
    expect(chunks).toHaveLength(6);
    const expectedBytes = c.nodes.map(() => 0);
    const expectedPuts = c.nodes.map(() => 0);
    for (const ch of chunks) {
      expectedBytes[nodeIndexOf(ch.server_address)]! += ch.size;
      expectedPuts[nodeIndexOf(ch.server_address)]! += 1;
    }
    // 3 stripes: data chunks of 3, 2.375, 2 and 2 units, parity chunks of 3 units each.
    expect(expectedBytes.reduce((a, b) => a + b, 0)).toBe((3 + 2.375 + 2 + 2 + 3 + 3) * UNIT);
    expect(await nodeDeltas(n0, (b, a) => delta(b, a, 'objstore_storage_written_bytes_total'), expectedBytes)).toEqual(expectedBytes);
    expect(await nodeDeltas(n0, (b, a) => delta(b, a, 'objstore_storage_chunk_puts_total', { result: 'ok' }), expectedPuts)).toEqual(expectedPuts);
    const n1 = await allNodes();
    for (let i = 0; i < c.nodes.length; i++) {
      expect(delta(n0[i]!, n1[i]!, 'objstore_storage_chunk_puts_total'), `node ${i}: no failed put`).toBe(expectedPuts[i]);
      expect(delta(n0[i]!, n1[i]!, 'objstore_storage_chunks')).toBe(expectedPuts[i]);
      expect(delta(n0[i]!, n1[i]!, 'objstore_storage_chunk_bytes')).toBe(expectedBytes[i]);
      expect(delta(n0[i]!, n1[i]!, 'objstore_storage_fsync_duration_seconds_count', { target: 'file' })).toBe(expectedPuts[i]);
    }
  });

  it('a download: one GET 200, its bytes, and one GetChunk on each data chunk, reading exactly that chunk', async () => {
    const [g0, n0] = await Promise.all([gateway(), allNodes()]);
    const res = await fetch(`${c.gatewayUrl}/files/${fileId}`);
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(sha256(body)).toBe(sha256(content));
    const g1 = await gateway();
    expect(delta(g0, g1, 'objstore_http_requests_total', rest('/files/:fileId', 'GET', '200'))).toBe(1);
    expect(delta(g0, g1, 'objstore_downloaded_bytes_total')).toBe(SIZE);
    expect(delta(g0, g1, 'objstore_degraded_reads_total')).toBe(0);
    expect(delta(g0, g1, 'objstore_node_call_duration_seconds_count', { call: 'GetChunk' })).toBe(K);
    expect(valueOf(g1, 'objstore_downloads_in_flight')).toBe(0);

    const chunks = await chunksOf(fileId);
    const expectedGets = c.nodes.map(() => 0);
    const expectedBytes = c.nodes.map(() => 0);
    for (const ch of chunks.filter((x) => x.chunk_number < K)) {
      expectedGets[nodeIndexOf(ch.server_address)]! += 1;
      expectedBytes[nodeIndexOf(ch.server_address)]! += ch.size;
    }
    expect(await nodeDeltas(n0, (b, a) => delta(b, a, 'objstore_storage_chunk_gets_total', { result: 'ok' }), expectedGets)).toEqual(expectedGets);
    expect(await nodeDeltas(n0, (b, a) => delta(b, a, 'objstore_storage_read_bytes_total'), expectedBytes)).toEqual(expectedBytes);
    const n1 = await allNodes();
    for (let i = 0; i < c.nodes.length; i++) {
      expect(delta(n0[i]!, n1[i]!, 'objstore_storage_chunk_gets_total'), `node ${i}: gets of any result`).toBe(expectedGets[i]);
      expect(delta(n0[i]!, n1[i]!, 'objstore_storage_verification_failures_total')).toBe(0);
    }
  });

  it('failed requests: a 404 of a file counts under its route, an unknown path under unmatched, a bad id as 400', async () => {
    const g0 = await gateway();
    expect((await api(`${c.gatewayUrl}/files/${randomUUID()}`)).status).toBe(404);
    expect((await api(`${c.gatewayUrl}/no/such/${randomUUID()}`)).status).toBe(404);
    expect((await api(`${c.gatewayUrl}/files/not-an-id`)).status).toBe(400);
    expect((await api(`${c.gatewayUrl}/files/${randomUUID()}`, { method: 'DELETE' })).status).toBe(404);
    const g1 = await gateway();
    expect(delta(g0, g1, 'objstore_http_requests_total', rest('/files/:fileId', 'GET', '404'))).toBe(1);
    expect(delta(g0, g1, 'objstore_http_requests_total', rest('unmatched', 'GET', '404'))).toBe(1);
    expect(delta(g0, g1, 'objstore_http_requests_total', rest('/files/:fileId', 'GET', '400'))).toBe(1);
    expect(delta(g0, g1, 'objstore_http_requests_total', rest('/files/:fileId', 'DELETE', '404'))).toBe(1);
    // And the scrape before them, counted once it had been answered; nothing else.
    expect(delta(g0, g1, 'objstore_http_requests_total', rest('/metrics', 'GET', '200'))).toBe(1);
    expect(delta(g0, g1, 'objstore_http_requests_total', { api: 'rest' })).toBe(5);
    expect(delta(g0, g1, 'objstore_downloaded_bytes_total')).toBe(0);
  });

  it('S3 requests count under their operation: PutObject, GetObject, a GetObject 404, an anonymous ListBuckets 403', async () => {
    const s3 = new RawS3(c.s3Url, c.rootKey!);
    const bucket = `metrics-${randomBytes(4).toString('hex')}`;
    expect((await s3.send({ method: 'PUT', path: `/${bucket}` })).status).toBe(200);
    const object = randomBytes(1000);
    const g0 = await gateway();
    expect((await s3.send({ method: 'PUT', path: `/${bucket}/a/b.bin`, body: object })).status).toBe(200);
    const got = await s3.send({ method: 'GET', path: `/${bucket}/a/b.bin` });
    expect(got.status).toBe(200);
    expect(sha256(got.body)).toBe(sha256(object));
    expect((await s3.send({ method: 'GET', path: `/${bucket}/missing-${randomUUID()}` })).status).toBe(404);
    expect((await s3.send({ method: 'GET', path: '/', key: null })).status).toBe(403);
    const g1 = await gateway();
    const s3labels = (route: string, method: string, status: string) => ({ api: 's3', route, method, status });
    expect(delta(g0, g1, 'objstore_http_requests_total', s3labels('PutObject', 'PUT', '200'))).toBe(1);
    expect(delta(g0, g1, 'objstore_http_requests_total', s3labels('GetObject', 'GET', '200'))).toBe(1);
    expect(delta(g0, g1, 'objstore_http_requests_total', s3labels('GetObject', 'GET', '404'))).toBe(1);
    expect(delta(g0, g1, 'objstore_http_requests_total', s3labels('ListBuckets', 'GET', '403'))).toBe(1);
    expect(delta(g0, g1, 'objstore_http_requests_total', { api: 's3' })).toBe(4);
    expect(delta(g0, g1, 'objstore_uploaded_bytes_total')).toBe(1000);
    expect(delta(g0, g1, 'objstore_downloaded_bytes_total')).toBe(1000);
  });

  it('labels stay bounded: 1,000 random file ids, paths and object keys add no route label value', async () => {
    const g0 = await gateway();
    const routesBefore = new Set(samplesOf(g0, 'objstore_http_requests_total').map((s) => s.labels.route));
    const s3 = new RawS3(c.s3Url, c.rootKey!);
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          expect((await api(`${c.gatewayUrl}/files/${randomUUID()}`)).status).toBe(404);
        }),
      );
    }
    for (let i = 0; i < 50; i++) {
      expect((await api(`${c.gatewayUrl}/${randomUUID()}/${randomUUID()}?q=${randomUUID()}`, { method: 'PROPFIND' })).status).toBe(404);
      expect((await s3.send({ method: 'GET', path: `/no-bucket-${i}/${randomUUID()}` })).status).toBe(404);
    }
    const g1 = await gateway();
    expect(delta(g0, g1, 'objstore_http_requests_total', rest('/files/:fileId', 'GET', '404'))).toBe(1000);
    expect(delta(g0, g1, 'objstore_http_requests_total', rest('unmatched', 'OTHER', '404'))).toBe(50);
    expect(delta(g0, g1, 'objstore_http_requests_total', { api: 's3', route: 'GetObject', status: '404' })).toBe(50);
    const routesAfter = new Set(samplesOf(g1, 'objstore_http_requests_total').map((s) => s.labels.route));
    const added = [...routesAfter].filter((r) => !routesBefore.has(r));
    expect(added.every((r) => r === 'unmatched' || /^[A-Za-z]+$/.test(r!))).toBe(true);
    // No label value anywhere holds an id or a path that a client chose.
    const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
    const leaked = g1.samples.filter((s) => Object.values(s.labels).some((v) => uuid.test(v) || v.includes('no-bucket')));
    expect(leaked).toEqual([]);
    const series = samplesOf(g1, 'objstore_http_requests_total').length;
    expect(series, 'series of the request counter').toBeLessThan(40);
  });

  it('a degraded read after SIGKILL of the node holding chunk 0: one degraded read, every stripe rebuilt, the node down, the chunk queued', async () => {
    const chunks = await chunksOf(fileId);
    const first = chunks.find((ch) => ch.chunk_number === 0)!;
    const victim = nodeIndexOf(first.server_address);
    const nodeLabel = String(first.server_id);
    await nodes.kill(victim);
    const g0 = await gateway();
    const res = await fetch(`${c.gatewayUrl}/files/${fileId}`);
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(sha256(body)).toBe(sha256(content));
    const g1 = await gateway();
    expect(delta(g0, g1, 'objstore_http_requests_total', rest('/files/:fileId', 'GET', '200'))).toBe(1);
    expect(delta(g0, g1, 'objstore_degraded_reads_total')).toBe(1);
    expect(delta(g0, g1, 'objstore_reconstructed_stripes_total')).toBe(STRIPES);
    expect(delta(g0, g1, 'objstore_downloaded_bytes_total')).toBe(SIZE);
    // The read either found the chunk unreadable (a fault) or knew the node down already (none).
    expect(delta(g0, g1, 'objstore_read_chunk_faults_total')).toBeLessThanOrEqual(1);
    expect(delta(g0, g1, 'objstore_read_chunk_faults_total', { fault: 'unavailable' })).toBe(delta(g0, g1, 'objstore_read_chunk_faults_total'));

    // The probes find the node gone: down, breaker open; the read queued chunk 0 (nothing heals here).
    const g2 = await pollUntil(
      gateway,
      (e) =>
        valueOf(e, 'objstore_node_health', { node: nodeLabel, status: 'down' }) === 1 &&
        valueOf(e, 'objstore_node_circuit_open', { node: nodeLabel }) === 1 &&
        valueOf(e, 'objstore_heal_queue_files') === 1,
      15_000,
      200,
    );
    expect(valueOf(g2, 'objstore_node_health', { node: nodeLabel, status: 'down' })).toBe(1);
    expect(valueOf(g2, 'objstore_node_health', { node: nodeLabel, status: 'healthy' })).toBe(0);
    expect(valueOf(g2, 'objstore_node_circuit_open', { node: nodeLabel })).toBe(1);
    expect(sumOf(g2, 'objstore_node_circuit_open')).toBe(1);
    expect(sumOf(g2, 'objstore_node_call_errors_total', { node: nodeLabel, call: 'HealthCheck' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(g2, 'objstore_heal_queue_files')).toBe(1);
    expect(valueOf(g2, 'objstore_heal_queue_chunks')).toBe(1);
  });

  it('deleting the file while that node is down: five deletions done, one queued, the heal queue emptied', async () => {
    const chunks = await chunksOf(fileId);
    const down = nodeIndexOf(chunks.find((ch) => ch.chunk_number === 0)!.server_address);
    const downLabel = String(chunks.find((ch) => ch.chunk_number === 0)!.server_id);
    const alive = c.nodes.map((_, i) => i).filter((i) => i !== down);
    const n0 = await Promise.all(alive.map((i) => node(i)));
    const g0 = await gateway();
    expect((await api(`${c.gatewayUrl}/files/${fileId}`, { method: 'DELETE' })).status).toBe(200);
    const g1 = await pollUntil(gateway, (e) => valueOf(e, 'objstore_deletion_queue_chunks') === 1 && valueOf(e, 'objstore_heal_queue_files') === 0, 10_000);
    expect(valueOf(g1, 'objstore_deletion_queue_chunks')).toBe(1);
    expect(valueOf(g1, 'objstore_heal_queue_files')).toBe(0);
    expect(delta(g0, g1, 'objstore_http_requests_total', rest('/files/:fileId', 'DELETE', '200'))).toBe(1);
    expect(delta(g0, g1, 'objstore_node_call_errors_total', { node: downLabel, call: 'DeleteChunk' })).toBe(1);
    const expected = alive.map((i) => chunks.filter((ch) => nodeIndexOf(ch.server_address) === i).length);
    let last: number[] = [];
    await pollUntil(
      async () => (last = (await Promise.all(alive.map((i) => node(i)))).map((a, j) => delta(n0[j]!, a, 'objstore_storage_chunk_deletes_total', { result: 'ok' }))),
      (d) => d.every((v, j) => v === expected[j]),
      10_000,
    );
    expect(last).toEqual(expected);
    expect(expected.reduce((a, b) => a + b, 0)).toBe(5);
  });
});

describe("a healer's metrics", () => {
  it('a file written while a node is down has its missing chunk rebuilt once the node is back: one rebuild done, its bytes', async () => {
    const victim = c.nodes.findIndex((_, i) => !isRunning(nodes.process(i)));
    expect(victim, 'the node killed above').toBeGreaterThanOrEqual(0);
    // With five writable nodes the sixth chunk has no place: a degraded write, queued for healing.
    const data = randomBytes(200 * KiB);
    const r = await uploadBuffer(c.gatewayUrl, data);
    expect(r.status).toBe(201);
    const missing = (await chunksOf(r.json.file_id)).filter((ch) => ch.server_id === null);
    expect(missing).toHaveLength(1);
    const queued = await pollUntil(gateway, (e) => valueOf(e, 'objstore_heal_queue_files') === 1, 10_000);
    expect(valueOf(queued, 'objstore_heal_queue_chunks')).toBe(1);
    await nodes.restart(victim);
    await nodes.awaitHealthy([victim]);
    // The cluster's gateway heals nothing (HEAL_CONCURRENCY=0): a second one on the same database does.
    const healer = await startGatewayProcess({
      databaseUrl: c.db.url,
      nodeAddresses: c.nodes.map((n) => n.address),
      dataDir: c.dataDir,
      clusterToken: c.clusterToken,
      env: { HEAL_CONCURRENCY: '1', REPAIR_POLL_MS: '200', SCRUB_INTERVAL_MS: '0', HEAL_RATE_MIB: '0', HEAL_BUSY_RATE_MIB: '0' },
    });
    cleanups.push(() => healer.stop());
    const healed = await pollUntil(
      () => scrapeMetrics(`${healer.url}/metrics`),
      (e) => sumOf(e, 'objstore_heal_chunks_total', { kind: 'rebuild', result: 'done' }) >= 1,
      30_000,
      200,
    );
    const rebuilt = (await chunksOf(r.json.file_id)).find((ch) => ch.chunk_number === missing[0]!.chunk_number)!;
    expect(rebuilt.server_address).toBe(c.nodes[victim]!.address);
    expect(valueOf(healed, 'objstore_heal_chunks_total', { kind: 'rebuild', result: 'done' })).toBe(1);
    expect(valueOf(healed, 'objstore_heal_chunks_total', { kind: 'rebuild', result: 'failed' })).toBe(0);
    expect(valueOf(healed, 'objstore_heal_bytes_total', { kind: 'rebuild' })).toBe(rebuilt.size);
    expect(sumOf(healed, 'objstore_node_call_duration_seconds_count', { node: String(rebuilt.server_id), call: 'PutChunk' })).toBe(1);
    expect(sumOf(healed, 'objstore_node_call_duration_seconds_count', { node: String(rebuilt.server_id), call: 'VerifyChunk' })).toBe(1);
    const after = await pollUntil(gateway, (e) => valueOf(e, 'objstore_heal_queue_files') === 0, 10_000);
    expect(valueOf(after, 'objstore_heal_queue_chunks')).toBe(0);
  });
});

describe('the storage node metrics endpoint', () => {
  it('answers only GET and HEAD /metrics', async () => {
    const statuses = await Promise.all(c.nodes.map((n) => fetch(n.metricsUrl!).then((r) => r.status, () => 0)));
    const up = c.nodes[statuses.indexOf(200)]!.metricsUrl!; // one node was killed above
    const origin = new URL(up).origin;
    expect((await fetch(`${origin}/`)).status).toBe(404);
    expect((await fetch(`${origin}/metrics/x`)).status).toBe(404);
    const post = await fetch(up, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(up, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});

describe('METRICS_AUTH', () => {
  async function secondGateway(env: NodeJS.ProcessEnv): Promise<string> {
    const g = await startGatewayProcess({ databaseUrl: c.db.url, nodeAddresses: c.nodes.map((n) => n.address), dataDir: c.dataDir, clusterToken: c.clusterToken, env });
    cleanups.push(() => g.stop());
    return g.url;
  }

  it('off (the default) with AUTH on: /metrics is open while every other route asks for credentials', async () => {
    const url = await secondGateway({ AUTH: 'on', API_TOKEN: `metrics-${randomBytes(24).toString('hex')}` });
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    expect((await fetch(`${url}/files`)).status).toBe(401);
  });

  it('on: an anonymous scrape is 401, a read token scrapes, a revoked one is 401', async () => {
    const root = `metrics-${randomBytes(24).toString('hex')}`;
    const url = await secondGateway({ AUTH: 'on', METRICS_AUTH: 'on', API_TOKEN: root });
    const anonymous = await fetch(`${url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('objstore_');
    const created = await api(`${url}/admin/tokens`, { method: 'POST', token: root, body: { name: 'prometheus', scope: 'read' } });
    expect(created.status).toBe(201);
    const reader = created.json.token as string;
    const e = await scrapeMetrics(`${url}/metrics`, { Authorization: `Bearer ${reader}` });
    expect(e.types.get('objstore_http_requests_total')).toBe('counter');
    // The refused scrape counts too, as unmatched: authentication refused it before routing.
    expect(sumOf(e, 'objstore_http_requests_total', rest('unmatched', 'GET', '401'))).toBeGreaterThanOrEqual(1);
    expect((await api(`${url}/admin/tokens/${created.json.id}`, { method: 'DELETE', token: root })).status).toBe(200);
    expect((await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${reader}` } })).status).toBe(401);
  });
});

describe("npm start's launcher", () => {
  it('gives each node a metrics port of its own and keeps it when it restarts the node', async () => {
    const db = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), 'objstore-metrics-'));
    cleanups.push(async () => {
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    });
    const lines: string[] = [];
    const cluster = await startLocalCluster({
      dataDir,
      gatewayPort: 0,
      nodePorts: [0, 0],
      databaseUrl: db.url,
      gatewayEnv: { AUTH: 'off', HEALTH_INTERVAL_MS: '500' },
      nodeEnv: { DISK_RESERVE_BYTES: String(64 * 1024 * 1024) },
      restart: { firstDelayMs: 100, maxDelayMs: 1_000, stableAfterMs: 60_000 },
      log: (l) => lines.push(l),
    });
    cleanups.push(() => cluster.stop());
    const url = cluster.nodes[0]!.metricsUrl!;
    // The node's ready line names the URL (the launcher shows log lines with their time and level first).
    expect(lines.join('\n')).toMatch(new RegExp(`\\[node-1\\] .*storage-node node-1 listening on 127\\.0\\.0\\.1:\\d+ data=\\S+ metrics=${url.replace(/[.:/]/g, '\\$&')}$`, 'm'));
    const pid = cluster.nodes[0]!.child.pid;
    cluster.nodes[0]!.child.kill('SIGKILL');
    const back = await pollUntil(
      async () => (cluster.nodes[0]!.child.pid !== pid ? await fetch(url).then((r) => r.status, () => 0) : 0),
      (s) => s === 200,
      20_000,
      100,
    );
    expect(back, lines.slice(-10).join('\n')).toBe(200);
    expect(cluster.nodes[0]!.metricsUrl).toBe(url);
  });
});
