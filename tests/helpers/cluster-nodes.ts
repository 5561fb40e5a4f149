// The storage nodes of a test cluster as a failure test handles them: killed with SIGKILL and
// started again on the same port, data folder and node id, as a node coming back after a crash.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TestCluster } from './cluster.js';
import { spawnNode, type RunningProcess } from './processes.js';
import { MiB, api, isRunning, killHard, pollUntil } from './raw-upload.js';

export const nodeDir = (c: TestCluster, i: number): string => join(c.dataDir, `node-${i + 1}`);

/**
 * The storage nodes of a test cluster, killable and restartable: a restarted node listens on the
 * same port with the same data folder and node id, as a node coming back after a crash.
 */
export class ClusterNodes {
  private readonly restarted = new Map<number, RunningProcess>();

  constructor(private readonly c: TestCluster) {}

  process(i: number): ChildProcess {
    return this.restarted.get(i)?.child ?? this.c.nodes[i]!.child;
  }

  async kill(i: number): Promise<void> {
    await killHard(this.process(i));
  }

  async restart(i: number): Promise<void> {
    if (isRunning(this.process(i))) return;
    const node = this.c.nodes[i]!;
    const proc = await spawnNode(
      'dist/storage-node/main.js',
      {
        GRPC_PORT: String(node.port),
        GRPC_HOST: '127.0.0.1',
        DATA_DIR: nodeDir(this.c, i),
        NODE_ID: node.name,
        CLUSTER_TOKEN: this.c.clusterToken,
        DISK_RESERVE_BYTES: String(64 * MiB),
      },
      /listening on [^\s]+:(\d+)/,
    );
    this.restarted.set(i, proc);
  }

  /** Waits until the gateway reports every given node healthy again; returns the last listing. */
  async awaitHealthy(indices: number[], timeoutMs = 30_000): Promise<{ address: string; status: string }[]> {
    const addresses = indices.map((i) => this.c.nodes[i]!.address);
    const r = await pollUntil(
      () => api(`${this.c.gatewayUrl}/admin/nodes`),
      (r) =>
        r.status === 200 &&
        addresses.every((a) => (r.json.nodes as { address: string; status: string }[]).some((n) => n.address === a && n.status === 'healthy')),
      timeoutMs,
      200,
    );
    return (r.json?.nodes ?? []) as { address: string; status: string }[];
  }

  async stopRestarted(): Promise<void> {
    await Promise.all([...this.restarted.values()].map((p) => p.stop(5_000)));
  }
}

