// Nothing a client or a node does brings the gateway down: downloads closed at the first byte or
// mid-way, clients reading very slowly, nodes killed under concurrent downloads, a node whose name
// does not resolve, more uploads than database connections, uploads cut off again and again.
// Real processes throughout; every wait is bounded.
import { createHash } from 'node:crypto';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import {
  MiB,
  api,
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
import { residentBytes } from './helpers/storage-client.js';
import { clusterForTest as clusterFor, undoAfterEach } from './helpers/cleanup.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const undo = undoAfterEach();

const clusterForTest = (options: Parameters<typeof startTestCluster>[0] = {}): Promise<TestCluster> => clusterFor(undo, options);

const nodeDirs = (c: TestCluster): string[] => c.nodes.map((_, i) => join(c.dataDir, `node-${i + 1}`));

const outcome = (r: RawUploadResult): string =>
  `status ${r.status}, request error ${r.error?.code ?? 'none'}, ${r.sentBytes} file bytes sent, body ${r.text || '(none)'}`;

/** Uploads `size` pattern bytes; returns the file id and the SHA-256 of what was sent. */
async function uploadPattern(c: TestCluster, size: number, filename = 'file.bin'): Promise<{ id: string; sha: string; size: number }> {
  const r = await rawUpload({ url: c.gatewayUrl, blocks: patternBlocks(size), declaredSize: size, filename, timeoutMs: 120_000 });
  expect(r.status, outcome(r)).toBe(201);
  expect(r.json.checksum).toBe(r.sha256);
  return { id: r.json.file_id as string, sha: r.sha256, size };
}

/**
 * The gateway is alive: its process keeps running for a moment (a crash after the last request
 * has time to show) and /health answers with JSON.
 */
async function expectGatewayAlive(c: TestCluster, what: string): Promise<void> {
  const died = await waitFor(async () => !isRunning(c.gateway.child), 1_500, 50);
  expect(died, `${what}: the gateway process ${gatewayState(c)}`).toBe(false);
  const health = await api(`${c.gatewayUrl}/health`, { timeoutMs: 10_000 });
  expect([200, 503], `${what}: /health answered ${health.status} ${health.text}`).toContain(health.status);
  expect(typeof health.json?.status, `${what}: /health body ${health.text}`).toBe('string');
}

const gatewayState = (c: TestCluster): string =>
  isRunning(c.gateway.child) ? 'running' : `exited (code ${c.gateway.child.exitCode}, signal ${c.gateway.child.signalCode})`;

async function expectBitExact(c: TestCluster, file: { id: string; sha: string; size: number }, what: string): Promise<void> {
  const d = await download(`${c.gatewayUrl}/files/${file.id}`, { timeoutMs: 90_000 });
  const seen = `${what}: status ${d.status}, ${d.bytes} of ${file.size} bytes, complete ${d.complete}, error ${d.error?.message ?? 'none'}`;
  expect(d.status, seen).toBe(200);
  expect(d.complete, seen).toBe(true);
  expect(d.bytes, seen).toBe(file.size);
  expect(d.sha256, seen).toBe(file.sha);
}

describe('clients that close a download', () => {
  it('closing at the first byte (like `curl | head -c 1`), ten times on a 64 MiB file: the gateway keeps running and serves the file exactly', async () => {
    const c = await clusterForTest();
    const file = await uploadPattern(c, 64 * MiB);
    for (let i = 1; i <= 10; i++) {
      const d = await download(`${c.gatewayUrl}/files/${file.id}`, { timeoutMs: 30_000, onProgress: () => 'abort' });
      const seen = `close #${i}: status ${d.status}, ${d.bytes} bytes, error ${d.error?.message ?? 'none'}, gateway ${gatewayState(c)}`;
      expect(d.status, seen).toBe(200);
      expect(d.aborted, seen).toBe(true);
      expect(d.bytes, seen).toBeLessThan(file.size);
    }
    await expectGatewayAlive(c, 'after ten downloads closed at the first byte');
    expect((await api(`${c.gatewayUrl}/health`)).status).toBe(200);
    await expectBitExact(c, file, 'full download after the closed ones');
  });

  it('closing after about 20 MiB, five times on a 64 MiB file: the gateway keeps running and serves the file exactly', async () => {
    const c = await clusterForTest();
    const file = await uploadPattern(c, 64 * MiB);
    for (let i = 1; i <= 5; i++) {
      const d = await download(`${c.gatewayUrl}/files/${file.id}`, {
        timeoutMs: 60_000,
        onProgress: (received) => (received >= (18 + 2 * i) * MiB ? 'abort' : undefined),
      });
      const seen = `close #${i}: status ${d.status}, ${d.bytes} bytes, error ${d.error?.message ?? 'none'}, gateway ${gatewayState(c)}`;
      expect(d.status, seen).toBe(200);
      expect(d.aborted, seen).toBe(true);
      expect(d.bytes, seen).toBeGreaterThanOrEqual((18 + 2 * i) * MiB);
      expect(d.bytes, seen).toBeLessThan(file.size);
    }
    await expectGatewayAlive(c, 'after five downloads closed mid-way');
    expect((await api(`${c.gatewayUrl}/health`)).status).toBe(200);
    await expectBitExact(c, file, 'full download after the closed ones');
  });
});

/**
 * A client that reads `bytesPerSecond` at most: the response is paused and a few KiB are taken
 * from it four times a second, so the kernel's socket buffers fill and backpressure reaches the
 * gateway. `stop()` cancels the request and tells how much was read.
 */
function slowReader(url: string, bytesPerSecond: number): { stop(): number; status(): number | null; failure(): string | null } {
  let received = 0;
  let status: number | null = null;
  let failure: string | null = null;
  let res: IncomingMessage | null = null;
  const perTick = Math.max(1024, Math.floor(bytesPerSecond / 4));
  const timer = setInterval(() => {
    if (!res) return;
    for (let got = 0; got < perTick; ) {
      const piece = res.read(Math.min(4096, perTick - got)) as Buffer | null;
      if (!piece) break;
      got += piece.length;
      received += piece.length;
    }
  }, 250);
  const req: ClientRequest = request(url, { agent: false }, (r) => {
    status = r.statusCode ?? 0;
    r.pause();
    r.on('error', (err) => (failure ??= err.message));
    r.on('close', () => {
      if (!r.complete) failure ??= 'the response closed before its end';
    });
    res = r;
  });
  req.on('error', (err) => (failure ??= err.message));
  req.end();
  return {
    stop() {
      clearInterval(timer);
      req.destroy();
      return received;
    },
    status: () => status,
    failure: () => failure,
  };
}

/** Peak resident memory of each process while `run` runs, sampled every 100 ms. */
async function peakMemoryDuring(pids: number[], run: () => Promise<void>): Promise<number[]> {
  const peaks = pids.map(() => 0);
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await Promise.all(
        pids.map(async (pid, i) => {
          const rss = await residentBytes(pid).catch(() => 0);
          peaks[i] = Math.max(peaks[i]!, rss);
        }),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    await run();
  } finally {
    sampling = false;
    await sampler;
  }
  return peaks;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Bytes a process has read with read(2) and the like so far (Linux /proc/<pid>/io rchar): files and sockets. */
async function bytesRead(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  const m = io.match(/^rchar:\s+(\d+)/m);
  if (!m) throw new Error(`no rchar in /proc/${pid}/io`);
  return Number(m[1]);
}

describe('slow readers', () => {
  it('one, then two clients reading a 256 MiB file at 64 KiB/s: gateway and node memory stay within a few tens of MiB of idle', async () => {
    const c = await clusterForTest();
    // The file goes in through a second gateway, so the memory its upload leaves behind (heap and
    // malloc arenas a download could reuse unseen) is not in the baseline of the gateway measured.
    const uploader = await startGatewayProcess({ databaseUrl: c.databaseUrl, nodeAddresses: c.nodes.map((n) => n.address), dataDir: c.dataDir });
    undo.push(() => uploader.stop());
    const upload = await rawUpload({ url: uploader.url, blocks: patternBlocks(256 * MiB), declaredSize: 256 * MiB, timeoutMs: 120_000 });
    expect(upload.status, outcome(upload)).toBe(201);
    const file = { id: upload.json.file_id as string, sha: upload.sha256, size: 256 * MiB };
    const warmUp = await uploadBuffer(uploader.url, Buffer.concat([...patternBlocks(4 * MiB + 1)]), 'warm-up.bin');
    expect(warmUp.status, outcome(warmUp)).toBe(201);
    await uploader.stop();
    // The measured gateway runs the download path once (a small file, read fast), then rests.
    expect((await download(`${c.gatewayUrl}/files/${warmUp.json.file_id}`, { timeoutMs: 30_000 })).complete).toBe(true);
    const gatewayPid = c.gateway.child.pid!;
    const nodePids = c.nodes.map((n) => n.child.pid!);
    await sleep(2_000);
    const [gatewayIdle, ...nodesIdle] = await Promise.all([gatewayPid, ...nodePids].map((pid) => residentBytes(pid)));
    const [gatewayReadBefore, ...nodesReadBefore] = await Promise.all([gatewayPid, ...nodePids].map((pid) => bytesRead(pid)));
    const url = `${c.gatewayUrl}/files/${file.id}`;
    const rate = 64 * 1024;

    const readers: ReturnType<typeof slowReader>[] = [];
    undo.push(async () => readers.forEach((r) => r.stop()));
    const [onePeak, ...nodesOnePeak] = await peakMemoryDuring([gatewayPid, ...nodePids], async () => {
      readers.push(slowReader(url, rate));
      await sleep(10_000);
    });
    const [twoPeak, ...nodesTwoPeak] = await peakMemoryDuring([gatewayPid, ...nodePids], async () => {
      readers.push(slowReader(url, rate));
      await sleep(10_000);
    });
    // What the gateway took from the nodes and the nodes from their disks while the clients read.
    const [gatewayReadAfter, ...nodesReadAfter] = await Promise.all([gatewayPid, ...nodePids].map((pid) => bytesRead(pid)));
    const read = readers.map((r) => r.stop());
    const nodesRead = nodesReadAfter.map((b, i) => b - nodesReadBefore[i]!);
    const mib = (b: number): string => (b / MiB).toFixed(1);
    console.log(
      `slow readers: gateway idle ${mib(gatewayIdle!)} MiB, peak with one ${mib(onePeak!)}, with two ${mib(twoPeak!)}; ` +
        `node growth with one ${nodesOnePeak.map((p, i) => mib(p - nodesIdle[i]!)).join('/')}, ` +
        `with two ${nodesTwoPeak.map((p, i) => mib(p - nodesIdle[i]!)).join('/')} MiB; clients read ${read.map(mib).join(' and ')} MiB, ` +
        `the gateway ${mib(gatewayReadAfter! - gatewayReadBefore!)} MiB, the nodes ${nodesRead.map(mib).join('/')} MiB`,
    );
    for (const [i, r] of readers.entries()) {
      expect(r.status(), `reader ${i + 1}`).toBe(200);
      // It really was slow, and it really read: the response kept flowing at the client's pace.
      expect(read[i]!, `reader ${i + 1} read`).toBeGreaterThan(64 * 1024);
      expect(read[i]!, `reader ${i + 1} read`).toBeLessThan(4 * MiB);
    }
    expect(onePeak! - gatewayIdle!, 'gateway growth with one slow client').toBeLessThan(48 * MiB);
    expect(twoPeak! - gatewayIdle!, 'gateway growth with two slow clients').toBeLessThan(48 * MiB);
    // A node that read its chunk far ahead of the client would hold tens of MiB (each holds 64 MiB of this file).
    nodesOnePeak.forEach((p, i) => expect(p - nodesIdle[i]!, `node ${i + 1} growth with one slow client`).toBeLessThan(32 * MiB));
    nodesTwoPeak.forEach((p, i) => expect(p - nodesIdle[i]!, `node ${i + 1} growth with two slow clients`).toBeLessThan(32 * MiB));
    // The nodes did not read far ahead of the clients: a few MiB per stream, not their 64 MiB chunks.
    nodesRead.forEach((b, i) => expect(b, `bytes node ${i + 1} read while two clients took ${read.map(mib).join(' and ')} MiB`).toBeLessThan(32 * MiB));

    await expectGatewayAlive(c, 'after cancelling the slow clients');
  });
});

describe('nodes failing under load', () => {
  it('two nodes killed (kill -9) under 20 concurrent downloads: the gateway keeps running and every download completes bit-exact', async () => {
    const c = await clusterForTest();
    const sizes = [16 * MiB + 1, 20 * MiB + 3, 24 * MiB - 5, 28 * MiB + 7];
    const files: { id: string; sha: string; size: number }[] = [];
    for (const [i, size] of sizes.entries()) files.push(await uploadPattern(c, size, `load-${i}.bin`));
    const total = 5 * sizes.reduce((a, b) => a + b, 0);

    let received = 0;
    let killing: Promise<void> | null = null;
    let killedAtBytes = 0;
    const victims = [1, 4];
    const killTwo = async (): Promise<void> => {
      killedAtBytes = received;
      await Promise.all(victims.map((v) => killHard(c.nodes[v]!.child)));
    };
    const downloads = Array.from({ length: 20 }, (_, i) => {
      const file = files[i % files.length]!;
      let last = 0;
      return download(`${c.gatewayUrl}/files/${file.id}`, {
        timeoutMs: 100_000,
        onProgress: (bytes) => {
          received += bytes - last;
          last = bytes;
          // Kill once a sixth of all bytes has gone out: every download is under way, none is near its end.
          if (!killing && received >= total / 6) killing = killTwo();
        },
      }).then((d) => ({ d, file }));
    });
    const results = await Promise.all(downloads);
    await killing;
    console.log(`killed nodes ${victims.map((v) => v + 1).join(' and ')} after ${(killedAtBytes / MiB).toFixed(0)} of ${(total / MiB).toFixed(0)} MiB`);
    expect(killing, 'the nodes were killed during the downloads').not.toBeNull();
    expect(killedAtBytes).toBeLessThan(total / 2);

    await expectGatewayAlive(c, 'after two nodes died under 20 downloads');
    const summary = results.map(({ d, file }, i) => `#${i}: ${d.status} ${d.bytes}/${file.size} ${d.sha256 === file.sha ? 'exact' : 'WRONG'} ${d.error?.message ?? ''}`);
    for (const [i, { d, file }] of results.entries()) {
      expect(d.status, summary.join('\n')).toBe(200);
      expect(d.complete, `download #${i}: ${summary[i]}`).toBe(true);
      expect(d.sha256, `download #${i}: ${summary[i]}`).toBe(file.sha);
    }
  });

  it('a chunk on a node whose name does not resolve: the gateway keeps running and the file downloads bit-exact (parity)', async () => {
    const c = await clusterForTest();
    const data = Buffer.concat([...patternBlocks(9 * MiB + 5)]);
    const up = await uploadBuffer(c.gatewayUrl, data, 'unresolvable.bin');
    expect(up.status, outcome(up)).toBe(201);
    const fileId = up.json.file_id as string;

    const gone = await c.db.pool.query<{ id: number }>(
      `INSERT INTO storage_nodes (address, status) VALUES ('node-gone.invalid:50053', 'unknown') RETURNING id`,
    );
    const moved = await c.db.pool.query('UPDATE chunks SET node_id = $1 WHERE file_id = $2 AND chunk_number = 1', [gone.rows[0]!.id, fileId]);
    expect(moved.rowCount).toBe(1);

    const full = await download(`${c.gatewayUrl}/files/${fileId}`, { timeoutMs: 60_000 });
    const seen = `status ${full.status}, ${full.bytes} bytes, complete ${full.complete}, error ${full.error?.message ?? 'none'}, body ${full.body?.toString() ?? ''}`;
    await expectGatewayAlive(c, 'after a download needing an unresolvable node');
    expect(full.status, seen).toBe(200);
    expect(full.complete, seen).toBe(true);
    expect(full.sha256, seen).toBe(sha256(data));

    // Chunk 1 holds file bytes [1 MiB, 2 MiB) of the first stripe: a range across it and its borders.
    const [from, to] = [MiB - 100, 2 * MiB + 99];
    const part = await download(`${c.gatewayUrl}/files/${fileId}`, { range: `bytes=${from}-${to}`, keepBody: true, timeoutMs: 60_000 });
    expect(part.status, `range: status ${part.status}, error ${part.error?.message ?? 'none'}`).toBe(206);
    expect(part.complete).toBe(true);
    expect(part.body!.equals(data.subarray(from, to + 1)), 'the ranged bytes are exact').toBe(true);
    await expectGatewayAlive(c, 'after a ranged download needing an unresolvable node');
  });
});

describe('database connections', () => {
  it('30 concurrent uploads through DB_POOL_SIZE=2: all 201, never more than 2 connections from the gateway', async () => {
    const c = await clusterForTest({ gatewayEnv: { DB_POOL_SIZE: '2' } });
    // Count the gateway's connections from outside, on the server's admin database. The test's own
    // pool on the test database stays unused until the uploads are done, so every connection seen is the gateway's.
    const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
    await admin.connect();
    undo.push(() => admin.end());
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const r = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [c.db.name]);
        peak = Math.max(peak, r.rows[0]!.n);
        await sleep(10);
      }
    })();

    const datas = Array.from({ length: 30 }, (_, i) => Buffer.concat([...patternBlocks(100_000 + i * 997, 64 * 1024)]));
    const results = await Promise.all(datas.map((d, i) => uploadBuffer(c.gatewayUrl, d, `many-${i}.bin`)));
    sampling = false;
    await sampler;

    const statuses = results.map((r) => `${r.status}${r.json?.code ? ` ${r.json.code}` : ''}`);
    console.log(`30 uploads with DB_POOL_SIZE=2: ${statuses.join(', ')}; at most ${peak} connections to the test database`);
    expect(results.filter((r) => r.status !== 201).map(outcome)).toEqual([]);
    results.forEach((r, i) => expect(r.json.checksum).toBe(sha256(datas[i]!)));
    expect(peak, 'connections from the gateway to its database').toBeLessThanOrEqual(2);
    expect(peak, 'the sampler saw the gateway connected').toBeGreaterThan(0);
    await expectGatewayAlive(c, 'after 30 concurrent uploads');
    const list = await api(`${c.gatewayUrl}/files?page=1&per_page=100`);
    expect(list.json.total).toBe(30);
  });

  it('a pool that stays busy longer than DB_WAIT_MS answers 503 DatabaseBusy (not DatabaseUnavailable), and recovers', async () => {
    const c = await clusterForTest({ gatewayEnv: { DB_POOL_SIZE: '1', DB_WAIT_MS: '500' } });
    const file = await uploadPattern(c, 1000, 'busy.bin');
    // Hold a lock the gateway's next query must wait for: its only connection stays busy.
    const locker = new pg.Client({ connectionString: c.db.url });
    await locker.connect();
    undo.push(() => locker.end());
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE files IN ACCESS EXCLUSIVE MODE');
    const first = api(`${c.gatewayUrl}/files/${file.id}/metadata`, { timeoutMs: 30_000 });
    await sleep(300); // the first request now holds the pool's connection, waiting on the lock
    const second = await api(`${c.gatewayUrl}/files/${file.id}/metadata`, { timeoutMs: 10_000 });
    expect(second.status, second.text).toBe(503);
    expect(second.json.code).toBe('DatabaseBusy');
    expect(second.headers['retry-after']).toBe('1');
    expect(second.ms).toBeLessThan(3_000);
    await locker.query('COMMIT');
    expect((await first).status).toBe(200);
    const after = await api(`${c.gatewayUrl}/files/${file.id}/metadata`);
    expect(after.status).toBe(200);
  });
});

