// `npm run bench`: gateway throughput against a plain-file baseline measured in the same run,
// metadata/listing/delete latency with 100,000 files in the table, and the gateway's peak memory
// during a 10 GiB upload. For a quicker look: BENCH_FILE_MIB, BENCH_BIG_GIB, BENCH_RUNS, and
// BENCH_PARTS (a comma list of throughput, latency, memory).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { encodeCursor } from '../../gateway/http/list-cursor.js';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster.js';
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
const PARTS = new Set((process.env.BENCH_PARTS ?? 'throughput,latency,memory').split(','));
const LIST_ROWS = 100_000;
const LATENCY_SAMPLES = 300;
const SEED = randomBytes(MiB);

type Row = [measure: string, gateway: string, baseline: string, ratio: string, target: string];
const fmtRate = (x: number): string => `${x.toFixed(0)} MB/s`;
const sizeLabel = (bytes: number): string => (bytes >= 1024 * MiB ? `${bytes / 1024 / MiB} GiB` : `${bytes / MiB} MiB`);

async function uploadToGateway(cluster: LocalCluster, size: number): Promise<{ file_id: string; checksum: string; seconds: number }> {
  const frame = multipartFrame(`bench-${size}.bin`);
  const res = await postStream(
    `${cluster.gatewayUrl}/files`,
    { 'Content-Type': frame.contentType, 'Content-Length': frame.contentLength(size) },
    patternBlocks(size, SEED),
    frame.prefix,
    frame.suffix,
  );
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${res.body}`);
  return { ...(JSON.parse(res.body) as { file_id: string; checksum: string }), seconds: res.seconds };
}

async function measureThroughput(cluster: LocalCluster, dir: string): Promise<Row[]> {
  console.log(`throughput: ${RUNS} runs of ${sizeLabel(FILE_BYTES)}, gateway and baseline alternating`);
  const baseline = await startBaselineServer(dir);
  const up = { gw: [] as number[], base: [] as number[] };
  const down = { gw: [] as number[], base: [] as number[] };
  try {
    for (let run = 0; run < RUNS; run++) {
      const frame = multipartFrame('baseline.bin');
      const b = await postStream(
        baseline.url,
        { 'Content-Type': frame.contentType, 'Content-Length': frame.contentLength(FILE_BYTES) },
        patternBlocks(FILE_BYTES, SEED),
        frame.prefix,
        frame.suffix,
      );
      up.base.push(mbps(FILE_BYTES, b.seconds));
      const g = await uploadToGateway(cluster, FILE_BYTES);
      up.gw.push(mbps(FILE_BYTES, g.seconds));
      const bd = await getAndHash(baseline.url);
      down.base.push(mbps(bd.bytes, bd.seconds));
      const gd = await getAndHash(`${cluster.gatewayUrl}/files/${g.file_id}`);
      if (gd.sha256 !== g.checksum || gd.bytes !== FILE_BYTES) throw new Error('downloaded bytes differ from the upload');
      down.gw.push(mbps(gd.bytes, gd.seconds));
      await fetch(`${cluster.gatewayUrl}/files/${g.file_id}`, { method: 'DELETE' });
      console.log(
        `  run ${run + 1}: upload ${fmtRate(up.gw.at(-1)!)} vs ${fmtRate(up.base.at(-1)!)}, ` +
          `download ${fmtRate(down.gw.at(-1)!)} vs ${fmtRate(down.base.at(-1)!)}`,
      );
    }
  } finally {
    await baseline.close();
  }
  const ratio = (a: number[], b: number[]): string => (median(a) / median(b)).toFixed(2);
  return [
    [`upload ${sizeLabel(FILE_BYTES)}`, fmtRate(median(up.gw)), fmtRate(median(up.base)), ratio(up.gw, up.base), '>100 MB/s, ratio >= 0.6'],
    [`download ${sizeLabel(FILE_BYTES)}`, fmtRate(median(down.gw)), fmtRate(median(down.base)), ratio(down.gw, down.base), '>100 MB/s, ratio >= 0.8'],
  ];
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

async function measureLatency(cluster: LocalCluster): Promise<Row[]> {
  console.log(`latency: ${LIST_ROWS} files in the table, sequential requests`);
  const db = new pg.Pool({ connectionString: cluster.databaseUrl, max: 2 });
  const rows: Row[] = [];
  try {
    const small: string[] = [];
    for (let i = 0; i < 60; i++) small.push((await uploadToGateway(cluster, 64 * 1024 + i)).file_id);
    await db.query(
      `INSERT INTO files (id, filename, content_type, size, checksum, status, stripe_unit, stripe_width, created_at, updated_at, completed_at)
       SELECT gen_random_uuid(), 'synthetic-' || g, 'application/octet-stream', 0, repeat('0', 64), 'completed', 1048576, 6,
              now() - g * interval '1 second', now(), now()
       FROM generate_series(1, $1::int) g`,
      [LIST_ROWS],
    );
    await db.query('VACUUM ANALYZE files'); // what autovacuum does soon after a bulk insert
    const deep = await db.query<{ us: string; id: string }>(
      `SELECT ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS us, id FROM files WHERE status = 'completed'
       ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1`,
      [LIST_ROWS - 40],
    );
    const cursor = encodeCursor({ createdAtMicros: deep.rows[0]!.us, fileId: deep.rows[0]!.id });
    const latency = async (label: string, target: string, n: number, send: (i: number) => Promise<Response>): Promise<void> => {
      const t = await timeRequests(n, send);
      rows.push([`${label} p50 / p99`, `${median(t).toFixed(1)} / ${percentile(t, 99).toFixed(1)} ms`, '', '', target]);
    };
    const url = cluster.gatewayUrl;
    await latency('metadata', 'p99 < 50 ms', LATENCY_SAMPLES, (i) => fetch(`${url}/files/${small[i % small.length]}/metadata`));
    await latency('list page 1', '', LATENCY_SAMPLES, () => fetch(`${url}/files?page=1&per_page=20`));
    await latency(`list keyset, row ${LIST_ROWS - 40}`, 'as fast as page 1', LATENCY_SAMPLES, () =>
      fetch(`${url}/files?limit=20&cursor=${cursor}`),
    );
    await latency('list offset page 5000', '(for comparison)', 50, () => fetch(`${url}/files?page=5000&per_page=20`));
    await latency('delete 64 KiB file', '', small.length, (i) => fetch(`${url}/files/${small[i]}`, { method: 'DELETE' }));
  } finally {
    await db.end();
  }
  return rows;
}

async function measureMemory(cluster: LocalCluster): Promise<Row[]> {
  console.log(`memory: one ${sizeLabel(BIG_BYTES)} upload, resident memory sampled every 100 ms`);
  const gateway = sampleRss(cluster.gateway.child.pid!);
  const nodes = cluster.nodes.map((n) => sampleRss(n.child.pid!));
  const big = await uploadToGateway(cluster, BIG_BYTES);
  const gatewayPeak = gateway.stop();
  const nodePeak = Math.max(...nodes.map((s) => s.stop()));
  await fetch(`${cluster.gatewayUrl}/files/${big.file_id}`, { method: 'DELETE' });
  return [
    [`upload ${sizeLabel(BIG_BYTES)}`, fmtRate(mbps(BIG_BYTES, big.seconds)), '', '', ''],
    ['gateway peak RSS', `${(gatewayPeak / MiB).toFixed(0)} MiB`, '', '', '< 256 MiB'],
    ['storage node peak RSS', `${(nodePeak / MiB).toFixed(0)} MiB`, '', '', '< 150 MiB'],
  ];
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

function table(rows: Row[]): string {
  const all: string[][] = [['measure', 'gateway', 'baseline', 'ratio', 'target'], ...rows];
  const widths = all[0]!.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
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
  const rows: Row[] = [];
  try {
    if (PARTS.has('throughput')) rows.push(...(await measureThroughput(cluster, dir)));
    if (PARTS.has('latency')) rows.push(...(await measureLatency(cluster)));
    if (PARTS.has('memory')) rows.push(...(await measureMemory(cluster)));
    console.log(`\n${table(rows)}`);
  } finally {
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
