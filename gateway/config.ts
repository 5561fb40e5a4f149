// Configuration of the gateway, read from the environment and validated at start.
import { resolve } from 'node:path';
import { BLOCK_SIZE } from '../proto/block-checksums.js';
import { parseClusterAuth, type ClusterAuth } from '../proto/cluster-auth-setting.js';
import { parseNodeAddress } from '../proto/node-address.js';
import { apiTokenProblem } from './auth/api-token-format.js';
import { parseLogLevel, type LogLevel } from '../proto/log.js';
import { accessKeyIdProblem, secretKeyProblem } from './auth/key-format.js';
import type { RootKeySetting } from './auth/root-key.js';
import { parseServerKey, ServerKeyError } from './auth/server-key.js';
import { loadGatewayTls, type GatewayTls } from './tls-settings.js';
import { parseWebhookUrls, type WebhookTarget } from './alerts/webhook-target.js';

const MiB = 1024 * 1024;
export const MAX_OBJECT_SIZE = 10 * 1024 ** 3; // 10 GiB, also a constraint of the files table

export interface GatewayConfig {
  host: string;
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  storageNodes: string[];
  stripeUnit: number;
  dataUnits: number; // k
  parityUnits: number; // m
  writeQuorum: number; // chunk streams that must succeed for an upload to succeed
  maxFileSize: number;
  healthIntervalMs: number;
  janitorIntervalMs: number;
  uploadTtlMs: number;
  orphanGraceMs: number;
  nodeTimeoutMs: number;
  nodeStallMs: number;
  breakerFailures: number;
  breakerRecoveries: number;
  idleTimeoutMs: number; // a connection with no byte in either direction for this long is closed
  headersTimeoutMs: number; // a request head (request line and headers) must arrive whole within this
  maxHeaderBytes: number; // largest request head (Node counts the URL and header names and values)
  maxConnections: number; // open connections per HTTP server (REST and S3 each); beyond: 503 at once
  maxUploads: number; // uploads in flight in this gateway (REST and S3 together); beyond: 503 at once
  dbPoolSize: number;
  dbWaitMs: number;
  dbQueryTimeoutMs: number;
  historyStepMs: number; // the step of GET /admin/history (it keeps the last hour) // a statement running longer is cancelled (by the server, and the client stops waiting)
  nodeDeadAfterMs: number; // a node down this long is dead: its chunks are rebuilt elsewhere
  healConcurrency: number; // files healed at once by this gateway (0: this gateway does not heal)
  healBytesPerSecond: number; // read from surviving chunks by all heals together (0: no limit)
  healBusyBytesPerSecond: number; // the same while client transfers run in this gateway
  healLeaseMs: number;
  repairPollMs: number;
  scrubIntervalMs: number; // from the end of one scrub pass to the start of the next (0: no scrubbing)
  scrubBytesPerSecond: number;
  rebalanceOnJoin: boolean; // a node registered at run time starts a rebalance
  s3Port: number; // the S3 API's own port (0: any free port)
  s3Domains: string[]; // virtual-host style requests: <bucket>.<domain>
  s3Region: string;
  multipartTtlMs: number; // multipart uploads not completed by then are aborted by the janitor
  minPartSize: number; // every part of a multipart upload but the last is at least this long
  deleteGraceMs: number; // chunks of an overwritten or deleted S3 object stay this long (reads under way finish)
  serverKey: Buffer | undefined; // SERVER_KEY; unset: DATA_DIR/server.key (created at first start)
  s3RootKey: RootKeySetting | undefined; // S3_ROOT_ACCESS_KEY and S3_ROOT_SECRET_KEY; unset: generated once
  keyCacheMs: number; // how long a looked-up access key is reused (a revoke elsewhere applies within it)
  clusterAuth: ClusterAuth; // AUTH and CLUSTER_TOKEN: the token sent on every call to a storage node
  // (clusterAuth.enabled is also whether REST requests need credentials)
  apiToken: string | undefined; // API_TOKEN: the root API token; unset: DATA_DIR/api.token (created at first start)
  metricsAuth: boolean; // METRICS_AUTH=on: GET /metrics needs a read token too
  tls: GatewayTls;
  logLevel: LogLevel; // LOG_LEVEL // TLS_CERT/TLS_KEY (HTTPS), NODE_TLS_CA/NODE_TLS_CERT/NODE_TLS_KEY (TLS to the nodes)
  alerts: AlertSettings;
}

