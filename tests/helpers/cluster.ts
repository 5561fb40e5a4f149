// A real cluster for gateway tests: storage node processes and a gateway process on ephemeral
// ports, on a fresh database, with data in a temporary folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, type LocalCluster } from '../../dist/scripts/local-cluster.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestCluster extends LocalCluster {
  db: TestDatabase;
  dataDir: string;
  /** Every line the processes printed so far (the launcher's log, process names in front). */
  output(): string;
  /** Stops every process, drops the database and removes the data folder. */
  destroy(): Promise<void>;
}

export async function startTestCluster(
  options: {
    nodes?: number;
    /**
     * Credentials on the REST API (AUTH on, the default of a real start). Off unless asked: the tests
     * of the published REST contract run with AUTH=off, as docker-compose.test.yml does. The nodes
     * keep requiring the cluster token either way (the gateway still sends it).
     */
    restAuth?: boolean;
    gatewayEnv?: NodeJS.ProcessEnv;
    nodeEnv?: NodeJS.ProcessEnv;
    log?: boolean;
  } = {},
): Promise<TestCluster> {
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'objstore-cluster-'));
  const lines: string[] = [];
  let cluster: LocalCluster;
  try {
    cluster = await startLocalCluster({
      dataDir,
      gatewayPort: 0,
      nodePorts: Array.from({ length: options.nodes ?? 6 }, () => 0),
      databaseUrl: db.url,
      gatewayEnv: { HEALTH_INTERVAL_MS: '500', ...(options.restAuth ? {} : { AUTH: 'off' }), ...options.gatewayEnv },
      nodeEnv: { DISK_RESERVE_BYTES: String(64 * 1024 * 1024), ...options.nodeEnv },
      log: (line) => {
        if (options.log) console.log(line);
        lines.push(line);
      },
    });
  } catch (err) {
    // A cluster that did not start leaves neither its database nor its folder behind.
    await db.drop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${lines.slice(-30).join('\n')}`);
  }
  return {
    ...cluster,
    db,
    dataDir,
    output: () => lines.join('\n'),
    async destroy() {
      await cluster.stop();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
