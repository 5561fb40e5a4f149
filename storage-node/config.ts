// Configuration of a storage node, read from the environment and validated at start.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { isLoopbackHost, parseClusterAuth, type ClusterAuth } from '../proto/cluster-auth-setting.js';
import type { NodeTlsServer } from '../proto/grpc-credentials.js';
import { parseNodeAddress } from '../proto/node-address.js';
import { fileSetting, loadCaFile, loadKeyPair } from '../proto/tls-files.js';
import { parseLogLevel, type LogLevel } from '../proto/log.js';

export interface NodeConfig {
  host: string;
  port: number;
  dataDir: string;
  nodeId: string;
  reserveBytes: number;
  /** DIRECT_IO: `auto` (default) reads and writes chunk data with O_DIRECT where the disk allows it; `off` never. */
  directIo: boolean;
  shutdownGraceMs: number;
  /** A PutChunk stream that brings no message for this long is abandoned (its temp file removed). */
  putIdleTimeoutMs: number;
  /** Self-registration with a gateway (JOIN_URL), or null. */
  join: JoinConfig | null;
  /** AUTH and CLUSTER_TOKEN: whether (and with what token) every call must authenticate. */
  auth: ClusterAuth;
  /** TLS_CERT and TLS_KEY (and TLS_CLIENT_CA: client certificates required); unset: plain HTTP/2. */
  tls: NodeTlsServer | undefined;
  /** METRICS_PORT: the HTTP port of GET /metrics (0: any free port); null (unset): no metrics server. */
  metricsPort: number | null;
  /** LOG_LEVEL; every call is logged at debug. */
  logLevel: LogLevel;
}

function logLevel(env: NodeJS.ProcessEnv): LogLevel {
  const parsed = parseLogLevel(env.LOG_LEVEL);
  if (parsed.problem !== undefined) throw new ConfigError(parsed.problem);
  return parsed.level;
}

export interface JoinConfig {
  /** The gateway's base URL, without a trailing slash; the node POSTs to `${url}/admin/nodes`. */
  url: string;
  /** host:port the gateway should use to reach this node; unset: advertiseHost and the bound port. */
  advertiseAddress: string | undefined;
  /** Host of the default advertised address: GRPC_HOST, or 127.0.0.1 when it is a wildcard. */
  advertiseHost: string;
  intervalMs: number;
  /** GATEWAY_CA: the CA to verify an https JOIN_URL with; unset: the system's (and NODE_EXTRA_CA_CERTS). */
  ca: Buffer | undefined;
}

export class ConfigError extends Error {}

function directIo(env: NodeJS.ProcessEnv): boolean {
  const value = (env.DIRECT_IO?.trim() || 'auto').toLowerCase();
  if (value !== 'auto' && value !== 'off') throw new ConfigError(`DIRECT_IO=${JSON.stringify(env.DIRECT_IO)} must be auto or off`);
  return value === 'auto';
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a whole number`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(`${name}=${raw} is out of range (${min}..${max})`);
  return value;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** The gateway's base URL: http(s), no query, fragment or credentials; a trailing slash dropped. */
function joinUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`JOIN_URL=${JSON.stringify(raw)} is not a URL; expected the gateway's base URL, e.g. http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`JOIN_URL=${JSON.stringify(raw)} must be http:// or https://`);
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`JOIN_URL=${JSON.stringify(raw)} must be a base URL without query, fragment or credentials`);
  }
  return url.toString().replace(/\/+$/, '');
}

