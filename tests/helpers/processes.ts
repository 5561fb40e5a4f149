// Starting real processes for tests: a storage node on an ephemeral port, in its own data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * The cluster token of the storage nodes a test starts on their own (startStorageNode), new for each
 * test process. Nodes that join a test cluster get that cluster's token instead (cluster.clusterToken).
 */
export const TEST_CLUSTER_TOKEN = randomBytes(32).toString('base64url');

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Spawns `node <script>` and resolves once a stdout line matches `ready` (or rejects on exit). */
export async function spawnNode(
  script: string,
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  timeoutMs = 30_000,
): Promise<RunningProcess & { match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [join(ROOT, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const match = await new Promise<RegExpMatchArray>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready after ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        resolvePromise(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready:\n${out}`));
    });
  });
  return {
    child,
    match,
    output: () => out,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const [code] = (await exited) as [number | null];
      clearTimeout(timer);
      return code;
    },
  };
}

export interface StorageNodeProcess extends RunningProcess {
  port: number;
  address: string;
  dataDir: string;
  /** The CLUSTER_TOKEN the node was started with (undefined: none). */
  clusterToken: string | undefined;
  /** Stops the node and removes its data folder (if the test created it). */
  cleanup(): Promise<void>;
}

/**
 * A storage node process; its CLUSTER_TOKEN is TEST_CLUSTER_TOKEN unless `env` names one
 * (`CLUSTER_TOKEN: undefined` starts it without).
 */
export async function startStorageNode(env: NodeJS.ProcessEnv = {}): Promise<StorageNodeProcess> {
  const ownDir = env.DATA_DIR === undefined;
  const dataDir = env.DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'storage-node-')));
  const clusterToken = 'CLUSTER_TOKEN' in env ? env.CLUSTER_TOKEN : TEST_CLUSTER_TOKEN;
  const proc = await spawnNode(
    'dist/storage-node/main.js',
    { GRPC_PORT: '0', GRPC_HOST: '127.0.0.1', DISK_RESERVE_BYTES: String(64 * 1024 * 1024), ...env, CLUSTER_TOKEN: clusterToken, DATA_DIR: dataDir },
    /listening on [^\s]+:(\d+)/,
  );
  const port = Number(proc.match[1]);
  return {
    ...proc,
    port,
    address: `127.0.0.1:${port}`,
    dataDir,
    clusterToken,
    async cleanup() {
      await proc.stop();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
