// `npm run bench`: the gateway with erasure coding (k=4, m=2) next to baselines measured in the same
// run: the same gateway without parity (m=0, a second cluster) and a plain-file server; downloads
// with two storage nodes killed (kill -9); CPU-seconds per GiB of user data for the gateway and for
// the nodes; metadata/listing/delete latency with 100,000 files in the table; the gateway's peak
// memory through a 10 GiB upload, download and degraded download; S3 PUT and GET next to /files and
// s3rver; S3 listings over a million keys. Last, the aims of the issues measured, each marked ok or
// MISSED from the figures measured above.
// Sizes: BENCH_FILE_MIB (1024), BENCH_BIG_GIB (10), BENCH_RUNS (3). BENCH_PARTS is a comma list of
// throughput (k=4,m=2 vs m=0 vs plain file), degraded (a download with two nodes down in every run,
// after the healthy ones), latency, memory, s3 (PutObject/GetObject of BENCH_FILE_MIB vs /files vs
// s3rver, BENCH_RUNS runs), s3-listing (ListObjectsV2 over LISTING_BENCH_KEYS keys, see
// listing-bench.ts) and heal (a wiped node rebuilt, BENCH_HEAL_GIB of chunks, with foreground
// transfers during the heal); all seven by default.
import { BENCH_REST_AUTH } from './bench-credentials.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { encodeCursor } from '../../gateway/http/list-cursor.js';
import {
  codingCostVerdict,
  cpuVerdict,
  degradedReadVerdict,
  gatewayRssVerdict,
  type Direction,
  type Verdict,
} from './bench-aims.js';
import {
  aimsSection,
  fmtMiB,
  fmtRate,
  logFigures,
  ratioTo,
  summarize,
  TRANSFER_HEADER,
  transferRow,
  type PartResult,
  type Summary,
} from './bench-report.js';
import { startBenchCluster, type BenchCluster } from './bench-cluster.js';
import { startBaselineServer } from './baseline-server.js';
import {
  formatTable,
  getAndHash,
  median,
  MiB,
  multipartFrame,
  patternBlocks,
  percentile,
  postStream,
  sizeLabel,
} from './bench-support.js';
import { meterTransfer, type TransferFigures } from './transfer-meter.js';
import { measureHeal } from './heal-bench.js';
import { deleteFromGateway, downloadFromGateway, uploadToGateway, type StoredFile } from './gateway-transfers.js';
import { measureS3Listing } from './listing-bench.js';
import { measureS3Transfers } from './s3-bench.js';

const PART_NAMES = ['throughput', 'degraded', 'latency', 'memory', 's3', 's3-listing', 'heal'];
/** The parts that run on the k=4,m=2 cluster, in this order (s3-listing leaves a million rows: last). */
const CODED_PARTS = ['throughput', 'degraded', 'latency', 'memory', 's3', 's3-listing'];
const FILE_BYTES = Number(process.env.BENCH_FILE_MIB ?? 1024) * MiB;
const BIG_BYTES = Math.round(Number(process.env.BENCH_BIG_GIB ?? 10) * 1024) * MiB;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PARTS = new Set((process.env.BENCH_PARTS ?? PART_NAMES.join(',')).split(',').map((p) => p.trim()));
const CODED = { k: 4, m: 2 };
const UNCODED = { k: 4, m: 0 };
const LIST_ROWS = 100_000;
const LATENCY_SAMPLES = 300;
const SEED = randomBytes(MiB); // the plain-file baseline's content

/** Every cluster started, so that their last log lines can be shown if the bench fails. */
const clusters: BenchCluster[] = [];
const rotate = <T>(items: T[], by: number): T[] => [...items.slice(by % items.length), ...items.slice(0, by % items.length)];

async function meteredUpload(bc: BenchCluster, size: number): Promise<{ figures: TransferFigures; file: StoredFile }> {
  let file: StoredFile | undefined;
  const figures = await meterTransfer(size, bc.watched(), async () => {
    const up = await uploadToGateway(bc, size);
    file = up;
    return up.seconds;
  });
  return { figures, file: file! };
}

/**
 * kill -9 the nodes holding data chunks 0 and 1 (so every stripe has two data units rebuilt from
 * parity, the most work a read can need), download, then start the nodes again and wait until the
 * gateway has seen them, so that the next run finds the cluster whole.
 */
