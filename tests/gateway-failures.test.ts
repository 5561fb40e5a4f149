// The gateway when things go wrong, against real processes: clients that go away, uploads left by a
// crashed gateway, orphan chunks, nodes registered, killed and restarted, PostgreSQL stopped, and
// files over the size limit. Every wait is a poll with a deadline.
import { freePort } from './bench/bench-support.js';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { startEmbeddedDatabase } from '../dist/gateway/metadata/embedded-database.js';
import { startLocalCluster } from '../dist/scripts/local-cluster.js';
import { createStorageClient } from '../proto/storage-proto.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { spawnNode, startStorageNode } from './helpers/processes.js';
import {
  MiB,
  api,
  captureOutput,
  chunkPath,
  download,
  downloadSha256,
  filesOnNodes,
  killHard,
  patternBlocks,
  pollUntil,
  rawUpload,
  tableCounts,
  type RawUploadResult,
  uploadBuffer,
  waitFor,
} from './helpers/raw-upload.js';
import { putChunk } from './helpers/storage-client.js';
import { clusterForTest as clusterFor, undoAfterEach } from './helpers/cleanup.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const undo = undoAfterEach();

const clusterForTest = (options: Parameters<typeof startTestCluster>[0] = {}): Promise<TestCluster> => clusterFor(undo, options);

/** Data folder of node i of a test cluster (local-cluster names them node-1..node-N). */
const nodeDirs = (c: TestCluster): string[] => c.nodes.map((_, i) => join(c.dataDir, `node-${i + 1}`));

function nodeIndex(c: TestCluster, address: string): number {
  const i = c.nodes.findIndex((n) => n.address === address);
  if (i < 0) throw new Error(`no node of the cluster listens on ${address}`);
  return i;
}


/** Whether the process exits within `ms` (a bounded watch for a crash that should not happen). */
async function exitsWithin(child: ChildProcess, ms: number): Promise<boolean> {
  return waitFor(async () => child.exitCode !== null || child.signalCode !== null, ms, 50);
}

/** What an upload got back, for assertion messages. */
const outcome = (r: RawUploadResult): string =>
  `status ${r.status}, request error ${r.error?.code ?? 'none'}, ${r.sentBytes} file bytes sent, body ${r.text || '(none)'}`;

const isJsonError = (json: unknown): boolean =>
  typeof json === 'object' && json !== null && typeof (json as { error?: unknown }).error === 'string' &&
  typeof (json as { code?: unknown }).code === 'string';

describe('client going away', () => {
  it('a client that disconnects mid-upload leaves no row, no chunk and no temporary file on any node', async () => {
    const c = await clusterForTest();
    const dirs = nodeDirs(c);
    const size = 64 * MiB;
    let uploadSeen = false;
    let tmpSeen = false;
    const result = await rawUpload({
      url: c.gatewayUrl,
      blocks: patternBlocks(size),
      declaredSize: size,
      timeoutMs: 60_000,
      onProgress: async (sent) => {
        if (sent < 20 * MiB) return;
        // Go away only once the upload is really under way: its row exists and nodes are writing.
        uploadSeen = await waitFor(
          async () => (await c.db.pool.query(`SELECT 1 FROM files WHERE status = 'uploading'`)).rowCount === 1,
          10_000,
        );
        tmpSeen = await waitFor(async () => (await filesOnNodes(dirs)).some((f) => f.includes(': tmp/')), 10_000);
        return 'abort';
      },
    });
    expect(result.aborted).toBe(true);
    expect(result.sentBytes).toBeGreaterThanOrEqual(20 * MiB);
    expect(result.sentBytes).toBeLessThan(size);
    expect(uploadSeen).toBe(true);
    expect(tmpSeen).toBe(true);

    const left = await pollUntil(
      async () => ({ ...(await tableCounts(c.db.pool)), onNodes: await filesOnNodes(dirs) }),
      (v) => v.files === 0 && v.chunks === 0 && v.deletions === 0 && v.onNodes.length === 0,
      15_000,
    );
    expect(left).toEqual({ files: 0, chunks: 0, deletions: 0, onNodes: [] });
    expect((await api(`${c.gatewayUrl}/health`)).status).toBe(200);
  });
});

