// Configuration of a storage node, read from the environment and validated at start.
import { hostname } from 'node:os';
import { resolve } from 'node:path';

export interface NodeConfig {
  host: string;
  port: number;
  dataDir: string;
  nodeId: string;
  reserveBytes: number;
  shutdownGraceMs: number;
  /** A PutChunk stream that brings no message for this long is abandoned (its temp file removed). */
  putIdleTimeoutMs: number;
}

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a whole number`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(`${name}=${raw} is out of range (${min}..${max})`);
  return value;
}

export function loadNodeConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const port = integer(env, 'GRPC_PORT', 50051, 0, 65535);
  const host = env.GRPC_HOST?.trim() || '0.0.0.0';
  if (/\s/.test(host)) throw new ConfigError(`GRPC_HOST=${JSON.stringify(host)} is not a host name`);
  const nodeId = env.NODE_ID?.trim() || `${host === '0.0.0.0' || host === '::' ? hostname() : host}-${port}`;
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(nodeId)) throw new ConfigError(`NODE_ID=${JSON.stringify(nodeId)} may use only A-Z a-z 0-9 _ . : -`);
  return {
    host,
    port,
    nodeId,
    dataDir: resolve(env.DATA_DIR?.trim() || `./data/node-${port}`),
    reserveBytes: integer(env, 'DISK_RESERVE_BYTES', 1024 ** 3, 0, Number.MAX_SAFE_INTEGER),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    putIdleTimeoutMs: integer(env, 'PUT_IDLE_TIMEOUT_MS', 60_000, 100, 86_400_000),
  };
}
