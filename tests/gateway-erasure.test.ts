// Erasure coding (k = 4 data + m = 2 parity units per stripe, six nodes): every file survives any
// two lost nodes, whether killed, stalled, or holding a corrupt byte; three lost nodes give a clean
// 503 or a cut connection, never wrong bytes; uploads go on with one node lost mid-way and need
// WRITE_QUORUM nodes; /health says healthy, degraded or unhealthy; files written without parity stay
// readable. Real processes; every wait is bounded.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import {
  MiB,
  api,
  captureOutput,
  chunkPath,
  download,
  filesOnNodes,
  isRunning,
  killHard,
  patternBlocks,
  pollUntil,
  rawUpload,
  startGatewayProcess,
  tableCounts,
  type RawUploadResult,
  uploadBuffer,
  waitFor,
} from './helpers/raw-upload.js';
import { clusterForTest as clusterFor, undoAfterEach } from './helpers/cleanup.js';
import { ClusterNodes, nodeDir } from './helpers/cluster-nodes.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const K = 4;
const M = 2;
const UNIT = MiB;

interface ChunkJson {
  chunk_number: number;
  chunk_id: string;
  size: number;
  checksum: string | null;
  server_id: number | null;
  server_address: string | null;
  role: 'data' | 'parity';
  state: 'ok' | 'missing';
}

interface StoredFile {
  id: string;
  data: Buffer;
  sha: string;
}

const undo = undoAfterEach();

const clusterForTest = (options: Parameters<typeof startTestCluster>[0] = {}): Promise<TestCluster> => clusterFor(undo, options);


function nodeIndex(c: TestCluster, address: string | null): number {
  const i = c.nodes.findIndex((n) => n.address === address);
  if (i < 0) throw new Error(`no node of the cluster listens on ${address}`);
  return i;
}

const outcome = (r: RawUploadResult): string =>
  `status ${r.status}, request error ${r.error?.code ?? 'none'}, ${r.sentBytes} file bytes sent, body ${r.text || '(none)'}`;

const gatewayState = (c: TestCluster): string =>
  isRunning(c.gateway.child) ? 'running' : `exited (code ${c.gateway.child.exitCode}, signal ${c.gateway.child.signalCode})`;

/**
 * The chunks a file of `size` bytes has under k = 4, m = 2 and 1 MiB units, with their sizes:
 * data chunk i holds unit i of every stripe; parity chunks (numbered from k) are as long as data chunk 0.
 */
function expectedChunks(size: number): { chunk_number: number; role: 'data' | 'parity'; size: number }[] {
  const units = Math.ceil(size / UNIT);
  if (units === 0) return [];
  const dataSize = (i: number): number => {
    let bytes = 0;
    for (let u = i; u < units; u += K) bytes += Math.min(UNIT, size - u * UNIT);
    return bytes;
  };
  const data = Array.from({ length: Math.min(K, units) }, (_, i) => ({ chunk_number: i, role: 'data' as const, size: dataSize(i) }));
  const parity = Array.from({ length: M }, (_, j) => ({ chunk_number: K + j, role: 'parity' as const, size: dataSize(0) }));
  return [...data, ...parity];
}

/** Inclusive byte ranges that cross unit (1 MiB) and stripe (4 MiB) borders, kept inside the file. */
function rangesFor(size: number): [number, number][] {
  const candidates: [number, number][] = [
    [3, 7],
    [UNIT - 3, UNIT + 2], // unit border
    [2 * UNIT + 100, 2 * UNIT + 200], // inside one unit (chunk 2)
    [4 * UNIT - 1000, 4 * UNIT + 999], // stripe border
    [3 * UNIT + 7, 9 * UNIT + 11], // over several stripes
    [17 * UNIT - 5, 17 * UNIT + 5], // into the short last unit of 17 MiB + 12345
    [size - 5, size - 1], // the last bytes
  ];
  return candidates.filter(([a, b]) => a >= 0 && a <= b && b < size);
}

/** Downloads the file and checks it is exact; returns a description of what was wrong, or null. */
async function checkFull(url: string, file: StoredFile, timeoutMs = 60_000): Promise<string | null> {
  const d = await download(`${url}/files/${file.id}`, { timeoutMs });
  if (d.status === 200 && d.complete && d.bytes === file.data.length && d.sha256 === file.sha) return null;
  return `file of ${file.data.length} bytes: ${describe200(d, 200, d.sha256 === file.sha)}`;
}

