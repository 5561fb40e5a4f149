// The consistency check and /admin/status against a real cluster: each kind of inconsistency is
// made for real (a chunk file deleted on a node, chunk files dropped in a node's folder with no
// metadata, a chunk row pointed at another node, a chunk row deleted), the check finds each one,
// and the repair fixes them: heals rebuild, the row is pointed back, stale orphans are deleted.
import { copyFile, mkdir, rm, stat, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { nodeDir } from './helpers/cluster-nodes.js';
import { api, chunkPath, downloadSha256, pollUntil, uploadBuffer } from './helpers/raw-upload.js';
import { createHash } from 'node:crypto';

const MiB = 1024 * 1024;
let c: TestCluster;
const files: Array<{ id: string; sha256: string }> = [];
let nodeIndex: Map<number, number>; // storage_nodes.id -> index in c.nodes

beforeAll(async () => {
  c = await startTestCluster({
    gatewayEnv: {
      // Nothing else repairs behind the test's back: no scrubbing, the janitor only at start.
      SCRUB_INTERVAL_MS: '0',
      JANITOR_INTERVAL_MS: '3600000',
      ORPHAN_GRACE_MS: '60000',
      REPAIR_POLL_MS: '200',
    },
  });
  for (let i = 0; i < 5; i++) {
    const data = randomBytes(3 * MiB + 1000 + i * 1000); // 4 data chunks and 2 parity each
    const r = await uploadBuffer(c.gatewayUrl, data, `consistency-${i}.bin`);
    expect(r.status, r.text).toBe(201);
    files.push({ id: r.json.file_id, sha256: createHash('sha256').update(data).digest('hex') });
  }
  const rows = (await c.db.pool.query<{ id: number; address: string }>('SELECT id, address FROM storage_nodes')).rows;
  nodeIndex = new Map(rows.map((r) => [r.id, c.nodes.findIndex((n) => n.address === r.address)]));
});

afterAll(async () => {
  await c?.destroy();
});

async function chunk(fileId: string, n: number): Promise<{ chunkId: string; nodeId: number; path: string }> {
  const r = await c.db.pool.query<{ chunk_id: string; node_id: number }>('SELECT chunk_id, node_id FROM chunks WHERE file_id = $1 AND chunk_number = $2', [fileId, n]);
  const row = r.rows[0]!;
  return { chunkId: row.chunk_id, nodeId: row.node_id, path: chunkPath(nodeDir(c, nodeIndex.get(row.node_id)!), row.chunk_id) };
}

/** Runs a check to its end; its report. */
async function check(repair: boolean): Promise<any> {
  const started = await api(`${c.gatewayUrl}/admin/consistency-check${repair ? '?repair=true' : ''}`, { method: 'POST' });
  expect(started.status, started.text).toBe(202);
  const done = await pollUntil(
    () => api(`${c.gatewayUrl}/admin/consistency-check`),
    (r) => r.json?.id === started.json.id && r.json.state !== 'running',
    60_000,
    200,
  );
  expect(done.json.state, done.text).toBe('done');
  return done.json.report;
}

const kinds = (report: any): string[] => report.findings.map((f: { kind: string }) => f.kind).sort();

describe('the consistency check', () => {
  it('finds nothing in a consistent cluster, and says which nodes it listed', async () => {
    const report = await check(false);
    expect(report.findings).toEqual([]);
    expect(report.nodesChecked).toHaveLength(6);
    expect(report.nodesChecked.reduce((a: number, n: { chunks: number }) => a + n.chunks, 0)).toBe(files.length * 6);
    expect(report.counts).toEqual({ missing_chunk: 0, wrong_size: 0, misplaced_chunk: 0, orphan_chunk: 0, duplicate_placement: 0, incomplete_file: 0 });
  });

  it('finds each kind of inconsistency made for real, with a recommendation, and the repair fixes them', async () => {
    const [a, b, d] = [files[0]!, files[1]!, files[2]!];
    const hourAgo = new Date(Date.now() - 3_600_000);

    // 1. A chunk file deleted on its node.
    const lost = await chunk(a.id, 0);
    await rm(lost.path);
    // 2. Chunk files dropped into a node's folder that no metadata names: an old one and a new one.
    const source = await chunk(files[3]!.id, 1);
    const oldOrphan = `${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}.0`;
    const newOrphan = `${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(11)}1.0`;
    const orphanNode = nodeIndex.get(source.nodeId)!;
    for (const id of [oldOrphan, newOrphan]) {
      const path = chunkPath(nodeDir(c, orphanNode), id);
      await mkdir(dirname(path), { recursive: true });
      await copyFile(source.path, path);
    }
    await utimes(chunkPath(nodeDir(c, orphanNode), oldOrphan), hourAgo, hourAgo);
    // 3. A chunk row pointed at another node (one that holds another chunk of the same file).
    const moved = await chunk(b.id, 1);
    const other = await chunk(b.id, 2);
    await c.db.pool.query('UPDATE chunks SET node_id = $3 WHERE file_id = $1 AND chunk_number = $2', [b.id, 1, other.nodeId]);
    // 4. A chunk row deleted: the file's rows are incomplete, and its chunk file is an orphan now.
    const dropped = await chunk(d.id, 5);
    await c.db.pool.query('DELETE FROM chunks WHERE file_id = $1 AND chunk_number = 5', [d.id]);
    await utimes(dropped.path, hourAgo, hourAgo);

    const report = await check(false);
    expect(kinds(report), JSON.stringify(report.findings, null, 1)).toEqual(
      ['duplicate_placement', 'incomplete_file', 'misplaced_chunk', 'missing_chunk', 'orphan_chunk', 'orphan_chunk', 'orphan_chunk'].sort(),
    );
    const find = (kind: string, match: (f: any) => boolean = () => true) => report.findings.find((f: any) => f.kind === kind && match(f));
    expect(find('missing_chunk')).toMatchObject({ fileId: a.id, chunkNumber: 0, chunkId: lost.chunkId, nodeId: lost.nodeId });
    expect(find('missing_chunk').recommendation).toMatch(/heal/);
    expect(find('misplaced_chunk')).toMatchObject({ fileId: b.id, chunkNumber: 1, nodeId: other.nodeId, foundOnNodeId: moved.nodeId });
    expect(find('duplicate_placement')).toMatchObject({ fileId: b.id, nodeId: other.nodeId });
    expect(find('incomplete_file')).toMatchObject({ fileId: d.id });
    expect(find('incomplete_file').detail).toMatch(/chunks 5$/);
    expect(find('orphan_chunk', (f) => f.chunkId === oldOrphan).recommendation).toMatch(/^delete it/);
    expect(find('orphan_chunk', (f) => f.chunkId === newOrphan).recommendation).toMatch(/^leave it/);
    expect(find('orphan_chunk', (f) => f.chunkId === dropped.chunkId)).toMatchObject({ nodeId: dropped.nodeId });
    expect(report.findings.every((f: any) => f.repair === undefined)).toBe(true);
    // Without ?repair nothing changed.
    await expect(stat(chunkPath(nodeDir(c, orphanNode), oldOrphan))).resolves.toBeTruthy();
    expect((await c.db.pool.query('SELECT node_id FROM chunks WHERE file_id = $1 AND chunk_number = 1', [b.id])).rows[0].node_id).toBe(other.nodeId);

    const repaired = await check(true);
    expect(kinds(repaired)).toEqual(kinds(report).filter((k) => k !== 'duplicate_placement')); // the row went back first
    const done = (kind: string, match: (f: any) => boolean = () => true) => repaired.findings.find((f: any) => f.kind === kind && match(f)).repair;
    expect(done('missing_chunk')).toBe('heal queued');
    expect(done('misplaced_chunk')).toBe(`row now points at node ${moved.nodeId}`);
    expect(done('incomplete_file')).toBe('absent chunks recorded as missing, heal queued');
    expect(done('orphan_chunk', (f) => f.chunkId === oldOrphan)).toBe('deletion queued');
    expect(done('orphan_chunk', (f) => f.chunkId === dropped.chunkId)).toBe('deletion queued');
    expect(done('orphan_chunk', (f) => f.chunkId === newOrphan)).toBe('none');

    // The heals run, the stale orphans are gone, the young one is kept.
    await pollUntil(
      () => api(`${c.gatewayUrl}/admin/redundancy`),
      (r) => r.json?.fully_redundant === files.length && r.json.heal_queue.files === 0,
      60_000,
      250,
    );
    await expect(stat(chunkPath(nodeDir(c, orphanNode), oldOrphan))).rejects.toThrow(/ENOENT/);
    await expect(stat(dropped.path)).rejects.toThrow(/ENOENT/);
    await expect(stat(chunkPath(nodeDir(c, orphanNode), newOrphan))).resolves.toBeTruthy();
    for (const f of files) {
      const got = await downloadSha256(`${c.gatewayUrl}/files/${f.id}`);
      expect(got.status).toBe(200);
      expect(got.sha256, f.id).toBe(f.sha256);
    }
    const after = await check(false);
    expect(after.findings.map((f: any) => [f.kind, f.chunkId]), JSON.stringify(after.findings, null, 1)).toEqual([['orphan_chunk', newOrphan]]);
  });

  it('one check at a time; bad parameters are 400; the last report is readable by GET', async () => {
    expect((await api(`${c.gatewayUrl}/admin/consistency-check?repair=yes`, { method: 'POST' })).status).toBe(400);
    const first = await api(`${c.gatewayUrl}/admin/consistency-check`, { method: 'POST' });
    const second = await api(`${c.gatewayUrl}/admin/consistency-check`, { method: 'POST' });
    expect(first.status).toBe(202);
    expect(second.status, second.text).toBe(409);
    expect(second.json.code).toBe('CheckRunning');
    await pollUntil(() => api(`${c.gatewayUrl}/admin/consistency-check`), (r) => r.json?.state === 'done', 30_000, 200);
  });
});

describe('/admin/status', () => {
  it('shows the whole system on one page', async () => {
    const r = await api(`${c.gatewayUrl}/admin/status`);
    expect(r.status, r.text).toBe(200);
    const s = r.json;
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(s.gateway.uptime_seconds).toBeGreaterThanOrEqual(0);
    expect(s.database).toMatchObject({ reachable: true });
    expect(s.database.latency_ms).toBeLessThan(2_000);
    expect(s.database.pool.total).toBeGreaterThan(0);
    expect(s.nodes).toHaveLength(6);
    for (const n of s.nodes) {
      expect(n).toMatchObject({ status: 'healthy', breaker: 'closed', draining: false });
      expect(n.disk_fill).toBeGreaterThan(0);
      expect(n.disk_fill).toBeLessThan(1);
      expect(n.last_seen_at).not.toBeNull();
    }
    expect(s.nodes.reduce((a: number, n: { chunks: number }) => a + n.chunks, 0)).toBe(files.length * 6);
    expect(s.redundancy).toMatchObject({ files: files.length, fully_redundant: files.length, degraded: 0, unreadable: 0 });
    expect(s.healer).toMatchObject({ workers: expect.any(Number), queue: { files: 0 } });
    expect(s.scrubber).toMatchObject({ enabled: false });
    expect(s.janitor.last_run_at).not.toBeNull();
    expect(s.deletion_queue).toMatchObject({ chunks: 0 });
    expect(s.consistency_check).toMatchObject({ state: 'done' });
  });
});