describe('rejected uploads', () => {
  it('an upload rejected while its file part is being read (filename too long) gets 400 and the gateway keeps running', async () => {
    const c = await clusterForTest();
    const r = await rawUpload({ url: c.gatewayUrl, blocks: [randomBytes(1000)], declaredSize: 1000, filename: 'x'.repeat(1100), timeoutMs: 30_000 });
    expect(r.status, outcome(r)).toBe(400);
    expect(isJsonError(r.json), r.text).toBe(true);
    expect(await exitsWithin(c.gateway.child, 1_000), 'the gateway process died after answering').toBe(false);
    expect((await api(`${c.gatewayUrl}/health`)).status).toBe(200);
    expect(await tableCounts(c.db.pool)).toEqual({ files: 0, chunks: 0, deletions: 0 });
  });
});

describe('janitor', () => {
  it('removes a stale uploading row and its chunks, and orphan chunks, but leaves completed files alone', async () => {
    const c = await clusterForTest({
      gatewayEnv: { JANITOR_INTERVAL_MS: '500', UPLOAD_TTL_MS: '2000', ORPHAN_GRACE_MS: '1000' },
    });
    const dirs = nodeDirs(c);
    const pool = c.db.pool;

    // A completed file, uploaded through the gateway before anything else: every janitor pass sees its chunks.
    const kept = randomBytes(3 * MiB + 12_345);
    const up = await uploadBuffer(c.gatewayUrl, kept, 'kept.bin');
    expect(up.status, outcome(up)).toBe(201);
    const keptChunks = up.json.chunks as { chunk_id: string; server_address: string }[];
    expect(keptChunks).toHaveLength(6); // 4 data + 2 parity
    const keptPaths = keptChunks.map((ch) => chunkPath(dirs[nodeIndex(c, ch.server_address)]!, ch.chunk_id));
    expect(keptPaths.every((p) => existsSync(p))).toBe(true);

    // An upload as a gateway killed mid-way leaves it: an `uploading` row, chunk rows, chunk data on nodes.
    // The row is aged only after the data is in place, so the janitor cannot run between the two.
    const nodes = (await pool.query<{ id: number; address: string }>('SELECT id, address FROM storage_nodes ORDER BY id')).rows;
    expect(nodes).toHaveLength(6);
    const staleId = randomUUID();
    const stale = [0, 1, 2].map((n) => ({ chunkNumber: n, chunkId: `${staleId}.${n}`, node: nodes[n]!, data: randomBytes(300_000 + n) }));
    await pool.query(
      `INSERT INTO files (id, filename, content_type, status, stripe_unit, stripe_width)
       VALUES ($1, 'stale.bin', 'application/octet-stream', 'uploading', 1048576, 6)`,
      [staleId],
    );
    for (const s of stale) {
      await pool.query('INSERT INTO chunks (file_id, chunk_number, chunk_id, node_id) VALUES ($1, $2, $3, $4)', [
        staleId,
        s.chunkNumber,
        s.chunkId,
        s.node.id,
      ]);
    }
    const putOn = async (address: string, chunkId: string, data: Buffer): Promise<void> => {
      const client = createStorageClient(address, {}, c.clusterToken);
      try {
        const res = await putChunk(client, chunkId, data, { checksum: sha256(data) });
        expect(res.success).toBe(true);
      } finally {
        client.close();
      }
    };
    for (const s of stale) await putOn(s.node.address, s.chunkId, s.data);
    const stalePaths = stale.map((s) => chunkPath(dirs[nodeIndex(c, s.node.address)]!, s.chunkId));
    expect(stalePaths.every((p) => existsSync(p))).toBe(true);

    // An orphan: a chunk on a node that no metadata knows.
    const orphanId = `${randomUUID()}.0`;
    const orphanNode = nodes[3]!;
    await putOn(orphanNode.address, orphanId, randomBytes(200_000));
    const orphanPath = chunkPath(dirs[nodeIndex(c, orphanNode.address)]!, orphanId);
    expect(existsSync(orphanPath)).toBe(true);

    await pool.query(
      `UPDATE files SET created_at = now() - interval '2 hours', updated_at = now() - interval '1 hour' WHERE id = $1`,
      [staleId],
    );

    const state = async () => ({
      staleFile: (await pool.query('SELECT 1 FROM files WHERE id = $1', [staleId])).rowCount,
      staleChunkRows: (await pool.query('SELECT 1 FROM chunks WHERE file_id = $1', [staleId])).rowCount,
      staleChunkFiles: stalePaths.filter((p) => existsSync(p)),
      orphanFile: existsSync(orphanPath),
      deletions: (await tableCounts(pool)).deletions,
    });
    const after = await pollUntil(
      state,
      (s) => s.staleFile === 0 && s.staleChunkRows === 0 && s.staleChunkFiles.length === 0 && !s.orphanFile && s.deletions === 0,
      15_000,
    );
    expect(after).toEqual({ staleFile: 0, staleChunkRows: 0, staleChunkFiles: [], orphanFile: false, deletions: 0 });

    // The completed file is untouched: rows, chunk files and content.
    expect(keptPaths.filter((p) => !existsSync(p))).toEqual([]);
    const meta = await api(`${c.gatewayUrl}/files/${up.json.file_id}/metadata`);
    expect(meta.status).toBe(200);
    expect(meta.json.chunks).toHaveLength(6);
    const down = await downloadSha256(`${c.gatewayUrl}/files/${up.json.file_id}`);
    expect(down.status).toBe(200);
    expect(down.sha256).toBe(sha256(kept));
  });
});

