// The whole system on one machine as separate processes: PostgreSQL (embedded unless a URL is
// given), storage nodes and the gateway. Used by `npm start` and by the benchmark.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../gateway/metadata/embedded-database.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface ClusterOptions {
  dataDir: string;
  gatewayPort: number; // 0: any free port
  nodePorts: number[]; // 0 entries: any free port
  databaseUrl?: string;
  embeddedPgPort?: number;
  gatewayEnv?: NodeJS.ProcessEnv;
  nodeEnv?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Called when a process exits while the cluster is meant to be running. */
  onUnexpectedExit?: (name: string, code: number | null) => void;
}

export interface ClusterProcess {
  name: string;
  child: ChildProcess;
  address: string;
  port: number;
}

export interface LocalCluster {
  gatewayUrl: string;
  databaseUrl: string;
  gateway: ClusterProcess;
  nodes: ClusterProcess[];
  stop(): Promise<void>;
}

function startProcess(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  options: ClusterOptions,
  stopping: () => boolean,
): Promise<ClusterProcess> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let started = false;
    const onLine = (line: string): void => {
      options.log?.(`[${name}] ${line}`);
      const m = started ? null : ready.exec(line);
      if (m) {
        started = true;
        const port = Number(m[1]);
        resolve({ name, child, port, address: `127.0.0.1:${port}` });
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => {
      if (!started) reject(new Error(`${name} exited with code ${code} before it was ready`));
      else if (!stopping()) options.onUnexpectedExit?.(name, code);
    });
  });
}

async function stopProcess(p: ClusterProcess, graceMs = 35_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = once(p.child, 'exit');
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startLocalCluster(options: ClusterOptions): Promise<LocalCluster> {
  let stopping = false;
  const isStopping = (): boolean => stopping;
  let embedded: EmbeddedDatabase | undefined;
  const started: ClusterProcess[] = [];
  const stopAll = async (): Promise<void> => {
    stopping = true;
    const gateway = started.find((p) => p.name === 'gateway');
    if (gateway) await stopProcess(gateway); // first, so no request is left half done on the nodes
    await Promise.all(started.filter((p) => p !== gateway).map((p) => stopProcess(p)));
    await embedded?.stop();
  };
  try {
    const databaseUrl =
      options.databaseUrl ??
      (embedded = await startEmbeddedDatabase(options.dataDir, options.embeddedPgPort ?? 54329)).url;
    const nodes = await Promise.all(
      options.nodePorts.map(async (port, i) => {
        const p = await startProcess(
          `node-${port || i + 1}`,
          join(here, '..', 'storage-node', 'main.js'),
          {
            GRPC_PORT: String(port),
            GRPC_HOST: '127.0.0.1',
            DATA_DIR: join(options.dataDir, `node-${port || i + 1}`),
            NODE_ID: `node-${port || i + 1}`,
            ...options.nodeEnv,
          },
          /listening on [^\s]+:(\d+)/,
          options,
          isStopping,
        );
        started.push(p);
        return p;
      }),
    );
    const gateway = await startProcess(
      'gateway',
      join(here, '..', 'gateway', 'main.js'),
      {
        PORT: String(options.gatewayPort),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        STORAGE_NODES: nodes.map((n) => n.address).join(','),
        DATA_DIR: options.dataDir,
        // glibc would keep freed 1 MiB message buffers in its heap (its mmap threshold grows after
        // the first free); a fixed threshold returns them to the system, so memory follows what is live.
        MALLOC_MMAP_THRESHOLD_: '131072',
        ...options.gatewayEnv,
      },
      /gateway listening on http:\/\/[^\s]+:(\d+)/,
      options,
      isStopping,
    );
    started.push(gateway);
    return { gatewayUrl: `http://127.0.0.1:${gateway.port}`, databaseUrl, gateway, nodes, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