export interface AlertSettings {
  webhooks: WebhookTarget[]; // ALERT_WEBHOOK_URLS; none: events are only logged
  diskFill: number; // a node's disk this full (0..1) is reported
  healStallMs: number; // a heal queue without progress this long is reported
  repeatMs: number; // one event per kind and subject in this window (0: no limit)
  pollMs: number; // how often disks, the database and the redundancy report are looked at
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

function region(raw: string | undefined): string {
  const value = raw?.trim() || 'us-east-1';
  if (!/^[a-z0-9-]{1,32}$/.test(value)) throw new ConfigError(`S3_REGION=${JSON.stringify(raw)} is not a region name (lowercase letters, digits, -)`);
  return value;
}

function serverKey(env: NodeJS.ProcessEnv): Buffer | undefined {
  const raw = env.SERVER_KEY?.trim();
  if (!raw) return undefined;
  try {
    return parseServerKey(raw);
  } catch (err) {
    if (err instanceof ServerKeyError) throw new ConfigError(`SERVER_KEY ${err.message}`);
    throw err;
  }
}

function s3RootKey(env: NodeJS.ProcessEnv): RootKeySetting | undefined {
  const accessKeyId = env.S3_ROOT_ACCESS_KEY?.trim() || undefined;
  const secret = env.S3_ROOT_SECRET_KEY || undefined; // not trimmed: a secret is taken as given
  if (accessKeyId === undefined && secret === undefined) return undefined;
  if (accessKeyId === undefined) throw new ConfigError('S3_ROOT_SECRET_KEY is set but S3_ROOT_ACCESS_KEY is not: set both or neither');
  if (secret === undefined) throw new ConfigError('S3_ROOT_ACCESS_KEY is set but S3_ROOT_SECRET_KEY is not: set both or neither');
  const idProblem = accessKeyIdProblem(accessKeyId);
  if (idProblem) throw new ConfigError(`S3_ROOT_ACCESS_KEY ${idProblem}`);
  const secretProblem = secretKeyProblem(secret);
  if (secretProblem) throw new ConfigError(`S3_ROOT_SECRET_KEY ${secretProblem}`);
  return { accessKeyId, secret };
}

function apiToken(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.API_TOKEN?.trim();
  if (!raw) return undefined;
  const problem = apiTokenProblem(raw);
  if (problem) throw new ConfigError(`API_TOKEN ${problem}`);
  return raw;
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'on' || raw === 'off') return raw === 'on';
  throw new ConfigError(`${name}=${JSON.stringify(env[name])} must be "on" or "off"`);
}

function logLevel(env: NodeJS.ProcessEnv): LogLevel {
  const parsed = parseLogLevel(env.LOG_LEVEL);
  if (parsed.problem !== undefined) throw new ConfigError(parsed.problem);
  return parsed.level;
}

function tls(env: NodeJS.ProcessEnv): GatewayTls {
  const parsed = loadGatewayTls(env);
  if (parsed.problem !== undefined) throw new ConfigError(parsed.problem);
  return parsed.value;
}

function fraction(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : NaN;
  if (!(value > 0 && value <= 1)) throw new ConfigError(`${name}=${JSON.stringify(env[name])} must be a fraction above 0 and at most 1 (0.9: 90%)`);
  return value;
}

function alertSettings(env: NodeJS.ProcessEnv): AlertSettings {
  const { targets, problem } = parseWebhookUrls(env.ALERT_WEBHOOK_URLS);
  if (problem !== undefined) throw new ConfigError(`ALERT_WEBHOOK_URLS ${problem}`);
  return {
    webhooks: targets,
    diskFill: fraction(env, 'ALERT_DISK_FILL', 0.9),
    healStallMs: integer(env, 'ALERT_HEAL_STALL_MS', 1_800_000, 1_000, 7 * 86_400_000),
    repeatMs: integer(env, 'ALERT_REPEAT_MS', 600_000, 0, 86_400_000),
    pollMs: integer(env, 'ALERT_POLL_MS', 30_000, 100, 3_600_000),
  };
}

