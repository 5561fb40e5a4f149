// What `npm start` is told by its environment: where the data lives and which ports to use. Pure:
// reads the variables it is given, checks them, and names the one that is wrong.
import { clusterTokenProblem } from '../proto/cluster-token.js';

export const DEFAULT_NODE_PORTS = [50051, 50052, 50053, 50054, 50055, 50056];

export interface LauncherConfig {
  /** As given (relative to the working folder). */
  dataDir: string;
  gatewayPort: number;
  s3Port: number;
  nodePorts: number[];
  /** Unset: an embedded PostgreSQL under the data folder. */
  databaseUrl?: string;
  embeddedPgPort: number;
  /** CLUSTER_TOKEN; unset: DATA_DIR/cluster.token (created at the first start). */
  clusterToken?: string;
  /** START_TIMEOUT_MS: how long a process may take to be ready; unset: the cluster's default. */
  startTimeoutMs?: number;
}

export class LauncherConfigError extends Error {}

/** A TCP port; 0 (any free port) only where `allowAny`. */
function parsePort(name: string, text: string, allowAny: boolean): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535 || (value === 0 && !allowAny)) {
    throw new LauncherConfigError(`${name}: "${text}" is not a port (${allowAny ? '0' : '1'}-65535)`);
  }
  return value;
}

function parseNodePorts(text: string): number[] {
  const ports = text.split(',').map((p) => parsePort('NODE_PORTS', p.trim(), true));
  const fixed = ports.filter((p) => p !== 0);
  if (new Set(fixed).size !== fixed.length) throw new LauncherConfigError(`NODE_PORTS: "${text}" names a port twice`);
  return ports;
}

export function loadLauncherConfig(env: NodeJS.ProcessEnv): LauncherConfig {
  const value = (name: string): string | undefined => env[name]?.trim() || undefined;
  const nodePorts = value('NODE_PORTS') === undefined ? DEFAULT_NODE_PORTS : parseNodePorts(value('NODE_PORTS')!);
  const gatewayPort = value('PORT') === undefined ? 8080 : parsePort('PORT', value('PORT')!, true);
  if (gatewayPort !== 0 && nodePorts.includes(gatewayPort)) {
    throw new LauncherConfigError(`PORT: ${gatewayPort} is also in NODE_PORTS`);
  }
  const s3Port = value('S3_PORT') === undefined ? 9000 : parsePort('S3_PORT', value('S3_PORT')!, true);
  if (s3Port !== 0 && (nodePorts.includes(s3Port) || s3Port === gatewayPort)) {
    throw new LauncherConfigError(`S3_PORT: ${s3Port} is also PORT or in NODE_PORTS`);
  }
  const clusterToken = value('CLUSTER_TOKEN');
  const tokenProblem = clusterToken === undefined ? undefined : clusterTokenProblem(clusterToken);
  if (tokenProblem) throw new LauncherConfigError(`CLUSTER_TOKEN: the token ${tokenProblem}`);
  const startTimeout = value('START_TIMEOUT_MS');
  if (startTimeout !== undefined && (!/^\d+$/.test(startTimeout) || Number(startTimeout) < 1000)) {
    throw new LauncherConfigError(`START_TIMEOUT_MS: "${startTimeout}" is not a number of milliseconds of at least 1000`);
  }
  return {
    clusterToken,
    ...(startTimeout === undefined ? {} : { startTimeoutMs: Number(startTimeout) }),
    dataDir: value('DATA_DIR') ?? './data',
    gatewayPort,
    s3Port,
    nodePorts,
    databaseUrl: value('DATABASE_URL'),
    embeddedPgPort: value('EMBEDDED_PG_PORT') === undefined ? 54329 : parsePort('EMBEDDED_PG_PORT', value('EMBEDDED_PG_PORT')!, false),
  };
}