function loadJoinConfig(env: NodeJS.ProcessEnv, host: string): JoinConfig | null {
  const rawAdvertise = env.ADVERTISE_ADDRESS?.trim() || undefined;
  let advertiseAddress: string | undefined;
  if (rawAdvertise !== undefined) {
    const parsed = parseNodeAddress(rawAdvertise);
    if (parsed.problem !== undefined) throw new ConfigError(`ADVERTISE_ADDRESS=${JSON.stringify(rawAdvertise.slice(0, 300))}: ${parsed.problem}`);
    advertiseAddress = parsed.address;
  }
  const intervalMs = integer(env, 'ANNOUNCE_INTERVAL_MS', 5_000, 100, 3_600_000);
  const rawUrl = env.JOIN_URL?.trim();
  const caFile = fileSetting(env, 'GATEWAY_CA');
  if (caFile !== undefined && !rawUrl?.toLowerCase().startsWith('https://')) {
    throw new ConfigError(`GATEWAY_CA is set but JOIN_URL is ${rawUrl ? 'not an https:// URL' : 'not set'}: GATEWAY_CA verifies the gateway this node announces itself to over HTTPS`);
  }
  if (!rawUrl) return null;
  const url = joinUrl(rawUrl);
  const ca = loadCaFile(env, 'GATEWAY_CA');
  if (ca.problem !== undefined) throw new ConfigError(ca.problem);
  const advertiseHost = WILDCARD_HOSTS.has(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  // 127.0.0.1 means the gateway's own machine to the gateway: right only when it runs on this one.
  if (advertiseAddress === undefined && isLoopbackHost(advertiseHost) && !isLoopbackHost(new URL(url).hostname)) {
    throw new ConfigError(
      `JOIN_URL=${url} is on another machine, so the default advertised address ${advertiseHost}:<port> would not reach this node from there; ` +
        'set ADVERTISE_ADDRESS to the host:port the gateway can reach this node at' +
        (isLoopbackHost(host) ? `, and GRPC_HOST to an address of this machine that the gateway can reach (0.0.0.0: all; now ${host}, loopback only)` : ''),
    );
  }
  return { url, advertiseAddress, advertiseHost, intervalMs, ca: ca.value };
}

/**
 * A warning for the start, or null: a node bound to loopback that announces itself to a gateway on
 * another machine is reachable from there only through a tunnel or proxy of the operator's.
 */
export function bindWarning(config: NodeConfig): string | null {
  if (!config.join || !isLoopbackHost(config.host) || isLoopbackHost(new URL(config.join.url).hostname)) return null;
  return (
    `listening on ${config.host} (loopback only) while announcing to ${config.join.url} on another machine: ` +
    'the gateway reaches this node only through a tunnel or proxy; set GRPC_HOST (0.0.0.0: all addresses) if it should connect directly'
  );
}

function tls(env: NodeJS.ProcessEnv): NodeTlsServer | undefined {
  const identity = loadKeyPair(env, 'TLS_CERT', 'TLS_KEY');
  if (identity.problem !== undefined) throw new ConfigError(identity.problem);
  const clientCa = loadCaFile(env, 'TLS_CLIENT_CA');
  if (clientCa.problem !== undefined) throw new ConfigError(clientCa.problem);
  if (!identity.value) {
    if (clientCa.value) throw new ConfigError('TLS_CLIENT_CA is set but TLS_CERT and TLS_KEY are not: client certificates are checked only over TLS; set both');
    return undefined;
  }
  return { identity: identity.value, clientCa: clientCa.value };
}

/** Last of the settings: a missing CLUSTER_TOKEN is reported only when everything else is right. */
function clusterAuth(env: NodeJS.ProcessEnv): ClusterAuth {
  const parsed = parseClusterAuth(env, 'storage node');
  if (parsed.problem !== undefined) throw new ConfigError(parsed.problem);
  return parsed.auth;
}

/** METRICS_PORT: unset or empty, no metrics server; 0, any free port; never the gRPC port. */
function metricsPort(env: NodeJS.ProcessEnv, grpcPort: number): number | null {
  if (env.METRICS_PORT === undefined || env.METRICS_PORT.trim() === '') return null;
  const port = integer(env, 'METRICS_PORT', 0, 0, 65535);
  if (port !== 0 && port === grpcPort) throw new ConfigError(`METRICS_PORT=${port} is also GRPC_PORT; give the metrics their own port`);
  return port;
}

export function loadNodeConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const port = integer(env, 'GRPC_PORT', 50051, 0, 65535);
  const configuredHost = env.GRPC_HOST?.trim();
  // Loopback unless told otherwise: serving chunks to other machines is a decision.
  const host = configuredHost || '127.0.0.1';
  if (/\s/.test(host)) throw new ConfigError(`GRPC_HOST=${JSON.stringify(host)} is not a host name`);
  // The machine's name unless a specific address is configured (the default id did not change with
  // the default bind address, so a node keeps its id).
  const nodeId = env.NODE_ID?.trim() || `${!configuredHost || WILDCARD_HOSTS.has(host) ? hostname() : host}-${port}`;
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(nodeId)) throw new ConfigError(`NODE_ID=${JSON.stringify(nodeId)} may use only A-Z a-z 0-9 _ . : -`);
  return {
    host,
    port,
    nodeId,
    dataDir: resolve(env.DATA_DIR?.trim() || `./data/node-${port}`),
    reserveBytes: integer(env, 'DISK_RESERVE_BYTES', 1024 ** 3, 0, Number.MAX_SAFE_INTEGER),
    directIo: directIo(env),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    putIdleTimeoutMs: integer(env, 'PUT_IDLE_TIMEOUT_MS', 60_000, 100, 86_400_000),
    join: loadJoinConfig(env, host),
    metricsPort: metricsPort(env, port),
    tls: tls(env),
    logLevel: logLevel(env),
    auth: clusterAuth(env),
  };
}