async function degradedDownload(bc: BenchCluster, file: StoredFile): Promise<TransferFigures> {
  const victims = file.chunks
    .filter((c) => c.role === 'data' && c.chunk_number < bc.m)
    .map((c) => bc.outages.indexOf(c.server_address!));
  if (victims.length !== bc.m) throw new Error(`${bc.label}: the file has ${victims.length} data chunks to lose, not ${bc.m}`);
  await bc.outages.kill(victims);
  const figures = await meterTransfer(file.size, bc.watched(), () => downloadFromGateway(bc, file));
  await bc.outages.reviveAll(bc.url);
  return figures;
}

/** One side of the throughput comparison: uploads, then downloads, a file per run. */
interface Variant {
  label: string;
  up: TransferFigures[];
  down: TransferFigures[];
  upload(): Promise<void>;
  download(): Promise<void>;
  cleanup(): Promise<void>;
}

function gatewayVariant(bc: BenchCluster): Variant & { current(): StoredFile } {
  let file: StoredFile | undefined;
  const v = {
    label: bc.label,
    up: [] as TransferFigures[],
    down: [] as TransferFigures[],
    current: () => file!,
    async upload() {
      const r = await meteredUpload(bc, FILE_BYTES);
      file = r.file;
      v.up.push(r.figures);
    },
    async download() {
      v.down.push(await meterTransfer(FILE_BYTES, bc.watched(), () => downloadFromGateway(bc, file!)));
    },
    async cleanup() {
      if (file) await deleteFromGateway(bc, file);
      file = undefined;
    },
  };
  return v;
}

function plainVariant(url: string): Variant {
  const v: Variant = {
    label: 'plain file',
    up: [],
    down: [],
    async upload() {
      const frame = multipartFrame('baseline.bin');
      const blocks = patternBlocks(FILE_BYTES, SEED);
      const headers = { 'Content-Type': frame.contentType, 'Content-Length': frame.contentLength(FILE_BYTES) };
      v.up.push(
        await meterTransfer(FILE_BYTES, undefined, async () => {
          const res = await postStream(url, headers, blocks, frame.prefix, frame.suffix);
          if (res.status !== 201) throw new Error(`baseline upload failed: ${res.status}`);
          return res.seconds;
        }),
      );
    },
    async download() {
      v.down.push(
        await meterTransfer(FILE_BYTES, undefined, async () => {
          const got = await getAndHash(url);
          // The baseline keeps the multipart body as it came, frame included.
          if (got.status !== 200 || got.bytes < FILE_BYTES) throw new Error(`baseline download gave ${got.status}, ${got.bytes} bytes`);
          return got.seconds;
        }),
      );
    },
    async cleanup() {},
  };
  return v;
}