/** What a download that was not right got: its status and body, or how its body went wrong. */
function describe200(d: Awaited<ReturnType<typeof download>>, expected: number, exact: boolean): string {
  if (d.status !== expected) return `status ${d.status}, body ${d.json ? JSON.stringify(d.json) : '(none)'}, error ${d.error?.message ?? 'none'}`;
  if (!d.complete) return `status ${d.status}, cut after ${d.bytes} bytes, error ${d.error?.message ?? 'none'}`;
  return `status ${d.status}, ${d.bytes} bytes, ${exact ? 'exact' : 'WRONG BYTES'}`;
}

async function checkRange(url: string, file: StoredFile, [from, to]: [number, number], timeoutMs = 60_000): Promise<string | null> {
  const d = await download(`${url}/files/${file.id}`, { range: `bytes=${from}-${to}`, keepBody: true, timeoutMs });
  const exact = d.body?.equals(file.data.subarray(from, to + 1)) === true;
  if (d.status === 206 && d.complete && exact) return null;
  return `file of ${file.data.length} bytes, range ${from}-${to}: ${describe200(d, 206, exact)}`;
}

/** Polls /admin/nodes until the node at `address` is not healthy (the gateway has noticed it is gone). */
async function awaitNotHealthy(c: TestCluster, address: string, timeoutMs = 20_000): Promise<string> {
  const r = await pollUntil(
    () => api(`${c.gatewayUrl}/admin/nodes`),
    (r) => r.status === 200 && (r.json.nodes as { address: string; status: string }[]).some((n) => n.address === address && n.status !== 'healthy'),
    timeoutMs,
    200,
  );
  return (r.json?.nodes as { address: string; status: string }[] | undefined)?.find((n) => n.address === address)?.status ?? 'unknown';
}

async function metadataOf(c: TestCluster, fileId: string): Promise<{ status: number; json: any; text: string }> {
  return api(`${c.gatewayUrl}/files/${fileId}/metadata`);
}