describe('node registration', () => {
  it('a node registered at run time is listed and receives chunks of the next file', async () => {
    const c = await clusterForTest();
    // Give the six nodes some data first, so the new, empty node is the least used one.
    const before = await uploadBuffer(c.gatewayUrl, randomBytes(6 * MiB), 'before.bin');
    expect(before.status, outcome(before)).toBe(201);

    const extra = await startStorageNode({ CLUSTER_TOKEN: c.clusterToken });
    undo.push(() => extra.cleanup());
    const reg = await api(`${c.gatewayUrl}/admin/nodes`, { method: 'POST', body: { address: extra.address } });
    expect(reg.status, reg.text).toBe(201);
    expect(reg.json).toMatchObject({ address: extra.address, status: 'healthy' });
    const again = await api(`${c.gatewayUrl}/admin/nodes`, { method: 'POST', body: { address: extra.address } });
    expect(again.status, again.text).toBe(200);

    const list = await api(`${c.gatewayUrl}/admin/nodes`);
    expect(list.status).toBe(200);
    expect(list.json.nodes).toHaveLength(7);
    expect((list.json.nodes as { address: string }[]).map((n) => n.address)).toContain(extra.address);

    const data = randomBytes(6 * MiB + 1);
    const up = await uploadBuffer(c.gatewayUrl, data, 'after.bin');
    expect(up.status, outcome(up)).toBe(201);
    const chunks = up.json.chunks as { chunk_id: string; server_id: number; server_address: string; size: number }[];
    expect(chunks).toHaveLength(6);
    const onNew = chunks.filter((ch) => ch.server_address === extra.address);
    expect(onNew).toHaveLength(1);
    expect(existsSync(chunkPath(extra.dataDir, onNew[0]!.chunk_id))).toBe(true);
    const rows = await c.db.pool.query(
      `SELECT c.chunk_id FROM chunks c JOIN storage_nodes n ON n.id = c.node_id WHERE n.address = $1`,
      [extra.address],
    );
    expect(rows.rows.map((r) => r.chunk_id)).toEqual([onNew[0]!.chunk_id]);

    const down = await downloadSha256(`${c.gatewayUrl}/files/${up.json.file_id}`);
    expect(down.status).toBe(200);
    expect(down.sha256).toBe(sha256(data));
  });

  it('one node is one node whatever address names it: an alias never gets a second chunk of a file', async () => {
    const c = await clusterForTest();
    const port = c.nodes[0]!.port;
    // The same process under another name: the gateway asks the node for its id and answers with the
    // node already registered (200), adding no row.
    const rowsBefore = (await c.db.pool.query('SELECT id FROM storage_nodes')).rowCount;
    const alias = await api(`${c.gatewayUrl}/admin/nodes`, { method: 'POST', body: { address: `localhost:${port}` } });
    expect(alias.status, alias.text).toBe(200);
    expect(alias.json).toMatchObject({ address: c.nodes[0]!.address });
    expect((await c.db.pool.query('SELECT id FROM storage_nodes')).rowCount).toBe(rowsBefore);
    for (let i = 0; i < 12; i++) {
      const up = await uploadBuffer(c.gatewayUrl, randomBytes(4 * MiB + i), `alias-${i}.bin`);
      expect(up.status, outcome(up)).toBe(201);
      const ports = (up.json.chunks as { server_address: string }[]).map((ch) => Number(ch.server_address.split(':')[1]));
      expect(ports).toHaveLength(6);
      expect(new Set(ports).size, `file ${i}: chunks on ports ${ports.join(', ')}`).toBe(6);
    }
  });
});

