// Configuration of the gateway, read from the environment and validated at start.
import { resolve } from 'node:path';

export const MAX_OBJECT_SIZE = 10 * 1024 ** 3; // 10 GiB, also a constraint of the files table

export interface GatewayConfig {
  host: string;
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  storageNodes: string[];
  stripeUnit: number;
  stripeWidth: number;
  maxFileSize: number;
  healthIntervalMs: number;
  janitorIntervalMs: number;
  uploadTtlMs: number;
  orphanGraceMs: number;
  nodeTimeoutMs: number;
  idleTimeoutMs: number;
}

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a whole number`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(`${name}=${raw} is out of range (${min}..${max})`);
  return value;
}

const ADDRESS = /^[A-Za-z0-9_.-]+:\d{1,5}$/;

export function parseNodeAddress(raw: string): string | null {
  const address = raw.trim();
  if (!ADDRESS.test(address)) return null;
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return port >= 1 && port <= 65535 ? address : null;
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const nodesRaw = env.STORAGE_NODES?.trim() || [1, 2, 3, 4, 5, 6].map((i) => `127.0.0.1:${50050 + i}`).join(',');
  const storageNodes = nodesRaw.split(',').map((a) => {
    const address = parseNodeAddress(a);
    if (!address) throw new ConfigError(`STORAGE_NODES entry ${JSON.stringify(a)} is not host:port`);
    return address;
  });
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const config: GatewayConfig = {
    host: env.HOST?.trim() || '0.0.0.0',
    port: integer(env, 'PORT', 8080, 0, 65535),
    databaseUrl,
    dataDir: resolve(env.DATA_DIR?.trim() || './data'),
    embeddedPgPort: integer(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    storageNodes: [...new Set(storageNodes)],
    stripeUnit: integer(env, 'STRIPE_UNIT', 1024 * 1024, 4096, 16 * 1024 * 1024),
    stripeWidth: integer(env, 'STRIPE_WIDTH', 6, 1, 64),
    maxFileSize: integer(env, 'MAX_FILE_SIZE', MAX_OBJECT_SIZE, 0, MAX_OBJECT_SIZE),
    healthIntervalMs: integer(env, 'HEALTH_INTERVAL_MS', 5_000, 100, 3_600_000),
    janitorIntervalMs: integer(env, 'JANITOR_INTERVAL_MS', 60_000, 100, 86_400_000),
    uploadTtlMs: integer(env, 'UPLOAD_TTL_MS', 3_600_000, 1_000, 7 * 86_400_000),
    orphanGraceMs: integer(env, 'ORPHAN_GRACE_MS', 3_600_000, 1_000, 7 * 86_400_000),
    nodeTimeoutMs: integer(env, 'NODE_TIMEOUT_MS', 5_000, 100, 600_000),
    idleTimeoutMs: integer(env, 'IDLE_TIMEOUT_MS', 120_000, 1_000, 3_600_000),
  };
  return config;
}