describe('every file survives any two lost nodes (k = 4, m = 2, six nodes)', () => {
  const sizes = [0, 10, MiB + 1, 4 * MiB - 3, 17 * MiB + 12_345, 100 * MiB];
  let c: TestCluster;
  let nodes: ClusterNodes;
  let files: StoredFile[];
  let gatewayOutput: () => string;

  beforeAll(async () => {
    c = await startTestCluster();
    nodes = new ClusterNodes(c);
    gatewayOutput = captureOutput(c.gateway.child);
    files = [];
    for (const size of sizes) {
      const data = randomBytes(size);
      const up = await uploadBuffer(c.gatewayUrl, data, `ec-${size}.bin`);
      if (up.status !== 201) throw new Error(`upload of ${size} bytes: ${outcome(up)}\n${gatewayOutput()}`);
      files.push({ id: up.json.file_id as string, data, sha: sha256(data) });
    }
  }, 180_000);
  beforeEach((context) => {
    context.onTestFailed(() => console.log(`--- gateway output ---\n${gatewayOutput().slice(-8_000)}`));
  });
  afterAll(async () => {
    await nodes?.stopRestarted();
    await c?.destroy();
  });

  it('metadata: k = 4, m = 2, data chunks then parity chunks numbered from k, sizes, roles, all "ok", each on its own node', async () => {
    for (const file of files) {
      const size = file.data.length;
      const meta = await metadataOf(c, file.id);
      expect(meta.status, meta.text).toBe(200);
      expect(meta.json, `file of ${size} bytes`).toMatchObject({ size, checksum: file.sha, k: K, m: M, stripe_unit: UNIT });
      const chunks = meta.json.chunks as ChunkJson[];
      expect(
        chunks.map((ch) => ({ chunk_number: ch.chunk_number, role: ch.role, size: ch.size })),
        `chunks of the file of ${size} bytes`,
      ).toEqual(expectedChunks(size));
      expect(chunks.every((ch) => ch.state === 'ok'), `states of the file of ${size} bytes: ${chunks.map((ch) => ch.state)}`).toBe(true);
      const servers = chunks.map((ch) => ch.server_id);
      expect(new Set(servers).size, `servers of the file of ${size} bytes: ${servers}`).toBe(chunks.length);
      expect(servers.every((s) => typeof s === 'number')).toBe(true);
    }
    // Spot checks of the counts the layout implies.
    const counts = await Promise.all(files.map(async (f) => ((await metadataOf(c, f.id)).json.chunks as ChunkJson[]).length));
    expect(counts).toEqual([0, 3, 4, 6, 6, 6]);
  });

  it('with any two of the six nodes killed (all 15 pairs), every file and every range across unit and stripe borders is exact', async () => {
    const failures: string[] = [];
    const timings: string[] = [];
    const started = Date.now();
    for (let a = 0; a < 6 && failures.length <= 30; a++) {
      for (let b = a + 1; b < 6 && failures.length <= 30; b++) {
        const pair = `nodes ${a + 1} and ${b + 1} down`;
        const pairStart = Date.now();
        await Promise.all([nodes.kill(a), nodes.kill(b)]);
        // Every file whole and in ranges, all at once (on two cores the requests overlap their waits).
        const results = await Promise.all(
          files.flatMap((file) => [
            checkFull(c.gatewayUrl, file),
            ...rangesFor(file.data.length).map((range) => checkRange(c.gatewayUrl, file, range)),
          ]),
        );
        failures.push(...results.filter((r): r is string => r !== null).map((r) => `${pair}: ${r}`));
        if (!isRunning(c.gateway.child)) {
          failures.push(`${pair}: the gateway ${gatewayState(c)}; stopped here`);
          return void expect(failures).toEqual([]);
        }
        // Back on the same port and data; the next pair needs every other node usable again.
        // (Nodes stay down only for the checks: the longer a node is down, the longer the gateway's
        // gRPC reconnect backoff takes to notice it is back.)
        const checkedAt = Date.now();
        await Promise.all([nodes.restart(a), nodes.restart(b)]);
        const listing = await nodes.awaitHealthy([a, b]);
        timings.push(`${a + 1}+${b + 1}: checks ${((checkedAt - pairStart) / 1000).toFixed(1)} s, back ${((Date.now() - checkedAt) / 1000).toFixed(1)} s`);
        if (![a, b].every((i) => listing.some((n) => n.address === c.nodes[i]!.address && n.status === 'healthy'))) {
          failures.push(`${pair}: restarted nodes not healthy in /admin/nodes after 30 s: ${JSON.stringify(listing)}`);
          return void expect(failures).toEqual([]);
        }
      }
    }
    console.log(`15 pairs of lost nodes checked in ${((Date.now() - started) / 1000).toFixed(1)} s, ${failures.length} failures; ${timings.join('; ')}`);
    expect(failures).toEqual([]);
    expect(timings, 'every pair was checked').toHaveLength(15);
  }, 300_000);
});

/** Address of the node holding chunk `n` of the file being uploaded (from its `uploading` metadata), or null. */
async function uploadingChunkAddress(c: TestCluster, n: number): Promise<string | null> {
  const r = await c.db.pool.query<{ address: string }>(
    `SELECT s.address FROM files f JOIN chunks ch ON ch.file_id = f.id JOIN storage_nodes s ON s.id = ch.node_id
     WHERE f.status = 'uploading' AND ch.chunk_number = $1`,
    [n],
  );
  return r.rows[0]?.address ?? null;
}