describe('PostgreSQL down', () => {
  it('/health answers 503 quickly, naming the database, when PostgreSQL stops; other endpoints 503 within a second with Retry-After; requests in flight end; recovers without a restart', async () => {
    const pgDir = await mkdtemp(join(tmpdir(), 'objstore-pgdown-pg-'));
    undo.push(() => rm(pgDir, { recursive: true, force: true }));
    const clusterDir = await mkdtemp(join(tmpdir(), 'objstore-pgdown-cluster-'));
    undo.push(() => rm(clusterDir, { recursive: true, force: true }));
    const pgPort = await freePort();
    let db: { url: string; stop(): Promise<void> } | null = await startEmbeddedDatabase(pgDir, pgPort);
    undo.push(async () => db?.stop());
    const cluster = await startLocalCluster({
      dataDir: clusterDir,
      gatewayPort: 0,
      nodePorts: [0, 0, 0, 0, 0, 0],
      databaseUrl: db!.url,
      gatewayEnv: { HEALTH_INTERVAL_MS: '500', AUTH: 'off' }, // the published REST contract
      nodeEnv: { DISK_RESERVE_BYTES: String(64 * MiB) },
      log: () => undefined,
    });
    undo.push(() => cluster.stop());
    const gatewayOutput = captureOutput(cluster.gateway.child);
    onTestFailed(() => console.log(`--- gateway output ---\n${gatewayOutput()}`));
    const url = cluster.gatewayUrl;

    const ok = await api(`${url}/health`);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toMatchObject({ status: 'healthy', database: 'ok', storage_servers: 6 });
    const data = randomBytes(100_000);
    const up = await uploadBuffer(url, data);
    expect(up.status, outcome(up)).toBe(201);

    // In flight while PostgreSQL stops: a download already streaming (paused by its reader) and an
    // upload still sending its body. Neither may hang: the download can finish from the nodes, the
    // upload ends with an answer once its body is in (its commit needs the database).
    const big = randomBytes(8 * MiB);
    const stored = await uploadBuffer(url, big);
    expect(stored.status, outcome(stored)).toBe(201);
    let resumeReader: () => void = () => undefined;
    const readerPaused = new Promise<void>((r) => (resumeReader = r));
    let pausedOnce = false;
    const inflightDownload = download(`${url}/files/${stored.json.file_id}`, {
      timeoutMs: 30_000,
      onProgress: (n) => {
        if (n > 0 && !pausedOnce) {
          pausedOnce = true;
          return readerPaused;
        }
      },
    });
    let releaseBody: () => void = () => undefined;
    const bodyHeld = new Promise<void>((r) => (releaseBody = r));
    const inflightUpload = rawUpload({
      url,
      blocks: (function* () {
        for (let i = 0; i < 8; i++) yield Buffer.alloc(MiB, i);
      })(),
      declaredSize: 8 * MiB,
      timeoutMs: 30_000,
      onProgress: async (sent) => {
        if (sent === 4 * MiB) await bodyHeld; // half the body sent, the rest after the stop
      },
    });
    await new Promise((r) => setTimeout(r, 500));

    const stopping = db!;
    db = null;
    await stopping.stop();
    resumeReader();
    releaseBody();
    const [down, upInFlight] = await Promise.all([inflightDownload, inflightUpload]);
    expect(down.timedOut || upInFlight.timedOut, 'no request in flight hangs').toBe(false);
    // The download had its metadata: it completes from the nodes, or is cut, never wrong bytes.
    if (down.complete) expect(down.sha256).toBe(createHash('sha256').update(big).digest('hex'));
    expect(upInFlight.status, outcome(upInFlight)).toBe(503);
    expect(isJsonError(upInFlight.json), upInFlight.text).toBe(true);

    const health = await api(`${url}/health`, { timeoutMs: 15_000 });
    expect(health.status, health.text).toBe(503);
    expect(health.ms).toBeLessThan(5_000);
    expect(health.json.status).toBe('unhealthy');
    expect(health.json.database).toMatch(/unreachable/);
    expect(health.json.reason).toMatch(/database/);

    for (const path of ['/files', `/files/${up.json.file_id}/metadata`, `/files/${up.json.file_id}`, '/files?limit=5']) {
      const r = await api(`${url}${path}`, { timeoutMs: 15_000 });
      expect(r.status, `${path}: ${r.text}`).toBe(503);
      expect(r.ms, `${path}: a stopped database is answered within a second`).toBeLessThan(1_000);
      expect(isJsonError(r.json), `${path}: ${r.text}`).toBe(true);
      expect(r.json.code, path).toBe('DatabaseUnavailable');
      expect(r.headers['retry-after'], path).toBe('2');
    }
    const del = await api(`${url}/files/${up.json.file_id}`, { method: 'DELETE', timeoutMs: 15_000 });
    expect(del.status, del.text).toBe(503);
    expect(del.ms).toBeLessThan(5_000);
    expect(isJsonError(del.json)).toBe(true);
    const upDown = await uploadBuffer(url, randomBytes(100_000));
    expect(upDown.status, outcome(upDown)).toBe(503);
    expect(upDown.responseAfterMs).toBeLessThan(5_000);
    expect(isJsonError(upDown.json), upDown.text).toBe(true);
    expect(await exitsWithin(cluster.gateway.child, 1_000), "the gateway process died after answering the failed upload").toBe(false);

    // PostgreSQL back on the same port and data: the gateway recovers by itself.
    db = await startEmbeddedDatabase(pgDir, pgPort);
    const back = await pollUntil(() => api(`${url}/health`), (r) => r.status === 200, 15_000, 250);
    expect(back.status, back.text).toBe(200);
    const list = await api(`${url}/files`);
    expect(list.status, list.text).toBe(200);
    expect((list.json.files as { file_id: string }[]).map((f) => f.file_id).sort()).toEqual([up.json.file_id, stored.json.file_id].sort());
    const after = await uploadBuffer(url, randomBytes(100_000));
    expect(after.status, outcome(after)).toBe(201);
  });
});

