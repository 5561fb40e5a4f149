// The heal part of `npm run bench`: a cluster (k=4, m=2, six nodes, default heal settings) is filled
// until one node holds BENCH_HEAL_GIB of chunks; foreground uploads and downloads are measured; that
// node is killed, its folder wiped and it is started again empty; the scrubber finds the chunks gone
// and the healer rebuilds them while the same foreground transfers are measured again. Prints the
// time to heal, MB/s of rebuilt chunk data, the upload rate of the fill, and the foreground ratios.
import { BENCH_REST_AUTH } from './bench-credentials.js';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { healForegroundVerdict } from './bench-aims.js';
import { startBenchCluster, type BenchCluster } from './bench-cluster.js';
import type { PartResult } from './bench-report.js';
import { GiB, median, MiB, mbps } from './bench-support.js';
import { deleteFromGateway, downloadFromGateway, uploadToGateway } from './gateway-transfers.js';

const HEAL_BYTES = Math.round(Number(process.env.BENCH_HEAL_GIB ?? 1) * 1024) * MiB;
const FILL_FILE = 256 * MiB;
const FOREGROUND_FILE = 256 * MiB;
const FOREGROUND_RUNS = 3;
const HEAL_DEADLINE_MS = 30 * 60_000;

interface Redundancy {
  files: number;
  fully_redundant: number;
  heal_queue: { files: number; chunks: number };
  heals: { done: number; failed: number; bytes: number };
}

const getJson = async <T>(url: string): Promise<T> => {
  const res = await fetch(url, { headers: BENCH_REST_AUTH });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

/** Uploads and downloads of one file, `runs` times (the file deleted after each); MB/s of each. */
async function foreground(bc: BenchCluster, runs: number): Promise<{ up: number[]; down: number[] }> {
  const up: number[] = [];
  const down: number[] = [];
  for (let i = 0; i < runs; i++) {
    const file = await uploadToGateway(bc, FOREGROUND_FILE);
    up.push(mbps(FOREGROUND_FILE, file.seconds));
    down.push(mbps(FOREGROUND_FILE, await downloadFromGateway(bc, file)));
    await deleteFromGateway(bc, file);
  }
  return { up, down };
}

export async function measureHeal(dir: string, started: (bc: BenchCluster) => void): Promise<PartResult> {
  // Scrub passes back to back so that the wiped chunks are found at once; healing at its defaults.
  const bc = await startBenchCluster(join(dir, 'heal'), { k: 4, m: 2 }, { SCRUB_INTERVAL_MS: '1000', SCRUB_RATE_MIB: '0', REPAIR_POLL_MS: '250' });
  started(bc);
  // Each node holds a quarter of the user data (1.5x over six nodes).
  const files = Math.max(1, Math.round((4 * HEAL_BYTES) / FILL_FILE));
  const fillRates: number[] = [];
  for (let i = 0; i < files; i++) fillRates.push(mbps(FILL_FILE, (await uploadToGateway(bc, FILL_FILE)).seconds));
  console.log(`  filled: ${files} files of ${FILL_FILE / MiB} MiB, upload ${median(fillRates).toFixed(0)} MB/s (median)`);
  const healthy = await foreground(bc, FOREGROUND_RUNS);

  const { nodes } = await getJson<{ nodes: { address: string; chunks: number; chunk_bytes: number }[] }>(`${bc.url}/admin/nodes`);
  const victim = nodes[0]!;
  const index = bc.outages.indexOf(victim.address);
  await bc.outages.kill([index]);
  await rm(bc.outages.dataDirOf(index), { recursive: true, force: true });
  const wipedAt = Date.now();
  await bc.outages.reviveAll(bc.url);
  console.log(`  wiped ${victim.address}: ${victim.chunks} chunks, ${(victim.chunk_bytes / GiB).toFixed(2)} GiB`);

  const during = await foreground(bc, FOREGROUND_RUNS);
  let report: Redundancy | undefined;
  while (Date.now() - wipedAt < HEAL_DEADLINE_MS) {
    report = await getJson<Redundancy>(`${bc.url}/admin/redundancy`);
    if (report.heals.done >= victim.chunks && report.heal_queue.files === 0 && report.fully_redundant === report.files) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const seconds = (Date.now() - wipedAt) / 1000;
  if (!report || report.heals.done < victim.chunks) throw new Error(`heal not done after ${seconds} s: ${JSON.stringify(report)}`);
  const healedWhileForeground = `${FOREGROUND_RUNS} uploads and downloads of ${FOREGROUND_FILE / MiB} MiB ran during the heal`;
  await bc.stop();

  const row = (what: string, without: number[], withHeal: number[]): string[] => [
    what,
    `${median(without).toFixed(0)} MB/s`,
    `${median(withHeal).toFixed(0)} MB/s`,
    (median(withHeal) / median(without)).toFixed(2),
  ];
  return {
    sections: [
      {
        title: `Healing a wiped node (k=4,m=2, six nodes; defaults: HEAL_RATE_MIB=64, HEAL_BUSY_RATE_MIB=8 while clients are served, HEAL_CONCURRENCY=2)`,
        header: ['figure', 'value'],
        rows: [
          ['chunks on the wiped node', `${victim.chunks} (${(victim.chunk_bytes / GiB).toFixed(2)} GiB)`],
          ['time from restart to fully redundant', `${seconds.toFixed(1)} s (${healedWhileForeground})`],
          ['rebuilt chunk data', `${mbps(report.heals.bytes, seconds).toFixed(0)} MB/s (${(report.heals.bytes / GiB).toFixed(2)} GiB)`],
          ['surviving chunks read', `${mbps(report.heals.bytes * 4, seconds).toFixed(0)} MB/s (k = 4 per rebuilt byte)`],
          ['upload during the fill (same run)', `${median(fillRates).toFixed(0)} MB/s`],
          ['failed heal attempts', String(report.heals.failed)],
        ],
      },
      {
        title: `Foreground transfers of ${FOREGROUND_FILE / MiB} MiB while the heal runs (medians of ${FOREGROUND_RUNS})`,
        header: ['transfer', 'without heal', 'during heal', 'ratio'],
        rows: [row('upload', healthy.up, during.up), row('download', healthy.down, during.down)],
      },
    ],
    verdicts: [
      healForegroundVerdict('upload', median(during.up), median(healthy.up)),
      healForegroundVerdict('download', median(during.down), median(healthy.down)),
    ],
  };
}