describe('more than m nodes lost', () => {
  it('with three nodes killed: multi-stripe files answer 503 StorageUnavailable or a cut connection, never wrong bytes, never a hang', async () => {
    const c = await clusterForTest();
    const multiStripe: StoredFile[] = [];
    for (const size of [17 * MiB + 12_345, 24 * MiB + 1]) {
      const data = randomBytes(size);
      const up = await uploadBuffer(c.gatewayUrl, data, `three-${size}.bin`);
      expect(up.status, outcome(up)).toBe(201);
      multiStripe.push({ id: up.json.file_id, data, sha: sha256(data) });
    }
    await Promise.all([0, 1, 2].map((i) => killHard(c.nodes[i]!.child)));
    const killed = [0, 1, 2].map((i) => c.nodes[i]!.address);
    for (const file of multiStripe) {
      const d = await download(`${c.gatewayUrl}/files/${file.id}`, { timeoutMs: 30_000 });
      const seen = `file of ${file.data.length} bytes: status ${d.status}, ${d.bytes} bytes in ${d.ms} ms, complete ${d.complete}, body ${d.json ? JSON.stringify(d.json) : ''}, error ${d.error?.message ?? 'none'}, gateway ${gatewayState(c)}`;
      expect(d.timedOut, `hang: ${seen}`).toBe(false);
      if (d.status === 503) {
        expect(d.json?.code, seen).toBe('StorageUnavailable');
        expect(typeof d.json?.error, seen).toBe('string');
        // The error says what is missing: a chunk, a stripe or one of the dead nodes.
        expect(
          killed.some((a) => d.json.error.includes(a)) || /chunk|stripe|unit|node/i.test(d.json.error),
          `the 503 names what is missing: ${d.json.error}`,
        ).toBe(true);
      } else {
        expect(d.status, `neither a 503 nor a started 200: ${seen}`).toBe(200);
        expect(d.complete, `a 200 with every byte cannot be right with three chunks of a stripe gone: ${seen}`).toBe(false);
        expect(d.bytes, seen).toBeLessThan(file.data.length);
      }
      // A range may be served from live data chunks alone; whatever completes must be exact.
      for (const [from, to] of rangesFor(file.data.length)) {
        const r = await download(`${c.gatewayUrl}/files/${file.id}`, { range: `bytes=${from}-${to}`, keepBody: true, timeoutMs: 30_000 });
        const what = `range ${from}-${to} of the file of ${file.data.length} bytes: status ${r.status}, ${r.bytes} bytes, complete ${r.complete}, body ${r.json ? JSON.stringify(r.json) : ''}`;
        expect(r.timedOut, `hang: ${what}`).toBe(false);
        if (r.status === 206 && r.complete) expect(r.body!.equals(file.data.subarray(from, to + 1)), `wrong bytes: ${what}`).toBe(true);
        else if (r.status === 503) expect(r.json?.code, what).toBe('StorageUnavailable');
        else {
          expect(r.status, what).toBe(206);
          expect(r.complete, what).toBe(false);
        }
      }
    }
    expect(isRunning(c.gateway.child), `the gateway ${gatewayState(c)}`).toBe(true);
  }, 120_000);
});

