// Self-repair against real processes: a wiped node is rebuilt, a flipped byte is found by the
// scrubber and healed, a node down past NODE_DEAD_AFTER_MS has its chunks rebuilt elsewhere, a
// gateway killed mid-heal is taken over by the next, two gateways heal together without healing a
// chunk twice, and uploads and downloads stay exact while heals run. Every wait is bounded.
import { createHash, randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { TestCluster } from './helpers/cluster.js';
import { clusterForTest as clusterFor, undoAfterEach } from './helpers/cleanup.js';
import { ClusterNodes, nodeDir } from './helpers/cluster-nodes.js';
import {
  MiB,
  api,
  chunkPath,
  download,
  killHard,
  pollUntil,
  startGatewayProcess,
  storedFiles,
  uploadBuffer,
} from './helpers/raw-upload.js';
import { startStorageNode } from './helpers/processes.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const undo = undoAfterEach();

/** Fast repair for tests: scrub passes back to back, short polls, no bandwidth limit. */
const FAST_REPAIR = { SCRUB_INTERVAL_MS: '500', SCRUB_RATE_MIB: '0', REPAIR_POLL_MS: '200', HEAL_RATE_MIB: '0', HEAL_BUSY_RATE_MIB: '0' };

interface StoredFile {
  id: string;
  data: Buffer;
}

interface ChunkRowJson {
  chunk_number: number;
  chunk_id: string;
  node_id: number | null;
  address: string | null;
  state: string;
}

async function uploadAll(c: TestCluster, sizes: number[]): Promise<StoredFile[]> {
  const files: StoredFile[] = [];
  for (const [i, size] of sizes.entries()) {
    const data = randomBytes(size);
    const r = await uploadBuffer(c.gatewayUrl, data, `repair-${i}.bin`);
    expect(r.status, r.text).toBe(201);
    expect(r.json.checksum).toBe(sha256(data));
    files.push({ id: r.json.file_id as string, data });
  }
  return files;
}

/** Every file downloads bit-exact; returns what went wrong, one line per file. */
async function unreadable(url: string, files: StoredFile[]): Promise<string[]> {
  const problems: string[] = [];
  for (const f of files) {
    const d = await download(`${url}/files/${f.id}`, { timeoutMs: 60_000 });
    if (d.status !== 200 || !d.complete || d.sha256 !== sha256(f.data)) {
      problems.push(`${f.id} (${f.data.length} B): status ${d.status}, ${d.bytes} bytes, ${d.complete ? 'complete' : 'cut'}, ${d.error?.message ?? ''}`);
    }
  }
  return problems;
}

async function chunkRows(c: TestCluster): Promise<ChunkRowJson[]> {
  const r = await c.db.pool.query<ChunkRowJson>(
    `SELECT c.chunk_number, c.chunk_id, c.node_id, n.address, c.state FROM chunks c LEFT JOIN storage_nodes n ON n.id = c.node_id
     ORDER BY c.file_id, c.chunk_number`,
  );
  return r.rows;
}

async function redundancy(url: string): Promise<any> {
  const r = await api(`${url}/admin/redundancy`);
  expect(r.status, r.text).toBe(200);
  return r.json;
}

/** Waits until every file is fully redundant and the heal queue is empty; returns the last report. */
async function awaitFullyRedundant(url: string, files: number, timeoutMs = 30_000): Promise<any> {
  const r = await pollUntil(
    () => api(`${url}/admin/redundancy`),
    (r) => r.status === 200 && r.json.files === files && r.json.fully_redundant === files && r.json.heal_queue.files === 0,
    timeoutMs,
    250,
  );
  expect(r.json.fully_redundant === files && r.json.heal_queue.files === 0, `not fully redundant after ${timeoutMs} ms: ${r.text}`).toBe(true);
  return r.json;
}

describe('healing', () => {
  it('a wiped node is rebuilt by the scrubber and the healer; then two other nodes can be lost', async () => {
    const c = await clusterFor(undo, { gatewayEnv: FAST_REPAIR });
    const nodes = new ClusterNodes(c);
    undo.push(() => nodes.stopRestarted());
    const files = await uploadAll(c, [0, 10, MiB + 1, 4 * MiB - 3, 17 * MiB + 12_345, 40 * MiB]);
    const victim = 2;
    const before = (await chunkRows(c)).filter((r) => r.address === c.nodes[victim]!.address);
    expect(before.length).toBeGreaterThan(0);

    await nodes.kill(victim);
    await rm(nodeDir(c, victim), { recursive: true, force: true });
    await nodes.restart(victim);
    await nodes.awaitHealthy([victim]);

    const wipedAt = Date.now();
    // The metadata still says the chunks are there: the scrubber finds them gone, the healer rebuilds.
    await pollUntil(
      () => c.db.pool.query('SELECT 1 FROM heal_events WHERE ok'),
      (r) => (r.rowCount ?? 0) >= before.length,
      60_000,
      200,
    );
    const report = await awaitFullyRedundant(c.gatewayUrl, files.length);
    const failures = await c.db.pool.query<{ error: string }>('SELECT error FROM heal_events WHERE NOT ok');
    console.log(
      `wiped node: ${before.length} chunks rebuilt in ${((Date.now() - wipedAt) / 1000).toFixed(1)} s; ${JSON.stringify(report.heals)}; ` +
        `failed attempts: ${failures.rows.map((r) => r.error).join(' | ') || 'none'}`,
    );
    expect(failures.rows).toEqual([]); // nothing stood in the way: no attempt should have failed
    expect(report.heals.done, JSON.stringify(report)).toBeGreaterThanOrEqual(before.length);
    expect(report.unreadable).toBe(0);
    // Every chunk row points at a node that has the chunk file.
    for (const row of await chunkRows(c)) {
      const i = c.nodes.findIndex((n) => n.address === row.address);
      expect(row.state).toBe('ok');
      const fh = await open(chunkPath(nodeDir(c, i), row.chunk_id), 'r');
      await fh.close();
    }

    // Redundancy really came back: any two other nodes may now go.
    await nodes.kill(0);
    await nodes.kill(4);
    const readAt = Date.now();
    expect(await unreadable(c.gatewayUrl, files)).toEqual([]);
    console.log(`read back with two nodes down in ${((Date.now() - readAt) / 1000).toFixed(1)} s`);
  });

  it('a flipped byte in a stored chunk is found by the scrubber and the chunk is rebuilt', async () => {
    const c = await clusterFor(undo, { gatewayEnv: { ...FAST_REPAIR, SCRUB_INTERVAL_MS: '600000' } });
    const files = await uploadAll(c, [9 * MiB + 7]);
    const rows = await chunkRows(c);
    const target = rows.find((r) => r.chunk_number === 1)!;
    const i = c.nodes.findIndex((n) => n.address === target.address);
    const path = chunkPath(nodeDir(c, i), target.chunk_id);
    const fh = await open(path, 'r+');
    const { size } = await fh.stat();
    const at = Math.floor(size / 2);
    const byte = Buffer.alloc(1);
    await fh.read(byte, 0, 1, at);
    byte[0] = byte[0]! ^ 0xff;
    await fh.write(byte, 0, 1, at);
    await fh.close();

    // The first pass ran at start on an empty cluster; the next is due in 10 minutes. A new gateway
    // with a short interval starts one now (passes are shared through the database).
    const scrubbing = await startGatewayProcess({
      databaseUrl: c.db.url,
      nodeAddresses: c.nodes.map((n) => n.address),
      dataDir: c.dataDir,
      env: FAST_REPAIR,
    });
    undo.push(() => scrubbing.stop());
    const events = await pollUntil(
      () => c.db.pool.query<{ chunk_number: number; ok: boolean }>('SELECT chunk_number, ok FROM heal_events'),
      (r) => r.rows.some((e) => e.ok),
      60_000,
      200,
    );
    expect(events.rows, scrubbing.output().slice(-3000)).toEqual([{ chunk_number: 1, ok: true }]);
    const scrub = (await redundancy(c.gatewayUrl)).scrub;
    expect(scrub.last ?? scrub.current, JSON.stringify(scrub)).toBeTruthy();
    await awaitFullyRedundant(c.gatewayUrl, 1);
    // The chunk on disk is whole again: a download reads it without falling back on parity.
    expect(await unreadable(c.gatewayUrl, files)).toEqual([]);
    const faults = await c.db.pool.query('SELECT * FROM chunk_faults');
    expect(faults.rows).toEqual([]);
  });

  it('a node down longer than NODE_DEAD_AFTER_MS is dead: its chunks are rebuilt on the other nodes', async () => {
    const c = await clusterFor(undo, { nodes: 7, gatewayEnv: { ...FAST_REPAIR, SCRUB_INTERVAL_MS: '0', NODE_DEAD_AFTER_MS: '3000' } });
    const nodes = new ClusterNodes(c);
    const files = await uploadAll(c, [MiB + 1, 5 * MiB, 17 * MiB + 12_345, 8 * MiB, 3 * MiB]);
    const victim = 5;
    const address = c.nodes[victim]!.address;
    const held = (await chunkRows(c)).filter((r) => r.address === address).length;
    expect(held).toBeGreaterThan(0);
    await nodes.kill(victim);

    // Degraded (not yet dead): nothing moves, the report counts the files with a chunk missing.
    const degraded = await pollUntil(
      () => redundancy(c.gatewayUrl),
      (r) => r.fully_redundant < files.length,
      20_000,
      200,
    );
    expect(degraded.degraded.reduce((a: number, d: any) => a + d.files, 0)).toBe(files.length - degraded.fully_redundant);

    await awaitFullyRedundant(c.gatewayUrl, files.length, 60_000);
    const after = await chunkRows(c);
    expect(after.filter((r) => r.address === address)).toEqual([]);
    const listed = await api(`${c.gatewayUrl}/admin/nodes`);
    expect(listed.json.nodes.find((n: any) => n.address === address).status).toBe('dead');
    // Each file still has its chunks on distinct nodes.
    const byFile = new Map<string, Set<string>>();
    for (const r of await c.db.pool.query<{ file_id: string; node_id: number }>('SELECT file_id, node_id FROM chunks').then((x) => x.rows)) {
      const set = byFile.get(r.file_id) ?? new Set<string>();
      expect(set.has(String(r.node_id))).toBe(false);
      set.add(String(r.node_id));
      byFile.set(r.file_id, set);
    }
    await nodes.kill(0);
    await nodes.kill(1);
    expect(await unreadable(c.gatewayUrl, files)).toEqual([]);
  });
});

describe('reads and writes that find a chunk wrong queue it', () => {
  it('a download that meets a corrupt chunk, and an upload that could not place a chunk, get them rebuilt (no scrubber running)', async () => {
    const c = await clusterFor(undo, { gatewayEnv: { ...FAST_REPAIR, SCRUB_INTERVAL_MS: '0' } });
    const nodes = new ClusterNodes(c);
    undo.push(() => nodes.stopRestarted());
    const [read] = await uploadAll(c, [6 * MiB + 5]);
    const chunk0 = (await chunkRows(c)).find((r) => r.chunk_number === 0)!;
    const path = chunkPath(nodeDir(c, c.nodes.findIndex((n) => n.address === chunk0.address)), chunk0.chunk_id);
    const fh = await open(path, 'r+');
    const { size } = await fh.stat();
    await fh.write(Buffer.from([0x5a]), 0, 1, size - 100_000); // inside the data, not the header
    await fh.close();
    expect(await unreadable(c.gatewayUrl, [read!])).toEqual([]); // read around it (parity), queued
    const healedRead = await pollUntil(
      () => c.db.pool.query<{ chunk_number: number }>(`SELECT chunk_number FROM heal_events WHERE ok AND file_id = $1`, [read!.id]),
      (r) => r.rows.length > 0,
      30_000,
      200,
    );
    expect(healedRead.rows).toEqual([{ chunk_number: 0 }]);

    // With a node down, a new file has a chunk with no node to go to: recorded missing, rebuilt
    // once a node that holds none of the file's chunks is back.
    const victim = c.nodes.findIndex((n) => n.address !== chunk0.address);
    await nodes.kill(victim);
    await pollUntil(
      () => api(`${c.gatewayUrl}/admin/nodes`),
      (r) => r.json.nodes.some((n: any) => n.address === c.nodes[victim]!.address && n.status !== 'healthy'),
      20_000,
      200,
    );
    const [written] = await uploadAll(c, [5 * MiB]);
    const meta = await api(`${c.gatewayUrl}/files/${written!.id}/metadata`);
    const missing = meta.json.chunks.filter((ch: any) => ch.state !== 'ok').map((ch: any) => ch.chunk_number);
    expect(missing).toHaveLength(1);
    await nodes.restart(victim);
    const healedWrite = await pollUntil(
      () => c.db.pool.query<{ chunk_number: number }>(`SELECT chunk_number FROM heal_events WHERE ok AND file_id = $1`, [written!.id]),
      (r) => r.rows.length > 0,
      30_000,
      200,
    );
    expect(healedWrite.rows.map((r) => r.chunk_number)).toEqual(missing);
    await awaitFullyRedundant(c.gatewayUrl, 2);
    await nodes.kill((victim + 1) % 6);
    await nodes.kill((victim + 2) % 6);
    expect(await unreadable(c.gatewayUrl, [read!, written!])).toEqual([]);
  });
});

describe('scrubbing', () => {
  it('a scrub pass cut off by kill -9 is resumed from its saved cursor by another gateway, and no chunk is counted twice', async () => {
    const c = await clusterFor(undo, { gatewayEnv: { ...FAST_REPAIR, SCRUB_INTERVAL_MS: '0' } });
    await uploadAll(c, Array.from({ length: 10 }, () => 4 * MiB));
    const total = (await chunkRows(c)).length;
    const scrubber = (rate: string) =>
      startGatewayProcess({
        databaseUrl: c.db.url,
        nodeAddresses: c.nodes.map((n) => n.address),
        dataDir: c.dataDir,
        env: { ...FAST_REPAIR, SCRUB_RATE_MIB: rate, HEAL_LEASE_MS: '2000' },
      });
    const first = await scrubber('4'); // about 15 s for the 60 MiB of chunks
    undo.push(() => first.stop());
    const saved = await pollUntil(
      () => c.db.pool.query<{ id: string; chunks_checked: string; finished_at: Date | null }>('SELECT id, chunks_checked, finished_at FROM scrub_runs'),
      (r) => r.rows.length === 1 && Number(r.rows[0]!.chunks_checked) > 0,
      30_000,
      100,
    );
    expect(saved.rows).toHaveLength(1);
    expect(saved.rows[0]!.finished_at).toBeNull();
    await killHard(first.child);
    const checkedBefore = Number(saved.rows[0]!.chunks_checked);
    expect(checkedBefore).toBeLessThan(total);

    const second = await scrubber('0');
    undo.push(() => second.stop());
    const done = await pollUntil(
      () => c.db.pool.query<{ id: string; chunks_checked: string; finished_at: Date | null }>('SELECT id, chunks_checked, finished_at FROM scrub_runs ORDER BY id'),
      (r) => r.rows[0]?.finished_at != null,
      30_000,
      100,
    );
    // The same pass, finished, every chunk counted once: the second gateway went on from the cursor.
    expect(done.rows[0]!.id).toBe(saved.rows[0]!.id);
    expect(done.rows[0]!.finished_at).not.toBeNull();
    expect(Number(done.rows[0]!.chunks_checked)).toBe(total);
    const { scrub } = await redundancy(c.gatewayUrl);
    expect(scrub.last.chunks_checked).toBe(total);
    expect(scrub.last.progress).toBe(1);
  });
});

describe('healing shared by gateways', () => {
  it('a gateway killed in the middle of healing is taken over by the next; two gateways never heal a chunk twice; traffic stays exact', async () => {
    // The cluster's own gateway queues (scrubber) but does not heal; healing gateways come and go.
    const c = await clusterFor(undo, { gatewayEnv: { ...FAST_REPAIR, HEAL_CONCURRENCY: '0' } });
    const nodes = new ClusterNodes(c);
    undo.push(() => nodes.stopRestarted());
    const files = await uploadAll(c, Array.from({ length: 12 }, (_, i) => 2 * MiB + i * 997 * 1024));
    const victim = 3;
    const wiped = (await chunkRows(c)).filter((r) => r.address === c.nodes[victim]!.address).length;
    await nodes.kill(victim);
    await rm(nodeDir(c, victim), { recursive: true, force: true });
    await nodes.restart(victim);
    await nodes.awaitHealthy([victim]);
    await pollUntil(() => redundancy(c.gatewayUrl), (r) => r.heal_queue.chunks >= wiped, 30_000, 200);

    const healer = (rate: string) =>
      startGatewayProcess({
        databaseUrl: c.db.url,
        nodeAddresses: c.nodes.map((n) => n.address),
        dataDir: c.dataDir,
        env: { ...FAST_REPAIR, SCRUB_INTERVAL_MS: '0', HEAL_RATE_MIB: rate, HEAL_LEASE_MS: '2000', HEAL_CONCURRENCY: '1' },
      });
    // A slow healer: each file takes about a second to read back.
    const first = await healer('2');
    undo.push(() => first.stop());
    await pollUntil(
      () => c.db.pool.query('SELECT 1 FROM heal_queue WHERE claimed_until > now()'),
      (r) => (r.rowCount ?? 0) > 0,
      20_000,
      50,
    );
    await new Promise((r) => setTimeout(r, 500));
    await killHard(first.child); // in the middle of a file

    // Two gateways take over; uploads and downloads run meanwhile.
    const second = await healer('4');
    undo.push(() => second.stop());
    const third = await healer('4');
    undo.push(() => third.stop());
    const traffic = (async () => {
      const problems: string[] = [];
      for (let round = 0; round < 4; round++) {
        const more = await uploadAll(c, [3 * MiB + round]);
        problems.push(...(await unreadable(c.gatewayUrl, [...more, files[round]!])));
      }
      return problems;
    })();
    await awaitFullyRedundant(c.gatewayUrl, files.length + 4, 120_000);
    expect(await traffic).toEqual([]);

    const events = await c.db.pool.query<{ file_id: string; chunk_number: number; healed_by: string; n: number }>(
      `SELECT file_id, chunk_number, min(healed_by) AS healed_by, count(*)::int AS n FROM heal_events WHERE ok
       GROUP BY file_id, chunk_number`,
    );
    expect(events.rows.filter((e) => e.n > 1)).toEqual([]);
    expect(events.rows.length).toBe(wiped);
    const claimants = new Set(events.rows.map((e) => e.healed_by.split(':')[1]));
    expect(claimants.size, `healed by ${[...claimants].join(', ')}`).toBeGreaterThanOrEqual(2);

    await nodes.kill(0);
    await nodes.kill(5);
    expect(await unreadable(c.gatewayUrl, files)).toEqual([]);
  });
});

/** Chunk bytes the metadata places on each node, by address. */
async function fillByAddress(c: TestCluster): Promise<Map<string, number>> {
  const r = await c.db.pool.query<{ address: string; bytes: string }>(
    `SELECT n.address, COALESCE(sum(c.size), 0)::text AS bytes FROM storage_nodes n LEFT JOIN chunks c ON c.node_id = n.id
     WHERE n.status NOT IN ('dead') GROUP BY n.address`,
  );
  return new Map(r.rows.map((x) => [x.address, Number(x.bytes)]));
}

const withinTenPercent = (fill: Map<string, number>): boolean => {
  const values = [...fill.values()];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.max(...values) - Math.min(...values) <= 0.1 * mean;
};

describe('membership changes move data without lowering redundancy', () => {
  it('a seventh node joining by itself is filled by a rebalance to within 10% of the mean; files stay exact and survive two lost nodes', async () => {
    const c = await clusterFor(undo, { gatewayEnv: { ...FAST_REPAIR, SCRUB_INTERVAL_MS: '0' } });
    const nodes = new ClusterNodes(c);
    const files = await uploadAll(c, Array.from({ length: 30 }, (_, i) => 4 * MiB + i * 131_071));
    const joiner = await startStorageNode({ JOIN_URL: c.gatewayUrl, ANNOUNCE_INTERVAL_MS: '300', NODE_ID: 'joiner', CLUSTER_TOKEN: c.clusterToken });
    undo.push(() => joiner.cleanup());

    const traffic = (async () => {
      const problems: string[] = [];
      for (let round = 0; round < 3; round++) {
        const more = await uploadAll(c, [2 * MiB + round]);
        problems.push(...(await unreadable(c.gatewayUrl, [...more, ...files.slice(round * 5, round * 5 + 5)])));
      }
      return problems;
    })();
    let fill = new Map<string, number>();
    const even = await pollUntil(
      async () => (fill = await fillByAddress(c)),
      (f) => f.size === 7 && withinTenPercent(f),
      90_000,
      500,
    );
    const report = [...fill].map(([a, b]) => `${a}=${(b / MiB).toFixed(1)}`).join(' ');
    expect(even.size === 7 && withinTenPercent(even), `fill (MiB): ${report}`).toBe(true);
    console.log(`rebalanced onto the joined node: ${report}`);
    expect(await traffic).toEqual([]);
    await awaitFullyRedundant(c.gatewayUrl, files.length + 3);

    const moved = await c.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM heal_events WHERE ok AND kind = 'move'`);
    expect(moved.rows[0]!.n).toBeGreaterThan(0);
    expect((await redundancy(c.gatewayUrl)).moves.done).toBe(moved.rows[0]!.n);
    // The old copies are gone from the nodes they left: every node holds exactly the chunks the metadata names.
    const rows = await chunkRows(c);
    const dirs = [...c.nodes.map((_, i) => ({ address: c.nodes[i]!.address, dir: nodeDir(c, i) })), { address: joiner.address, dir: joiner.dataDir }];
    const stray = await pollUntil(
      async () => {
        const found: string[] = [];
        for (const { address, dir } of dirs) {
          const expected = new Set(rows.filter((r) => r.address === address).map((r) => r.chunk_id));
          for (const f of await storedFiles(dir)) if (!expected.has(f.split('/').pop()!)) found.push(`${address}: ${f}`);
        }
        return found;
      },
      (found) => found.length === 0,
      20_000,
      500,
    );
    expect(stray).toEqual([]);

    await nodes.kill(0);
    await nodes.kill(3);
    expect(await unreadable(c.gatewayUrl, files)).toEqual([]);
  });

  it('a drained node empties while uploads avoid it, is removed, and every file still survives two lost nodes', async () => {
    const c = await clusterFor(undo, { nodes: 7, gatewayEnv: { ...FAST_REPAIR, SCRUB_INTERVAL_MS: '0' } });
    const nodes = new ClusterNodes(c);
    const files = await uploadAll(c, [10, MiB + 1, 5 * MiB, 17 * MiB + 12_345, 8 * MiB, 6 * MiB - 1, 4 * MiB]);
    const victim = 2;
    const address = c.nodes[victim]!.address;
    const { json: listing } = await api(`${c.gatewayUrl}/admin/nodes`);
    const id = listing.nodes.find((n: any) => n.address === address).id as number;
    expect(listing.nodes.find((n: any) => n.id === id).chunks).toBeGreaterThan(0);

    const drain = await api(`${c.gatewayUrl}/admin/nodes/${id}/drain`, { method: 'POST' });
    expect(drain.status, drain.text).toBe(202);
    expect((await api(`${c.gatewayUrl}/admin/nodes/999999/drain`, { method: 'POST' })).status).toBe(404);
    // New files go elsewhere at once.
    const more = await uploadAll(c, [6 * MiB, 2 * MiB]);
    const placedOnVictim = (await chunkRows(c)).filter((r) => r.address === address && more.some((f) => r.chunk_id.startsWith(f.id)));
    expect(placedOnVictim).toEqual([]);

    const drained = await pollUntil(
      () => api(`${c.gatewayUrl}/admin/nodes`),
      (r) => r.json.nodes.find((n: any) => n.id === id)?.chunks === 0,
      60_000,
      250,
    );
    const state = drained.json.nodes.find((n: any) => n.id === id);
    expect(state, JSON.stringify(state)).toMatchObject({ chunks: 0, draining: true });
    await awaitFullyRedundant(c.gatewayUrl, files.length + more.length);
    const removed = await api(`${c.gatewayUrl}/admin/nodes/${id}`, { method: 'DELETE' });
    expect(removed.status, removed.text).toBe(200);
    await nodes.kill(victim);

    await nodes.kill(0);
    await nodes.kill(5);
    expect(await unreadable(c.gatewayUrl, [...files, ...more])).toEqual([]);
  });
});
