// Storage nodes of a bench cluster killed with SIGKILL, the way a machine dies, and started again
// later on the same port, data folder and node id, so that the next run finds the cluster whole.
// The cluster's own restart stays off: it would bring a node back on its own timer, possibly in the
// middle of the degraded download being measured; here the bench decides when.
import { BENCH_REST_AUTH } from './bench-credentials.js';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalCluster } from '../../scripts/local-cluster.js';
import { HEAP_FLAGS } from '../../scripts/heap-flags.js';
import { SupervisedProcess } from '../../scripts/supervised-process.js';

const NODE_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'storage-node', 'main.js');
/**
 * A node's ready line as the cluster shows it: `[name] [time] INFO: storage-node <id> listening on
 * <host>:<port> data=<dir> metrics=<url>` (the launcher's readable form of the node's JSON log line;
 * the time, the level and the metrics URL are optional). The data folder must have no spaces.
 */
const STARTED = /^\[([^\]]+)\] (?:\[[^\]]*\] [A-Z]+: )?storage-node (\S+) listening on ([^\s:]+):(\d+) data=(\S+)/;

export interface NodeIdentity {
  /** The launcher's name of the process, e.g. node-3. */
  name: string;
  nodeId: string;
  host: string;
  port: number;
  dataDir: string;
}

/** What a node's start line says of it, or null for any other line. */
export function parseNodeStartLine(line: string): NodeIdentity | null {
  const m = STARTED.exec(line);
  return m ? { name: m[1]!, nodeId: m[2]!, host: m[3]!, port: Number(m[4]), dataDir: m[5]! } : null;
}
const GATEWAY_SEES_NODES_MS = 60_000;

interface NodeJson {
  address: string;
  status: string;
  last_seen_at: string | null;
}

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

export class NodeOutages {
  /** Learnt from each node's start line (by process name), so a revived node is the same node. */
  readonly #identities = new Map<string, NodeIdentity>();
  /** Replacements started by the bench, by node index; the cluster's own process stays dead. */
  readonly #revived = new Map<number, SupervisedProcess>();

  constructor(
    private readonly cluster: () => LocalCluster,
    private readonly nodeEnv: NodeJS.ProcessEnv,
    private readonly log: (line: string) => void,
  ) {}

  /** Feed every line the cluster logs through this. */
  observe(line: string): void {
    const node = parseNodeStartLine(line);
    if (node) this.#identities.set(node.name, node);
  }

  #child(index: number): ChildProcess {
    return this.#revived.get(index)?.child ?? this.cluster().nodes[index]!.child;
  }

  /** Pids of the storage nodes running now. */
  livePids(): number[] {
    return this.cluster()
      .nodes.map((_, i) => this.#child(i))
      .filter((c) => !hasExited(c))
      .map((c) => c.pid!);
  }

  /** The index of the node at `address` (host:port, as the gateway reports server_address). */
  indexOf(address: string): number {
    const i = this.cluster().nodes.findIndex((n) => n.address === address);
    if (i < 0) throw new Error(`no node of the bench cluster is at ${address}`);
    return i;
  }

  /** The data folder of node `index` (learnt from its start line), to wipe it. */
  dataDirOf(index: number): string {
    const id = this.#identities.get(this.cluster().nodes[index]!.name);
    if (!id) throw new Error(`node ${index}: its start line was not seen`);
    return id.dataDir;
  }

  /** kill -9, and wait until each process has exited. */
  async kill(indices: number[]): Promise<void> {
    await Promise.all(
      indices.map(async (i) => {
        const child = this.#child(i);
        if (hasExited(child)) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
  }

  /** Starts every dead node again, then waits until the gateway has probed each of them successfully. */
  async reviveAll(gatewayUrl: string): Promise<void> {
    const dead = this.cluster()
      .nodes.map((n, i) => ({ n, i }))
      .filter(({ i }) => hasExited(this.#child(i)));
    if (dead.length === 0) return;
    for (const { n, i } of dead) {
      const id = this.#identities.get(n.name);
      if (!id) throw new Error(`${n.name}: its start line was not seen, so it cannot be started again as the same node`);
      const env = {
        GRPC_PORT: String(id.port),
        GRPC_HOST: id.host,
        DATA_DIR: id.dataDir,
        NODE_ID: id.nodeId,
        CLUSTER_TOKEN: this.cluster().clusterToken,
        ...this.nodeEnv,
      };
      const node = new SupervisedProcess({
        name: n.name,
        script: NODE_SCRIPT,
        nodeFlags: HEAP_FLAGS,
        env,
        restartEnv: () => env,
        ready: /listening on [^\s]+:(\d+)/,
        readyTimeoutMs: 60_000,
        log: (line) => {
          this.observe(line);
          this.log(line);
        },
        restart: null,
      });
      this.#revived.set(i, node);
      await node.start();
      if (node.port !== n.port) throw new Error(`${n.name} came back on port ${node.port}, not ${n.port}`);
    }
    await this.#untilGatewaySees(
      gatewayUrl,
      dead.map(({ n }) => n.address),
      Date.now(),
    );
  }

  /** Bounded poll of /admin/nodes: every node healthy, and each revived one probed after it came back. */
  async #untilGatewaySees(gatewayUrl: string, revived: string[], since: number): Promise<void> {
    const deadline = Date.now() + GATEWAY_SEES_NODES_MS;
    let last = '';
    while (Date.now() < deadline) {
      const res = await fetch(`${gatewayUrl}/admin/nodes`, { headers: BENCH_REST_AUTH });
      const { nodes } = (await res.json()) as { nodes: NodeJson[] };
      last = nodes.map((n) => `${n.address} ${n.status}`).join(', ');
      const seenAgain = (n: NodeJson): boolean => !revived.includes(n.address) || Date.parse(n.last_seen_at ?? '') > since;
      if (res.ok && nodes.every((n) => n.status === 'healthy' && seenAgain(n))) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`the gateway did not see the revived nodes healthy within ${GATEWAY_SEES_NODES_MS} ms: ${last}`);
  }

  /** Stops the replacements this bench started (the cluster stops its own processes). */
  async stop(): Promise<void> {
    await Promise.all([...this.#revived.values()].map((p) => p.stop()));
  }
}