// With k = 4, m = 2 and the default write quorum of k + 1 = 5, two nodes down leave too few for uploads.
describe('two nodes of six down', () => {
  let c: TestCluster;
  let survivors: string[];
  let gatewayOutput: () => string;
  beforeAll(async () => {
    c = await startTestCluster();
    gatewayOutput = captureOutput(c.gateway.child);
    survivors = nodeDirs(c).slice(0, 4);
    await killHard(c.nodes[4]!.child);
    await killHard(c.nodes[5]!.child);
  });
  afterAll(async () => {
    await c?.destroy();
  });

  it('/health reports 503 with the number of healthy nodes', async () => {
    const health = await pollUntil(() => api(`${c.gatewayUrl}/health`), (r) => r.status === 503, 10_000);
    expect(health.status, health.text).toBe(503);
    expect(health.ms).toBeLessThan(5_000);
    expect(health.json).toMatchObject({ status: 'unhealthy', storage_servers: 4, database: 'ok' });
    expect(health.json.reason).toMatch(/4 healthy storage nodes, at least 5 needed/);
  });

  // Several tries each way: the answer must reach a client that is still sending its body, every time.
  it.each([
    ['Content-Length, Connection: close', false, false],
    ['Content-Length, keep-alive', false, true],
    ['chunked, Connection: close', true, false],
    ['chunked, keep-alive', true, true],
  ])('an 8 MiB upload (needs five nodes) gets a 503 JSON answer quickly and stores nothing (%s)', async (_how, chunked, keepAlive) => {
    onTestFailed(() => console.log(`--- gateway output ---\n${gatewayOutput()}`));
    for (let attempt = 1; attempt <= 3; attempt++) {
      const size = 8 * MiB;
      const r = await rawUpload({ url: c.gatewayUrl, blocks: patternBlocks(size), declaredSize: size, chunked, keepAlive, timeoutMs: 30_000 });
      const what = `attempt ${attempt}: status ${r.status}, request error ${r.error?.code ?? 'none'}, ${r.text}`;
      expect(r.status, what).toBe(503);
      expect(r.responseAfterMs, what).toBeLessThan(3_000);
      expect(isJsonError(r.json), what).toBe(true);
    }
    const left = await pollUntil(
      async () => ({ ...(await tableCounts(c.db.pool)), onNodes: await filesOnNodes(survivors) }),
      (v) => v.files === 0 && v.chunks === 0 && v.onNodes.length === 0,
      10_000,
    );
    expect(left).toEqual({ files: 0, chunks: 0, deletions: 0, onNodes: [] });
  });
});

