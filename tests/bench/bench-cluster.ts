// One cluster for the gateway bench (six storage nodes, a gateway, its own database) with what the
// bench needs around it: the pids to watch, nodes it can kill and start again, and the last lines
// the processes logged, to show when something fails.
import { BENCH_API_TOKEN } from './bench-credentials.js';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import pg from 'pg';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster.js';
import { freePort, MiB } from './bench-support.js';
import { NodeOutages } from './node-outage.js';
import type { WatchedProcesses } from './transfer-meter.js';

const NODE_ENV = { DISK_RESERVE_BYTES: String(256 * MiB) };
const KEPT_LOG_LINES = 40;

/** The S3 root key of every bench cluster (a made-up one: the clusters live on loopback for one run). */
export const BENCH_S3_ROOT = { accessKeyId: 'BENCHROOTACCESSKEY01', secretAccessKey: randomBytes(20).toString('hex') };

export interface BenchCluster {
  /** What the gateway is configured with, e.g. "k=4,m=2". */
  label: string;
  /** Data and parity units per stripe (DATA_UNITS, PARITY_UNITS given to the gateway). */
  k: number;
  m: number;
  url: string;
  /** The S3 endpoint (S3_PORT), whose root key is BENCH_S3_ROOT. */
  s3Url: string;
  databaseUrl: string;
  outages: NodeOutages;
  /** The gateway and the storage nodes running now. */
  watched(): WatchedProcesses;
  recentLog(): string[];
  stop(): Promise<void>;
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

/**
 * A cluster in `dataDir`. With DATABASE_URL set it gets a fresh database on that server, otherwise
 * an embedded PostgreSQL of its own, so two bench clusters never share metadata.
 */
export async function startBenchCluster(
  dataDir: string,
  layout: { k: number; m: number },
  gatewayEnv: NodeJS.ProcessEnv = {},
): Promise<BenchCluster> {
  const label = `k=${layout.k},m=${layout.m}`;
  const recent: string[] = [];
  const keep = (line: string): void => {
    recent.push(line);
    if (recent.length > KEPT_LOG_LINES) recent.shift();
  };
  let cluster: LocalCluster | undefined;
  const outages = new NodeOutages(() => cluster!, NODE_ENV, keep);
  await mkdir(dataDir, { recursive: true });
  const db = process.env.DATABASE_URL ? await createBenchDatabase(process.env.DATABASE_URL) : undefined;
  try {
    cluster = await startLocalCluster({
      dataDir,
      gatewayPort: 0,
      nodePorts: [0, 0, 0, 0, 0, 0],
      databaseUrl: db?.url,
      embeddedPgPort: await freePort(),
      nodeEnv: NODE_ENV,
      gatewayEnv: {
        API_TOKEN: BENCH_API_TOKEN,
        S3_ROOT_ACCESS_KEY: BENCH_S3_ROOT.accessKeyId,
        S3_ROOT_SECRET_KEY: BENCH_S3_ROOT.secretAccessKey,
        ...gatewayEnv,
        DATA_UNITS: String(layout.k),
        PARITY_UNITS: String(layout.m),
      },
      log: (line) => {
        outages.observe(line);
        keep(line);
      },
    });
  } catch (err) {
    await db?.drop();
    throw err;
  }
  const running = cluster;
  let stopped: Promise<void> | undefined;
  return {
    label,
    ...layout,
    url: running.gatewayUrl,
    s3Url: running.s3Url,
    databaseUrl: running.databaseUrl,
    outages,
    watched: () => ({ gateway: running.gateway.child.pid!, nodes: outages.livePids() }),
    recentLog: () => [...recent],
    stop: () =>
      (stopped ??= (async () => {
        await running.stop();
        await outages.stop();
        await db?.drop();
      })()),
  };
}