describe('nodes lost during transfers', () => {
  it('a node killed in the middle of a 1 GiB upload: 201, exactly one chunk "missing", and the file downloads bit-exact', async () => {
    const c = await clusterForTest();
    const size = 1024 * MiB;
    let victim = -1;
    const result = await rawUpload({
      url: c.gatewayUrl,
      blocks: patternBlocks(size),
      declaredSize: size,
      filename: 'one-gib.bin',
      timeoutMs: 240_000,
      onProgress: async (sent) => {
        if (victim >= 0 || sent < 300 * MiB) return;
        // Kill the node writing data chunk 1, so the download has to rebuild its units from parity.
        const address = await uploadingChunkAddress(c, 1);
        victim = address ? nodeIndex(c, address) : 2;
        await waitFor(async () => (await filesOnNodes([nodeDir(c, victim)])).some((f) => f.includes(': tmp/')), 10_000);
        await killHard(c.nodes[victim]!.child);
      },
    });
    console.log(`1 GiB upload with node ${victim + 1} killed after 300 MiB: ${outcome(result)}`);
    expect(victim).toBeGreaterThanOrEqual(0);
    expect(result.status, outcome(result)).toBe(201);
    expect(result.json.checksum).toBe(result.sha256);
    const meta = await metadataOf(c, result.json.file_id);
    expect(meta.status, meta.text).toBe(200);
    const chunks = meta.json.chunks as ChunkJson[];
    expect(chunks.map((ch) => ch.chunk_number)).toEqual([0, 1, 2, 3, 4, 5]);
    const missing = chunks.filter((ch) => ch.state === 'missing');
    expect(missing.length, `states: ${chunks.map((ch) => `${ch.chunk_number}:${ch.state}@${ch.server_address}`).join(' ')}`).toBe(1);
    expect([null, c.nodes[victim]!.address]).toContain(missing[0]!.server_address);
    expect(chunks.filter((ch) => ch.state === 'ok').map((ch) => ch.server_address)).not.toContain(c.nodes[victim]!.address);

    const d = await download(`${c.gatewayUrl}/files/${result.json.file_id}`, { timeoutMs: 180_000 });
    expect(d.status).toBe(200);
    expect(d.complete, `error ${d.error?.message ?? 'none'}, ${d.bytes} bytes`).toBe(true);
    expect(d.sha256).toBe(result.sha256);
  }, 420_000);

  it('a node killed in the middle of a 200 MiB download: the download completes bit-exact', async () => {
    const c = await clusterForTest();
    const size = 200 * MiB;
    const up = await rawUpload({ url: c.gatewayUrl, blocks: patternBlocks(size), declaredSize: size, timeoutMs: 120_000 });
    expect(up.status, outcome(up)).toBe(201);
    const chunks = (await metadataOf(c, up.json.file_id)).json.chunks as ChunkJson[];
    const victim = nodeIndex(c, chunks.find((ch) => ch.chunk_number === 1)!.server_address);
    let killedAt = 0;
    const d = await download(`${c.gatewayUrl}/files/${up.json.file_id}`, {
      timeoutMs: 120_000,
      onProgress: async (received) => {
        if (killedAt || received < 50 * MiB) return;
        killedAt = received;
        await killHard(c.nodes[victim]!.child);
      },
    });
    console.log(`node ${victim + 1} (data chunk 1) killed after ${(killedAt / MiB).toFixed(1)} MiB; download ${d.status}, ${d.bytes} bytes, ${d.ms} ms`);
    expect(killedAt).toBeGreaterThan(0);
    expect(d.status).toBe(200);
    expect(d.complete, `error ${d.error?.message ?? 'none'}, ${d.bytes} bytes, gateway ${gatewayState(c)}`).toBe(true);
    expect(d.sha256).toBe(up.sha256);
  }, 240_000);

  it('a node stalled (SIGSTOP) during a download, NODE_STALL_MS=2000: the download completes bit-exact within the stall bound plus 8 s', async () => {
    const stallMs = 2_000;
    const c = await clusterForTest({ gatewayEnv: { NODE_STALL_MS: String(stallMs) } });
    const size = 64 * MiB;
    const up = await rawUpload({ url: c.gatewayUrl, blocks: patternBlocks(size), declaredSize: size, timeoutMs: 120_000 });
    expect(up.status, outcome(up)).toBe(201);
    const chunks = (await metadataOf(c, up.json.file_id)).json.chunks as ChunkJson[];
    const victim = c.nodes[nodeIndex(c, chunks.find((ch) => ch.chunk_number === 2)!.server_address)]!;
    // Run last-in-first-out: the node is continued before the cluster is stopped.
    undo.push(async () => victim.child.kill('SIGCONT'));
    let stoppedAt = 0;
    const d = await download(`${c.gatewayUrl}/files/${up.json.file_id}`, {
      timeoutMs: 30_000,
      onProgress: (received) => {
        if (stoppedAt || received < 8 * MiB) return;
        stoppedAt = received;
        victim.child.kill('SIGSTOP');
      },
    });
    victim.child.kill('SIGCONT');
    console.log(`node ${victim.name} (data chunk 2) stopped after ${(stoppedAt / MiB).toFixed(1)} MiB; download ${d.status}, ${d.bytes} bytes in ${d.ms} ms`);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(d.timedOut, `the download hung: ${d.bytes} bytes`).toBe(false);
    expect(d.status).toBe(200);
    expect(d.complete, `error ${d.error?.message ?? 'none'}, ${d.bytes} bytes`).toBe(true);
    expect(d.sha256).toBe(up.sha256);
    expect(d.ms).toBeLessThan(stallMs + 8_000);
  }, 180_000);
});