describe('node failures', () => {
  it('two nodes killed mid-upload (below the write quorum) fail the upload with a 5xx JSON error and leave nothing on the others', async () => {
    const c = await clusterForTest();
    const dirs = nodeDirs(c);
    const size = 200 * MiB;
    const victim = 2;
    const second = 3;
    let killedAt = 0;
    const result = await rawUpload({
      url: c.gatewayUrl,
      blocks: patternBlocks(size),
      declaredSize: size,
      timeoutMs: 90_000,
      onProgress: async (sent) => {
        if (killedAt || sent < 40 * MiB) return;
        // The victim is writing its chunk when it dies.
        await waitFor(async () => (await filesOnNodes([dirs[victim]!])).some((f) => f.includes(': tmp/')), 10_000);
        await Promise.all([killHard(c.nodes[victim]!.child), killHard(c.nodes[second]!.child)]);
        killedAt = Date.now();
      },
    });
    const outcomeMs = Date.now() - killedAt;
    console.log(
      `node killed mid-upload: status=${result.status} body=${result.text} error=${result.error?.code ?? result.error?.message ?? 'none'} ` +
        `sent=${(result.sentBytes / MiB).toFixed(1)} MiB completeBody=${result.completeBody} outcome ${outcomeMs} ms after the kill`,
    );
    expect(killedAt).toBeGreaterThan(0);
    expect(result.timedOut).toBe(false);
    // The client is told: a 5xx JSON error while the connection still stands.
    expect(result.status, `no HTTP answer; request error ${result.error?.message}`).not.toBeNull();
    expect(result.status).toBeGreaterThanOrEqual(500);
    expect(result.status).toBeLessThan(600);
    expect(isJsonError(result.json), result.text).toBe(true);
    expect(outcomeMs).toBeLessThan(20_000);

    const survivors = dirs.filter((_, i) => i !== victim && i !== second);
    const left = await pollUntil(
      async () => ({ ...(await tableCounts(c.db.pool)), onNodes: await filesOnNodes(survivors) }),
      (v) => v.files === 0 && v.chunks === 0 && v.onNodes.length === 0,
      15_000,
    );
    expect({ files: left.files, chunks: left.chunks, onNodes: left.onNodes }).toEqual({ files: 0, chunks: 0, onNodes: [] });
    // Only the dead nodes may still owe a deletion (retried when they are back).
    const pending = await c.db.pool.query<{ address: string }>(
      'SELECT n.address FROM chunk_deletions d JOIN storage_nodes n ON n.id = d.node_id',
    );
    const dead = [c.nodes[victim]!.address, c.nodes[second]!.address];
    expect(pending.rows.filter((r) => !dead.includes(r.address))).toEqual([]);
  });

  it('a delete while a node is down succeeds, queues that node\'s chunk, and deletes it once the node is back', async () => {
    const c = await clusterForTest({ gatewayEnv: { JANITOR_INTERVAL_MS: '500' } });
    const dirs = nodeDirs(c);
    const data = randomBytes(6 * MiB);
    const up = await uploadBuffer(c.gatewayUrl, data, 'doomed.bin');
    expect(up.status, outcome(up)).toBe(201);
    const fileId = up.json.file_id as string;
    const chunks = up.json.chunks as { chunk_id: string; server_id: number; server_address: string }[];
    expect(chunks).toHaveLength(6);
    const paths = chunks.map((ch) => chunkPath(dirs[nodeIndex(c, ch.server_address)]!, ch.chunk_id));
    expect(paths.every((p) => existsSync(p))).toBe(true);

    const target = chunks[0]!;
    const victimIndex = nodeIndex(c, target.server_address);
    const victim = c.nodes[victimIndex]!;
    const victimPath = paths[0]!;
    await killHard(victim.child);

    const del = await api(`${c.gatewayUrl}/files/${fileId}`, { method: 'DELETE', timeoutMs: 30_000 });
    console.log(`DELETE with a node down answered ${del.status} in ${del.ms} ms`);
    expect(del.status, del.text).toBe(200);
    expect(del.json).toMatchObject({ file_id: fileId, message: expect.any(String) });
    expect(del.ms).toBeLessThan(10_000);
    const counts = await c.db.pool.query(
      'SELECT (SELECT count(*) FROM files WHERE id = $1)::int AS files, (SELECT count(*) FROM chunks WHERE file_id = $1)::int AS chunks',
      [fileId],
    );
    expect(counts.rows[0]).toEqual({ files: 0, chunks: 0 });
    const queued = await c.db.pool.query<{ node_id: number; chunk_id: string; attempts: number }>(
      'SELECT node_id, chunk_id, attempts FROM chunk_deletions',
    );
    expect(queued.rows.map((r) => ({ node_id: r.node_id, chunk_id: r.chunk_id }))).toEqual([
      { node_id: target.server_id, chunk_id: target.chunk_id },
    ]);
    // The nodes that were up lost their chunks at once; the down node still holds its chunk.
    const others = await pollUntil(async () => paths.slice(1).filter((p) => existsSync(p)), (v) => v.length === 0, 5_000);
    expect(others).toEqual([]);
    expect(existsSync(victimPath)).toBe(true);

    // The node comes back on the same port with the same data; the janitor retries the deletion.
    const restarted = await spawnNode(
      'dist/storage-node/main.js',
      {
        GRPC_PORT: String(victim.port),
        GRPC_HOST: '127.0.0.1',
        DATA_DIR: dirs[victimIndex]!,
        NODE_ID: victim.name,
        CLUSTER_TOKEN: c.clusterToken,
        DISK_RESERVE_BYTES: String(64 * MiB),
      },
      /listening on [^\s]+:(\d+)/,
    );
    undo.push(() => restarted.stop());
    const backAt = Date.now();
    const after = await pollUntil(
      async () => ({ chunkFile: existsSync(victimPath), deletions: (await tableCounts(c.db.pool)).deletions }),
      (v) => !v.chunkFile && v.deletions === 0,
      45_000,
      200,
    );
    console.log(`queued deletion carried out ${Date.now() - backAt} ms after the node came back`);
    expect(after).toEqual({ chunkFile: false, deletions: 0 });
  });
});