/** Last of the settings: a missing CLUSTER_TOKEN is reported only when everything else is right. */
function clusterAuth(env: NodeJS.ProcessEnv): ClusterAuth {
  const parsed = parseClusterAuth(env, 'gateway');
  if (parsed.problem !== undefined) throw new ConfigError(parsed.problem);
  return parsed.auth;
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const nodesRaw = env.STORAGE_NODES?.trim() || [1, 2, 3, 4, 5, 6].map((i) => `127.0.0.1:${50050 + i}`).join(',');
  const storageNodes = nodesRaw.split(',').map((a) => {
    const { address, problem } = parseNodeAddress(a);
    if (problem !== undefined) throw new ConfigError(`STORAGE_NODES entry ${JSON.stringify(a.slice(0, 300))}: ${problem}`);
    return address;
  });
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  if (env.STRIPE_WIDTH !== undefined && env.STRIPE_WIDTH.trim() !== '') {
    throw new ConfigError('STRIPE_WIDTH is no longer used: set DATA_UNITS (k, data units per stripe) and PARITY_UNITS (m)');
  }
  const dataUnits = integer(env, 'DATA_UNITS', 4, 1, 24);
  const parityUnits = integer(env, 'PARITY_UNITS', 2, 0, 6);
  const stripeUnit = integer(env, 'STRIPE_UNIT', 1024 * 1024, BLOCK_SIZE, 16 * 1024 * 1024);
  if (stripeUnit % BLOCK_SIZE !== 0) throw new ConfigError(`STRIPE_UNIT=${stripeUnit} must be a multiple of ${BLOCK_SIZE}`);
  const defaultQuorum = parityUnits > 0 ? dataUnits + 1 : dataUnits;
  const writeQuorum = integer(env, 'WRITE_QUORUM', defaultQuorum, dataUnits, dataUnits + parityUnits);
  // Loopback unless told otherwise: serving other machines is a decision.
  const host = env.HOST?.trim() || '127.0.0.1';
  if (/\s/.test(host)) throw new ConfigError(`HOST=${JSON.stringify(host)} is not a host name`);
  const config: GatewayConfig = {
    host,
    port: integer(env, 'PORT', 8080, 0, 65535),
    databaseUrl,
    dataDir: resolve(env.DATA_DIR?.trim() || './data'),
    embeddedPgPort: integer(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    storageNodes: [...new Set(storageNodes)],
    stripeUnit,
    dataUnits,
    parityUnits,
    writeQuorum,
    maxFileSize: integer(env, 'MAX_FILE_SIZE', MAX_OBJECT_SIZE, 0, MAX_OBJECT_SIZE),
    healthIntervalMs: integer(env, 'HEALTH_INTERVAL_MS', 5_000, 100, 3_600_000),
    janitorIntervalMs: integer(env, 'JANITOR_INTERVAL_MS', 60_000, 100, 86_400_000),
    uploadTtlMs: integer(env, 'UPLOAD_TTL_MS', 3_600_000, 1_000, 7 * 86_400_000),
    orphanGraceMs: integer(env, 'ORPHAN_GRACE_MS', 3_600_000, 1_000, 7 * 86_400_000),
    nodeTimeoutMs: integer(env, 'NODE_TIMEOUT_MS', 5_000, 100, 600_000),
    nodeStallMs: integer(env, 'NODE_STALL_MS', 10_000, 100, 600_000),
    breakerFailures: integer(env, 'BREAKER_FAILURES', 3, 1, 1000),
    breakerRecoveries: integer(env, 'BREAKER_RECOVERIES', 2, 1, 1000),
    idleTimeoutMs: integer(env, 'IDLE_TIMEOUT_MS', 120_000, 1_000, 3_600_000),
    headersTimeoutMs: integer(env, 'HEADERS_TIMEOUT_MS', 20_000, 500, 600_000),
    maxHeaderBytes: integer(env, 'MAX_HEADER_BYTES', 16 * 1024, 4 * 1024, 1024 * 1024),
    maxConnections: integer(env, 'MAX_CONNECTIONS', 1_000, 1, 100_000),
    maxUploads: integer(env, 'MAX_UPLOADS', 64, 1, 10_000),
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 20, 1, 1000),
    dbWaitMs: integer(env, 'DB_WAIT_MS', 10_000, 100, 600_000),
    dbQueryTimeoutMs: integer(env, 'DB_QUERY_TIMEOUT_MS', 15_000, 100, 3_600_000),
    historyStepMs: integer(env, 'HISTORY_STEP_MS', 10_000, 100, 600_000),
    nodeDeadAfterMs: integer(env, 'NODE_DEAD_AFTER_MS', 600_000, 1_000, 30 * 86_400_000),
    healConcurrency: integer(env, 'HEAL_CONCURRENCY', 2, 0, 64),
    healBytesPerSecond: integer(env, 'HEAL_RATE_MIB', 64, 0, 100_000) * MiB,
    healBusyBytesPerSecond: integer(env, 'HEAL_BUSY_RATE_MIB', 8, 0, 100_000) * MiB,
    healLeaseMs: integer(env, 'HEAL_LEASE_MS', 30_000, 1_000, 3_600_000),
    repairPollMs: integer(env, 'REPAIR_POLL_MS', 2_000, 50, 600_000),
    scrubIntervalMs: integer(env, 'SCRUB_INTERVAL_MS', 86_400_000, 0, 365 * 86_400_000),
    scrubBytesPerSecond: integer(env, 'SCRUB_RATE_MIB', 32, 0, 100_000) * MiB,
    rebalanceOnJoin: integer(env, 'REBALANCE_ON_JOIN', 1, 0, 1) === 1,
    s3Port: integer(env, 'S3_PORT', 9000, 0, 65535),
    s3Domains: (env.S3_DOMAIN ?? '').split(',').map((d) => d.trim().toLowerCase()).filter(Boolean),
    s3Region: region(env.S3_REGION),
    multipartTtlMs: integer(env, 'MULTIPART_TTL_MS', 7 * 86_400_000, 1_000, 365 * 86_400_000),
    minPartSize: integer(env, 'MIN_PART_SIZE', 5 * MiB, 0, 5 * 1024 * MiB),
    deleteGraceMs: integer(env, 'DELETE_GRACE_MS', 600_000, 0, 7 * 86_400_000),
    serverKey: serverKey(env),
    s3RootKey: s3RootKey(env),
    keyCacheMs: integer(env, 'S3_KEY_CACHE_MS', 5_000, 0, 60_000),
    apiToken: apiToken(env),
    metricsAuth: onOff(env, 'METRICS_AUTH', false),
    tls: tls(env),
    logLevel: logLevel(env),
    alerts: alertSettings(env),
    clusterAuth: clusterAuth(env),
  };
  return config;
}