describe('a corrupt byte on disk', () => {
  it('one byte flipped in a stored data chunk: full and ranged downloads are still exact', async () => {
    const c = await clusterForTest();
    const data = randomBytes(9 * MiB + 777);
    const up = await uploadBuffer(c.gatewayUrl, data, 'flipped.bin');
    expect(up.status, outcome(up)).toBe(201);
    const file: StoredFile = { id: up.json.file_id, data, sha: sha256(data) };
    const chunks = up.json.chunks as ChunkJson[];
    const chunk1 = chunks.find((ch) => ch.chunk_number === 1)!;
    // Chunk 1 holds unit 1 of each stripe of k data units; its byte UNIT + 12345 is file byte (k + 1) * UNIT + 12345.
    // (k from the file's metadata; a gateway without it has as many data chunks as units per stripe.)
    const k = (up.json.k as number | undefined) ?? chunks.length;
    const inChunk = UNIT + 12_345;
    const fileOffset = (k + 1) * UNIT + 12_345;
    const path = chunkPath(nodeDir(c, nodeIndex(c, chunk1.server_address)), chunk1.chunk_id);
    // Chunk files have a 64-byte header before the data.
    const fh = await open(path, 'r+');
    try {
      const byte = Buffer.alloc(1);
      await fh.read(byte, 0, 1, 64 + inChunk);
      expect(byte[0], 'the chunk file holds the file byte at 64 + offset').toBe(data[fileOffset]);
      byte[0] = byte[0]! ^ 0x5a;
      await fh.write(byte, 0, 1, 64 + inChunk);
      await fh.sync();
    } finally {
      await fh.close();
    }

    const failures: string[] = [];
    const full = await checkFull(c.gatewayUrl, file);
    if (full) failures.push(`full: ${full}`);
    const ranges: [number, number][] = [
      [fileOffset, fileOffset], // the flipped byte alone
      [fileOffset - 100, fileOffset + 100],
      [4 * UNIT - 10, 6 * UNIT + 10], // the whole unit around it, across the stripe border
      [UNIT - 3, UNIT + 2], // the same chunk, another stripe
      [0, data.length - 1],
    ];
    for (const range of ranges) {
      const part = await checkRange(c.gatewayUrl, file, range);
      if (part) failures.push(part);
    }
    // Once more, after whatever the gateway did about the corrupt block (healing, marking it).
    const again = await checkFull(c.gatewayUrl, file);
    if (again) failures.push(`full, again: ${again}`);
    expect(failures).toEqual([]);
    expect(isRunning(c.gateway.child), `the gateway ${gatewayState(c)}`).toBe(true);
  });
});

describe('writes and /health as nodes go down (WRITE_QUORUM = k + 1 = 5)', () => {
  let c: TestCluster;
  let gatewayOutput: () => string;
  beforeAll(async () => {
    c = await startTestCluster();
    gatewayOutput = captureOutput(c.gateway.child);
  });
  beforeEach((context) => {
    context.onTestFailed(() => console.log(`--- gateway output ---\n${gatewayOutput().slice(-8_000)}`));
  });
  afterAll(async () => {
    await c?.destroy();
  });

  /** Kills the given nodes (if still running) and waits until the gateway no longer counts them healthy. */
  async function down(indices: number[]): Promise<void> {
    for (const i of indices) {
      await killHard(c.nodes[i]!.child);
      const status = await awaitNotHealthy(c, c.nodes[i]!.address);
      expect(status, `node ${i + 1} after kill -9`).not.toBe('healthy');
    }
  }

  it('six nodes: /health is 200 "healthy" with 6 of 6 storage servers', async () => {
    const h = await pollUntil(() => api(`${c.gatewayUrl}/health`), (r) => r.json?.storage_servers === 6, 10_000);
    expect(h.status, h.text).toBe(200);
    expect(h.json).toMatchObject({ status: 'healthy', storage_servers: 6, required_storage_servers: K + M, database: 'ok' });
  });

  it('five nodes: /health is 200 "degraded"; an upload succeeds with one chunk "missing" and reads back exact', async () => {
    await down([5]);
    const h = await pollUntil(() => api(`${c.gatewayUrl}/health`), (r) => r.json?.storage_servers === 5, 10_000);
    expect(h.status, h.text).toBe(200);
    expect(h.json).toMatchObject({ status: 'degraded', storage_servers: 5, required_storage_servers: K + M, database: 'ok' });

    const data = randomBytes(9 * MiB + 1);
    const up = await uploadBuffer(c.gatewayUrl, data, 'five-nodes.bin');
    expect(up.status, outcome(up)).toBe(201);
    const chunks = (await metadataOf(c, up.json.file_id)).json.chunks as ChunkJson[];
    const states = chunks.map((ch) => `${ch.chunk_number}:${ch.state}@${ch.server_address}`).join(' ');
    expect(chunks.map((ch) => ch.chunk_number), states).toEqual([0, 1, 2, 3, 4, 5]);
    expect(chunks.filter((ch) => ch.state === 'missing').length, states).toBe(1);
    const ok = chunks.filter((ch) => ch.state === 'ok');
    expect(new Set(ok.map((ch) => ch.server_id)).size, states).toBe(5);
    expect(ok.map((ch) => ch.server_address), states).not.toContain(c.nodes[5]!.address);
    const d = await download(`${c.gatewayUrl}/files/${up.json.file_id}`, { timeoutMs: 60_000 });
    expect(d.status).toBe(200);
    expect(d.complete).toBe(true);
    expect(d.sha256).toBe(sha256(data));
  });

  it('four nodes: /health is 503 "unhealthy"; an upload gets 503 StorageUnavailable and leaves nothing visible or stored', async () => {
    await down([5, 4]);
    const h = await pollUntil(() => api(`${c.gatewayUrl}/health`), (r) => r.json?.storage_servers === 4, 10_000);
    expect(h.status, h.text).toBe(503);
    expect(h.json).toMatchObject({ status: 'unhealthy', storage_servers: 4 });
    expect(typeof h.json.reason, h.text).toBe('string');

    const survivors = [0, 1, 2, 3].map((i) => nodeDir(c, i));
    const before = { ...(await tableCounts(c.db.pool)), onNodes: (await filesOnNodes(survivors)).sort() };
    const listBefore = await api(`${c.gatewayUrl}/files?page=1&per_page=100`);
    const size = 9 * MiB;
    const up = await rawUpload({ url: c.gatewayUrl, blocks: patternBlocks(size), declaredSize: size, filename: 'four-nodes.bin', timeoutMs: 30_000 });
    expect(up.status, outcome(up)).toBe(503);
    expect(up.json?.code, outcome(up)).toBe('StorageUnavailable');
    const listAfter = await api(`${c.gatewayUrl}/files?page=1&per_page=100`);
    expect(listAfter.json.total).toBe(listBefore.json.total);
    const after = await pollUntil(
      async () => ({ ...(await tableCounts(c.db.pool)), onNodes: (await filesOnNodes(survivors)).sort() }),
      (v) => v.files === before.files && v.chunks === before.chunks && JSON.stringify(v.onNodes) === JSON.stringify(before.onNodes),
      15_000,
      250,
    );
    expect({ files: after.files, chunks: after.chunks, onNodes: after.onNodes }).toEqual({
      files: before.files,
      chunks: before.chunks,
      onNodes: before.onNodes,
    });
  });
});