describe('clients that go away mid-upload', () => {
  it('24 uploads cut off at different points, four at a time: the gateway keeps running and nothing is left visible or stored', async () => {
    const c = await clusterForTest();
    const dirs = nodeDirs(c);
    const size = 16 * MiB;
    const block = 64 * 1024;
    // From the first file block to deep into the fourth stripe, spread over the file.
    const cutPoints = Array.from({ length: 24 }, (_, i) => block * (1 + ((i * 97) % 220)));
    const runs: RawUploadResult[] = [];
    for (let batch = 0; batch < cutPoints.length; batch += 4) {
      const cuts = cutPoints.slice(batch, batch + 4);
      runs.push(
        ...(await Promise.all(
          cuts.map((cut, j) =>
            rawUpload({
              url: c.gatewayUrl,
              blocks: patternBlocks(size, block),
              declaredSize: size,
              filename: `cut-${batch + j}.bin`,
              chunked: j % 2 === 1,
              timeoutMs: 60_000,
              onProgress: (sent) => (sent >= cut ? 'abort' : undefined),
            }),
          ),
        )),
      );
    }
    runs.forEach((r, i) => expect(r.aborted || r.status !== null, `upload ${i}: ${outcome(r)}`).toBe(true));
    expect(runs.filter((r) => r.status === 201).map(outcome), 'no cut-off upload may succeed').toEqual([]);

    await expectGatewayAlive(c, 'after 24 uploads cut off');
    const list = await api(`${c.gatewayUrl}/files?page=1&per_page=100`);
    expect(list.status, list.text).toBe(200);
    expect(list.json.total).toBe(0);
    const left = await pollUntil(
      async () => ({ ...(await tableCounts(c.db.pool)), onNodes: await filesOnNodes(dirs) }),
      (v) => v.files === 0 && v.chunks === 0 && v.deletions === 0 && v.onNodes.length === 0,
      30_000,
      250,
    );
    expect(left).toEqual({ files: 0, chunks: 0, deletions: 0, onNodes: [] });

    // And it still works.
    const file = await uploadPattern(c, 5 * MiB + 3, 'after.bin');
    await expectBitExact(c, file, 'an upload after the cut-off ones');
  });
});