describe('size limit (MAX_FILE_SIZE = 1 MiB)', () => {
  let c: TestCluster;
  let dirs: string[];
  let gatewayOutput: () => string;
  beforeAll(async () => {
    c = await startTestCluster({ gatewayEnv: { MAX_FILE_SIZE: String(MiB) } });
    dirs = nodeDirs(c);
    gatewayOutput = captureOutput(c.gateway.child);
  });
  beforeEach((context) => {
    context.onTestFailed(() => console.log(`--- gateway output ---\n${gatewayOutput()}`));
  });
  afterAll(async () => {
    await c?.destroy();
  });

  async function snapshot() {
    return { ...(await tableCounts(c.db.pool)), onNodes: (await filesOnNodes(dirs)).sort() };
  }

  it.each([
    ['with Content-Length', false],
    ['with chunked transfer encoding', true],
  ])('a file of exactly 1 MiB is accepted %s', async (_how, chunked) => {
    const data = randomBytes(MiB);
    const r = await rawUpload({ url: c.gatewayUrl, blocks: [data], declaredSize: MiB, chunked, timeoutMs: 30_000 });
    expect(r.status, outcome(r)).toBe(201);
    expect(r.json).toMatchObject({ size: MiB, checksum: sha256(data), status: 'completed' });
    const down = await downloadSha256(`${c.gatewayUrl}/files/${r.json.file_id}`);
    expect(down.status).toBe(200);
    expect(down.sha256).toBe(sha256(data));
  });

  it('1 MiB + 1 byte with Content-Length: 413 EntityTooLarge and nothing stored', async () => {
    const before = await snapshot();
    const r = await rawUpload({ url: c.gatewayUrl, blocks: [randomBytes(MiB + 1)], declaredSize: MiB + 1, timeoutMs: 30_000 });
    expect(r.status, outcome(r)).toBe(413);
    expect(r.json.code).toBe('EntityTooLarge');
    expect(isJsonError(r.json)).toBe(true);
    const after = await pollUntil(snapshot, (s) => JSON.stringify(s) === JSON.stringify(before), 10_000);
    expect(after).toEqual(before);
  });

  it('1 MiB + 1 byte with chunked transfer encoding: 413 EntityTooLarge by counting, and nothing stored', async () => {
    const before = await snapshot();
    const r = await rawUpload({ url: c.gatewayUrl, blocks: [randomBytes(MiB + 1)], declaredSize: MiB + 1, chunked: true, timeoutMs: 30_000 });
    expect(r.status, outcome(r)).toBe(413);
    expect(r.json.code).toBe('EntityTooLarge');
    expect(isJsonError(r.json)).toBe(true);
    const after = await pollUntil(snapshot, (s) => JSON.stringify(s) === JSON.stringify(before), 10_000);
    expect(after).toEqual(before);
  });

  it('a much larger chunked body is cut off at the limit: 413 before the client has sent it all, nothing stored', async () => {
    const before = await snapshot();
    const size = 256 * MiB;
    const r = await rawUpload({ url: c.gatewayUrl, blocks: patternBlocks(size), declaredSize: size, chunked: true, timeoutMs: 60_000 });
    expect(r.status, outcome(r)).toBe(413);
    expect(r.json.code).toBe('EntityTooLarge');
    expect(r.sentBytes).toBeLessThan(size);
    const after = await pollUntil(snapshot, (s) => JSON.stringify(s) === JSON.stringify(before), 10_000);
    expect(after).toEqual(before);
  });
});
