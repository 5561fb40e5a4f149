// `npm run bench`: gateway throughput against a plain-file baseline measured in the same run,
// metadata/listing/delete latency with 100,000 files in the table, and the gateway's peak memory
// during a 10 GiB upload. Sizes can be reduced for a quick look: BENCH_FILE_MIB, BENCH_BIG_GIB, BENCH_RUNS.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { encodeCursor } from '../../gateway/list-cursor.js';
import { startLocalCluster, type LocalCluster } from '../../gateway/local-cluster.js';
import { startBaselineServer } from './baseline-server.js';
import {
  freePort,
  getAndHash,
  mbps,
  median,
  MiB,
  multipartFrame,
  patternBlocks,
  percentile,
  postStream,
  sampleRss,
} from './bench-support.js';

const FILE_BYTES = Number(process.env.BENCH_FILE_MIB ?? 1024) * MiB;
const BIG_BYTES = Number(process.env.BENCH_BIG_GIB ?? 10) * 1024 * MiB;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LIST_ROWS = 100_000;
const LATENCY_SAMPLES = 300;

async function uploadToGateway(cluster: LocalCluster, size: number, seed?: Uint8Array) {
  const frame = multipartFrame(`bench-${size}.bin`);
  const res = await postStream(
    `${cluster.gatewayUrl}/files`,
    { 'Content-Type': frame.contentType, 'Content-Length': frame.contentLength(size) },
    patternBlocks(size, seed),
    frame.prefix,
    frame.suffix,
  );
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${res.body}`);
  const body = JSON.parse(res.body) as { file_id: string; checksum: string };
  return { ...body, seconds: res.seconds };
}

async function timeRequests(n: number, send: (i: number) => Promise<Response>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await send(i);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`request failed: ${res.status}`);
    times.push(performance.now() - t);
  }
  return times;
}

async function createBenchDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `objstore_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'objstore-bench-'));
  const benchDb = process.env.DATABASE_URL ? await createBenchDatabase(process.env.DATABASE_URL) : undefined;
  const cluster = await startLocalCluster({
    dataDir: dir,
    gatewayPort: 0,
    nodePorts: [0, 0, 0, 0, 0, 0],
    databaseUrl: benchDb?.url,
    embeddedPgPort: await freePort(),
    nodeEnv: { DISK_RESERVE_BYTES: String(256 * MiB) },
  });
  const baseline = await startBaselineServer(dir);
  const db = new pg.Pool({ connectionString: cluster.databaseUrl, max: 2 });
  const rows: string[][] = [['measure', 'gateway', 'baseline', 'ratio', 'target']];
  try {
    console.log(`throughput: ${RUNS} runs of ${FILE_BYTES / MiB} MiB (median)`);
    const up = { gw: [] as number[], base: [] as number[] };
    const down = { gw: [] as number[], base: [] as number[] };
    const seed = randomBytes(MiB);
    for (let run = 0; run < RUNS; run++) {
      const frame = multipartFrame('baseline.bin');
      const b = await postStream(
        baseline.url,
        { 'Content-Type': frame.contentType, 'Content-Length': frame.contentLength(FILE_BYTES) },
        patternBlocks(FILE_BYTES, seed),
        frame.prefix,
        frame.suffix,
      );
      up.base.push(mbps(FILE_BYTES, b.seconds));
      const g = await uploadToGateway(cluster, FILE_BYTES, seed);
      up.gw.push(mbps(FILE_BYTES, g.seconds));
      const bd = await getAndHash(baseline.url);
      down.base.push(mbps(bd.bytes, bd.seconds));
      const gd = await getAndHash(`${cluster.gatewayUrl}/files/${g.file_id}`);
      if (gd.sha256 !== g.checksum || gd.bytes !== FILE_BYTES) throw new Error('downloaded bytes differ from the upload');
      down.gw.push(mbps(gd.bytes, gd.seconds));
      await fetch(`${cluster.gatewayUrl}/files/${g.file_id}`, { method: 'DELETE' });
      console.log(
        `  run ${run + 1}: upload ${up.gw.at(-1)!.toFixed(0)} vs ${up.base.at(-1)!.toFixed(0)} MB/s, ` +
          `download ${down.gw.at(-1)!.toFixed(0)} vs ${down.base.at(-1)!.toFixed(0)} MB/s`,
      );
    }
    const fmt = (x: number): string => `${x.toFixed(0)} MB/s`;
    rows.push(['upload 1 GiB', fmt(median(up.gw)), fmt(median(up.base)), (median(up.gw) / median(up.base)).toFixed(2), '>100 MB/s, ratio >= 0.6']);
    rows.push(['download 1 GiB', fmt(median(down.gw)), fmt(median(down.base)), (median(down.gw) / median(down.base)).toFixed(2), '>100 MB/s, ratio >= 0.8']);

    console.log(`latency: ${LIST_ROWS} files in the table, ${LATENCY_SAMPLES} sequential requests each`);
    const small: string[] = [];
    for (let i = 0; i < 60; i++) small.push((await uploadToGateway(cluster, 64 * 1024 + i)).file_id);
    await db.query(
      `INSERT INTO files (id, filename, content_type, size, checksum, status, stripe_unit, stripe_width, created_at, updated_at, completed_at)
       SELECT gen_random_uuid(), 'synthetic-' || g, 'application/octet-stream', 0, repeat('0', 64), 'completed', 1048576, 6,
              now() - g * interval '1 second', now(), now()
       FROM generate_series(1, $1::int) g`,
      [LIST_ROWS],
    );
    await db.query('ANALYZE files');
    const deep = await db.query<{ us: string; id: string }>(
      `SELECT ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS us, id FROM files WHERE status = 'completed'
       ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1`,
      [LIST_ROWS - 40],
    );
    const cursor = encodeCursor({ createdAtMicros: deep.rows[0]!.us, fileId: deep.rows[0]!.id });
    const latency = async (label: string, send: (i: number) => Promise<Response>, n = LATENCY_SAMPLES): Promise<void> => {
      const t = await timeRequests(n, send);
      rows.push([`${label} p50 / p99`, `${median(t).toFixed(1)} / ${percentile(t, 99).toFixed(1)} ms`, '', '', label.startsWith('metadata') ? 'p99 < 50 ms' : '']);
    };
    await latency('metadata', (i) => fetch(`${cluster.gatewayUrl}/files/${small[i % small.length]}/metadata`));
    await latency('list page 1', () => fetch(`${cluster.gatewayUrl}/files?page=1&per_page=20`));
    await latency('list keyset, deep', () => fetch(`${cluster.gatewayUrl}/files?limit=20&cursor=${cursor}`));
    await latency('list offset page 5000', () => fetch(`${cluster.gatewayUrl}/files?page=5000&per_page=20`), 50);
    await latency('delete (64 KiB files)', (i) => fetch(`${cluster.gatewayUrl}/files/${small[i]}`, { method: 'DELETE' }), small.length);

    console.log(`memory: one ${BIG_BYTES / 1024 / MiB} GiB upload, resident memory sampled every 100 ms`);
    const gwRss = sampleRss(cluster.gateway.child.pid!);
    const nodeRss = cluster.nodes.map((n) => sampleRss(n.child.pid!));
    const big = await uploadToGateway(cluster, BIG_BYTES, seed);
    const gwPeak = gwRss.stop();
    const nodePeak = Math.max(...nodeRss.map((s) => s.stop()));
    rows.push([`upload ${BIG_BYTES / 1024 / MiB} GiB`, fmt(mbps(BIG_BYTES, big.seconds)), '', '', '']);
    rows.push(['gateway peak RSS', `${(gwPeak / MiB).toFixed(0)} MiB`, '', '', '< 256 MiB']);
    rows.push(['storage node peak RSS', `${(nodePeak / MiB).toFixed(0)} MiB`, '', '', '< 150 MiB']);
    await fetch(`${cluster.gatewayUrl}/files/${big.file_id}`, { method: 'DELETE' });

    console.log('');
    console.log(table(rows));
  } finally {
    await db.end();
    await baseline.close();
    await cluster.stop();
    await benchDb?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