describe('settings are per file', () => {
  it('files written by a gateway with PARITY_UNITS=0 stay readable, whole and in ranges, by a gateway with the defaults', async () => {
    const c = await clusterForTest({ gatewayEnv: { PARITY_UNITS: '0' } });
    const written: StoredFile[] = [];
    for (const size of [10, MiB + 1, 13 * MiB + 5]) {
      const data = randomBytes(size);
      const up = await uploadBuffer(c.gatewayUrl, data, `m0-${size}.bin`);
      expect(up.status, outcome(up)).toBe(201);
      written.push({ id: up.json.file_id, data, sha: sha256(data) });
      const meta = await metadataOf(c, up.json.file_id);
      expect(meta.json, `file of ${size} bytes`).toMatchObject({ k: K, m: 0 });
      const chunks = meta.json.chunks as ChunkJson[];
      expect(chunks.map((ch) => ch.role)).toEqual(Array(Math.min(K, Math.ceil(size / UNIT))).fill('data'));
    }

    // The first gateway stops; a second one with default settings takes over the same database and nodes.
    const exited = once(c.gateway.child, 'exit');
    c.gateway.child.kill('SIGTERM');
    const stopTimer = setTimeout(() => c.gateway.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(stopTimer);
    const second = await startGatewayProcess({ databaseUrl: c.databaseUrl, nodeAddresses: c.nodes.map((n) => n.address), dataDir: c.dataDir });
    undo.push(() => second.stop());
    onTestFailed(() => console.log(`--- second gateway output ---\n${second.output().slice(-8_000)}`));
    const url = second.url;
    await pollUntil(() => api(`${url}/health`), (r) => r.status === 200, 15_000);

    const failures: string[] = [];
    for (const file of written) {
      const full = await checkFull(url, file);
      if (full) failures.push(full);
      for (const range of rangesFor(file.data.length)) {
        const part = await checkRange(url, file, range);
        if (part) failures.push(part);
      }
      const meta = await api(`${url}/files/${file.id}/metadata`);
      if (meta.json?.m !== 0) failures.push(`file of ${file.data.length} bytes: m is ${meta.json?.m} under the second gateway`);
    }
    expect(failures).toEqual([]);

    // New files of the second gateway get its own setting.
    const fresh = await uploadBuffer(url, randomBytes(5 * MiB), 'fresh.bin');
    expect(fresh.status, outcome(fresh)).toBe(201);
    expect((await api(`${url}/files/${fresh.json.file_id}/metadata`)).json).toMatchObject({ k: K, m: M });
  });
});