async function measureTransfers(coded: BenchCluster, dir: string): Promise<PartResult> {
  const compare = PARTS.has('throughput');
  const degrade = PARTS.has('degraded');
  const size = sizeLabel(FILE_BYTES);
  let uncoded: BenchCluster | undefined;
  let baseline: Awaited<ReturnType<typeof startBaselineServer>> | undefined;
  try {
    if (compare) {
      uncoded = await startBenchCluster(join(dir, 'm0'), UNCODED);
      clusters.push(uncoded);
      baseline = await startBaselineServer(dir);
    }
    const main = gatewayVariant(coded);
    const m0 = uncoded && gatewayVariant(uncoded);
    const plain = baseline && plainVariant(baseline.url);
    const variants: Variant[] = [main, ...(m0 ? [m0] : []), ...(plain ? [plain] : [])];
    const degraded: TransferFigures[] = [];
    console.log(
      `transfers: ${RUNS} run${RUNS === 1 ? '' : 's'} of ${size}, ${variants.map((v) => v.label).join(' / ')} in turn` +
        (degrade ? `, then a download of the ${coded.label} file with ${coded.m} nodes killed` : ''),
    );
    for (let run = 0; run < RUNS; run++) {
      const order = rotate(variants, run); // no variant always goes first
      for (const v of order) await v.upload();
      for (const v of order) await v.download();
      if (degrade) degraded.push(await degradedDownload(coded, main.current()));
      for (const v of variants) await v.cleanup();
      console.log(
        `  run ${run + 1}: upload ${variants.map((v) => logFigures(v.label, v.up.at(-1)!)).join(', ')}\n` +
          `         download ${variants.map((v) => logFigures(v.label, v.down.at(-1)!)).join(', ')}` +
          (degrade ? `\n         download with ${coded.m} nodes down ${logFigures(coded.label, degraded.at(-1)!)}` : ''),
      );
    }

    const rows: string[][] = [];
    const verdicts: Verdict[] = [];
    for (const d of ['upload', 'download'] as Direction[]) {
      const of = (v: Variant | undefined): Summary | undefined => v && summarize(d === 'upload' ? v.up : v.down);
      const [withParity, withoutParity, plainFile] = [of(main)!, of(m0), of(plain)];
      const earlier = d === 'upload' ? '>100 MB/s, >= 0.6 × plain' : '>100 MB/s, >= 0.8 × plain';
      const ratios = [...ratioTo(withParity, withoutParity, 'm=0'), ...ratioTo(withParity, plainFile, 'plain')];
      rows.push(transferRow(`${d} ${size}`, main.label, withParity, ratios.join(', '), earlier));
      if (m0 && withoutParity) rows.push(transferRow(`${d} ${size}`, m0.label, withoutParity, ratioTo(withoutParity, plainFile, 'plain').join('')));
      if (plain && plainFile) rows.push(transferRow(`${d} ${size}`, plain.label, plainFile));
      if (withoutParity) verdicts.push(codingCostVerdict(d, withParity.mbps, withoutParity.mbps));
      verdicts.push(cpuVerdict(d, withParity.cpu!.total));
    }
    if (degrade) {
      const healthy = summarize(main.down);
      const down = summarize(degraded);
      rows.push(transferRow(`download ${size}, ${coded.m} nodes down`, main.label, down, ratioTo(down, healthy, 'healthy').join('')));
      verdicts.push(degradedReadVerdict(down.mbps, healthy.mbps));
      verdicts.push(gatewayRssVerdict(`download ${size} with ${coded.m} nodes down`, down.rss!.gateway));
    }
    const runs = RUNS === 1 ? 'one run' : `medians of ${RUNS} runs`;
    const title = `Transfers of ${size}: ${runs} (CPU-s per GiB of user data; peak RSS: the highest of the runs)`;
    return { sections: [{ title, header: TRANSFER_HEADER, rows }], verdicts };
  } finally {
    await baseline?.close();
    await uncoded?.stop();
  }
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

async function measureLatency(bc: BenchCluster): Promise<PartResult> {
  console.log(`latency: ${LIST_ROWS} files in the table, sequential requests`);
  const db = new pg.Pool({ connectionString: bc.databaseUrl, max: 2 });
  const rows: string[][] = [];
  try {
    const small: string[] = [];
    for (let i = 0; i < 60; i++) small.push((await uploadToGateway(bc, 64 * 1024 + i)).fileId);
    await db.query(
      `INSERT INTO files (id, filename, content_type, size, checksum, status, stripe_unit, stripe_width, parity_width,
                          created_at, updated_at, completed_at)
       SELECT gen_random_uuid(), 'synthetic-' || g, 'application/octet-stream', 0, repeat('0', 64), 'completed', 1048576, $2, $3,
              now() - g * interval '1 second', now(), now()
       FROM generate_series(1, $1::int) g`,
      [LIST_ROWS, bc.k, bc.m],
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
      rows.push([label, `${median(t).toFixed(1)} / ${percentile(t, 99).toFixed(1)} ms`, target]);
    };
    const url = bc.url;
    await latency('metadata', 'p99 < 50 ms', LATENCY_SAMPLES, (i) => fetch(`${url}/files/${small[i % small.length]}/metadata`, { headers: BENCH_REST_AUTH }));
    // What checking an API token costs (one indexed query): the open probe with and without one.
    await latency('/livez, no token', '(baseline)', LATENCY_SAMPLES, () => fetch(`${url}/livez`));
    await latency('/livez, token checked', '', LATENCY_SAMPLES, () => fetch(`${url}/livez`, { headers: BENCH_REST_AUTH }));
    await latency('list page 1', '', LATENCY_SAMPLES, () => fetch(`${url}/files?page=1&per_page=20`, { headers: BENCH_REST_AUTH }));
    await latency(`list keyset, row ${LIST_ROWS - 40}`, 'as fast as page 1', LATENCY_SAMPLES, () =>
      fetch(`${url}/files?limit=20&cursor=${cursor}`, { headers: BENCH_REST_AUTH }),
    );
    await latency('list offset page 5000', '(for comparison)', 50, () => fetch(`${url}/files?page=5000&per_page=20`, { headers: BENCH_REST_AUTH }));
    await latency('delete 64 KiB file', '', small.length, (i) => fetch(`${url}/files/${small[i]}`, { method: 'DELETE', headers: BENCH_REST_AUTH }));
  } finally {
    await db.end();
  }
  return {
    sections: [{ title: `Latency with ${LIST_ROWS} files (${bc.label})`, header: ['request', 'p50 / p99', 'target'], rows }],
    verdicts: [],
  };
}

async function measureMemory(bc: BenchCluster): Promise<PartResult> {
  const size = sizeLabel(BIG_BYTES);
  console.log(`memory: ${size} up, down, and down with ${bc.m} nodes killed (${bc.label}); resident memory sampled every 100 ms`);
  const { figures: up, file } = await meteredUpload(bc, BIG_BYTES);
  console.log(`  ${logFigures('upload', up)}, gateway peak ${fmtMiB(up.rss!.gateway)}`);
  const down = await meterTransfer(BIG_BYTES, bc.watched(), () => downloadFromGateway(bc, file));
  console.log(`  ${logFigures('download', down)}, gateway peak ${fmtMiB(down.rss!.gateway)}`);
  const degraded = await degradedDownload(bc, file);
  console.log(`  ${logFigures(`download with ${bc.m} nodes down`, degraded)}, gateway peak ${fmtMiB(degraded.rss!.gateway)}`);
  await deleteFromGateway(bc, file);
  const nodeTarget = '< 150 MiB per node';
  const rows = [
    transferRow(`upload ${size}`, bc.label, summarize([up]), '', nodeTarget),
    transferRow(`download ${size}`, bc.label, summarize([down]), '', nodeTarget),
    transferRow(`download ${size}, ${bc.m} nodes down`, bc.label, summarize([degraded]), '', nodeTarget),
  ];
  return {
    sections: [{ title: `Memory through ${size} (one run each)`, header: TRANSFER_HEADER, rows }],
    verdicts: [
      gatewayRssVerdict(`upload ${size}`, up.rss!.gateway),
      gatewayRssVerdict(`download ${size}`, down.rss!.gateway),
      gatewayRssVerdict(`download ${size} with ${bc.m} nodes down`, degraded.rss!.gateway),
    ],
  };
}

/** A part's result with the issue whose aims its verdicts judge. */
interface IssueResult extends PartResult {
  issue: string;
}

async function main(): Promise<void> {
  const unknown = [...PARTS].filter((p) => !PART_NAMES.includes(p));
  if (unknown.length) throw new Error(`BENCH_PARTS: unknown ${unknown.join(', ')} (known: ${PART_NAMES.join(', ')})`);
  const dir = await mkdtemp(join(tmpdir(), 'objstore-bench-'));
  const results: IssueResult[] = [];
  const add = (issue: string, r: PartResult): void => void results.push({ issue, ...r });
  try {
    if (CODED_PARTS.some((p) => PARTS.has(p))) {
      const coded = await startBenchCluster(join(dir, 'k4m2'), CODED);
      clusters.push(coded);
      if (PARTS.has('throughput') || PARTS.has('degraded')) add('erasure-coding', await measureTransfers(coded, dir));
      if (PARTS.has('latency')) add('erasure-coding', await measureLatency(coded));
      if (PARTS.has('memory')) add('erasure-coding', await measureMemory(coded));
      if (PARTS.has('s3')) add('S3', await measureS3Transfers(coded, dir, FILE_BYTES, RUNS));
      if (PARTS.has('s3-listing')) add('S3', await measureS3Listing(coded));
      await coded.stop(); // the heal part runs a cluster of its own
    }
    if (PARTS.has('heal')) add('self-repair', await measureHeal(dir, (bc) => clusters.push(bc)));
    const sections = results.flatMap((r) => r.sections);
    const judged = results.filter((r) => r.verdicts.length > 0);
    if (judged.length) sections.push(aimsSection([...new Set(judged.map((r) => r.issue))], judged.flatMap((r) => r.verdicts)));
    for (const s of sections) console.log(`\n${s.title}\n${formatTable(s.header, s.rows)}`);
  } catch (err) {
    for (const c of clusters) console.error(`\nlast lines logged by the ${c.label} cluster:\n${c.recentLog().join('\n')}`);
    throw err;
  } finally {
    for (const c of clusters.reverse()) await c.stop().catch((e: unknown) => console.error(e));
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
