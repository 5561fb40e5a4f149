// A running gateway: database (embedded or DATABASE_URL), migrations, node registry, janitor, HTTP.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChunkDeleter } from './cluster/chunk-deleter.js';
import type { GatewayConfig } from './config.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './metadata/embedded-database.js';
import { createApp } from './http/app.js';
import { createRestServer } from './http/rest-server.js';
import type { ServerLimits } from './http/server-limits.js';
import { UploadSlots } from './http/upload-slots.js';
import { isDatabaseUnavailable } from './http/error-handler.js';
import { Janitor } from './cluster/janitor.js';
import { createPool, Metadata } from './metadata/metadata.js';
import { migrate } from './metadata/migrate.js';
import { NodeRegistry } from './cluster/node-registry.js';
import { UploadService } from './files/upload-service.js';
import { FileUploads } from './files/file-upload.js';
import { DownloadService } from './files/download-service.js';
import { ErasureCoder } from './data/erasure-code.js';
import { Healer } from './cluster/healer.js';
import { Scrubber } from './cluster/scrubber.js';
import { Rebalancer } from './cluster/rebalancer.js';
import { ForegroundActivity } from './files/foreground-activity.js';
import { RepairStore } from './metadata/repair-store.js';
import { ObjectStore } from './metadata/object-store.js';
import { ObjectService } from './s3/object-service.js';
import { createS3Server } from './s3/s3-server.js';
import { SigV4Authenticator } from './s3/s3-authenticator.js';
import { s3Routes } from './s3/s3-routes.js';
import { hostname } from 'node:os';
import { AccessKeys } from './auth/access-keys.js';
import { describeRootKey, ensureRootKey } from './auth/root-key.js';
import { rootKeyBanner } from './auth/root-key-banner.js';
import { loadServerKey } from './auth/server-key.js';
import { KeyStore } from './metadata/key-store.js';
import { randomUUID } from 'node:crypto';
import { log } from '../proto/log.js';
import { ApiTokens } from './auth/api-tokens.js';
import { ensureRootToken, rootTokenBanner } from './auth/root-token.js';
import { TokenStore } from './metadata/token-store.js';
import { ConsistencyStore } from './metadata/consistency-store.js';
import { ConsistencyChecker } from './cluster/consistency-check.js';
import { systemStatus } from './ops/system-status.js';
import { HistorySampler } from './ops/history-sampler.js';
import { readFile } from 'node:fs/promises';
import { nodeChannelCredentials } from '../proto/grpc-credentials.js';
import { startAlerts } from './alerts/start-alerts.js';
import type { ConsoleSettings } from './http/console-routes.js';
import type { ConsoleSite } from './s3/console-cors.js';
import { watchGateway, watchPool } from './metrics/gateway-metrics.js';

export interface GatewayServer {
  port: number;
  s3Port: number;
  /** 'https' when TLS_CERT/TLS_KEY are set (both servers), else 'http'. */
  scheme: 'http' | 'https';
  databaseUrl: string;
  stop(): Promise<void>;
}

async function migrateWithRetry(metadata: Metadata, attempts = 30): Promise<string[]> {
  for (let i = 1; ; i++) {
    try {
      return await migrate(metadata.pool);
    } catch (err) {
      // In compose the database may still be starting; anything else is a real error.
      if (i >= attempts || !isDatabaseUnavailable(err)) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

/**
 * The server key, the root key (generated and printed once, or as configured) and the service the
 * S3 layer and the admin API use. A server key that cannot be read or created, or a configured root
 * key id that names an ordinary key, stops the start with a message that says what to fix; keys
 * sealed under another server key are only warned about (they fail one by one, clearly, on use).
 */
async function startAccessKeys(config: GatewayConfig, metadata: Metadata): Promise<AccessKeys> {
  const serverKey = await loadServerKey({ configured: config.serverKey, dataDir: config.dataDir });
  if (serverKey.source === 'generated') log.notice(`created the server key ${serverKey.file} (keep it: it encrypts the S3 secret keys)`);
  for (const warning of serverKey.warnings) log.warn(`WARNING: ${warning}`);
  const store = new KeyStore(metadata.pool);
  const root = await ensureRootKey(store, serverKey.key, config.s3RootKey);
  // The one time the generated secret is shown: a block of its own, which the npm start launcher repeats.
  if (root.kind === 'generated') for (const line of rootKeyBanner({ accessKeyId: root.accessKeyId, secretAccessKey: root.secret })) log.notice(line);
  else log.info(describeRootKey(root));
  const accessKeys = new AccessKeys(store, serverKey.key, { cacheMs: config.keyCacheMs });
  const unreadable = await accessKeys.sealedUnderOtherKey();
  if (unreadable.length > 0) {
    const ids = unreadable.slice(0, 5).join(', ') + (unreadable.length > 5 ? `, ... (${unreadable.length} in all)` : '');
    log.warn(
      `WARNING: ${unreadable.length} access key(s) were encrypted under another server key and cannot authenticate ` +
        `here (${ids}); this gateway's server key (id ${serverKey.id}, ${serverKey.source === 'SERVER_KEY' ? 'SERVER_KEY' : serverKey.file}) ` +
        `must be the one the other gateways of this database use`,
    );
  }
  return accessKeys;
}

/**
 * The API tokens of the REST API, and with AUTH on the root token: API_TOKEN, or DATA_DIR/api.token
 * (generated and printed once). With AUTH=off no root token is made: nothing asks for one.
 */
async function startApiTokens(config: GatewayConfig, metadata: Metadata): Promise<ApiTokens> {
  const store = new TokenStore(metadata.pool);
  if (!config.clusterAuth.enabled) return new ApiTokens(store);
  const root = await ensureRootToken(store, { configured: config.apiToken, dataDir: config.dataDir });
  if (root.generated !== undefined) for (const line of rootTokenBanner(root.generated, root.file!)) log.notice(line);
  else {
    const from = root.source === 'API_TOKEN' ? 'API_TOKEN' : root.file;
    const change = root.change === 'kept' ? '' : root.change === 'replaced' ? ' (it replaces the previous root token, now revoked)' : '';
    log.info(`REST API root token from ${from}${change}`);
  }
  return new ApiTokens(store);
}

/** The version in package.json (dist/gateway/ is two levels under the package root). */
async function packageVersion(): Promise<string> {
  try {
    return (JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function startGateway(config: GatewayConfig): Promise<GatewayServer> {
  let embedded: EmbeddedDatabase | undefined;
  const databaseUrl = config.databaseUrl ?? (embedded = await startEmbeddedDatabase(config.dataDir, config.embeddedPgPort)).url;
  const metadata = new Metadata(createPool(databaseUrl, { size: config.dbPoolSize, waitMs: config.dbWaitMs, queryTimeoutMs: config.dbQueryTimeoutMs }));
  watchPool(metadata.pool); // before the first query, so that every connection is timed
  await migrateWithRetry(metadata);
  const accessKeys = await startAccessKeys(config, metadata);
  const apiTokens = await startApiTokens(config, metadata);
  const registry = new NodeRegistry(
    metadata,
    config.nodeTimeoutMs,
    { failures: config.breakerFailures, recoveries: config.breakerRecoveries },
    config.nodeDeadAfterMs,
    { clusterToken: config.clusterAuth.token, credentials: nodeChannelCredentials(config.tls.nodes) },
  );
  const repair = new RepairStore(metadata.pool);
  // Before the registry's first probes, so that a node down at start is reported.
  const alerts = startAlerts(config.alerts, { registry, repair, databaseUrl });
  await registry.start(config.storageNodes, config.healthIntervalMs);
  const deleter = new ChunkDeleter(metadata, registry);
  const objectStore = new ObjectStore(metadata.pool, config.deleteGraceMs);
  const janitor = new Janitor(metadata, registry, deleter, config, objectStore);
  janitor.start(config.janitorIntervalMs);
  const coders = new Map<string, ErasureCoder>();
  const coder = (k: number, m: number): ErasureCoder => {
    const key = `${k}+${m}`;
    if (!coders.has(key)) coders.set(key, new ErasureCoder(k, m));
    return coders.get(key)!;
  };
  const activity = new ForegroundActivity();
  const claimant = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const healer = new Healer(metadata, repair, registry, deleter, coder, {
    claimant,
    concurrency: config.healConcurrency,
    // Background work steps back while clients are served here.
    bytesPerSecond: () => (activity.busy ? config.healBusyBytesPerSecond : config.healBytesPerSecond),
    leaseMs: config.healLeaseMs,
    pollMs: config.repairPollMs,
    deadAfterMs: config.nodeDeadAfterMs,
    stallMs: config.nodeStallMs,
  });
  healer.start();
  const scrubber = new Scrubber(repair, registry, () => healer.nudge(), {
    claimant,
    intervalMs: config.scrubIntervalMs,
    bytesPerSecond: config.scrubBytesPerSecond,
    leaseMs: config.healLeaseMs,
    pollMs: config.repairPollMs,
    batch: 200,
  });
  if (config.scrubIntervalMs > 0) scrubber.start();
  const rebalancer = new Rebalancer(metadata, repair, registry, () => healer.nudge(), config.repairPollMs);
  const fileUploads = new FileUploads(config, metadata, registry, deleter, coder, healer);
  const uploads = new UploadService(fileUploads, metadata, activity);
  const downloads = new DownloadService(metadata, registry, coder, config.nodeStallMs, healer, activity, alerts.unreadableRead);
  // One bound for the uploads of both APIs: they share the memory and the nodes.
  const uploadSlots = new UploadSlots(config.maxUploads);
  watchGateway({ pool: metadata.pool, nodes: registry, uploadsInFlight: () => uploadSlots.inFlight });
  const consistencyStore = new ConsistencyStore(metadata.pool);
  const checker = new ConsistencyChecker(consistencyStore, metadata, repair, registry, deleter, {
    orphanGraceMs: config.orphanGraceMs,
    claimant,
    healQueued: () => healer.nudge(),
  });
  // The web console's view of this gateway; the ports are the bound ones once listening (0: any free port).
  const consoleSettings: ConsoleSettings & ConsoleSite = {
    auth: config.clusterAuth.enabled,
    scheme: config.tls.https ? 'https' : 'http',
    port: config.port,
    s3Port: config.s3Port,
    region: config.s3Region,
    maxFileSize: config.maxFileSize,
    healthIntervalMs: config.healthIntervalMs,
  };
  const version = await packageVersion();
  const startedAt = new Date();
  const sampler = new HistorySampler(registry, metadata.pool, config.historyStepMs);
  sampler.start();
  const app = createApp({
    history: sampler.history,
    status: () =>
      systemStatus({ version, startedAt, pool: metadata.pool, metadata, registry, repair, healer, janitor, consistency: consistencyStore, scrubIntervalMs: config.scrubIntervalMs }),
    consistency: { checker, store: consistencyStore },
    uploadSlots,
    metadata,
    registry,
    uploads,
    downloads,
    deleter,
    repair,
    rebalancer,
    healer,
    accessKeys,
    apiTokens,
    auth: { enabled: config.clusterAuth.enabled, metricsAuth: config.metricsAuth, region: config.s3Region, clusterToken: config.clusterAuth.token },
    rebalanceOnJoin: config.rebalanceOnJoin,
    nodes: { full: config.dataUnits + config.parityUnits, quorum: config.writeQuorum },
    console: { settings: () => consoleSettings, objects: objectStore },
  });

  const limits: ServerLimits = {
    idleTimeoutMs: config.idleTimeoutMs,
    headersTimeoutMs: config.headersTimeoutMs,
    maxHeaderBytes: config.maxHeaderBytes,
    maxConnections: config.maxConnections,
  };
  const objects = new ObjectService(objectStore, metadata, fileUploads, downloads, deleter, activity, config.minPartSize);
  const s3 = createS3Server({
    store: objectStore,
    auth: new SigV4Authenticator(accessKeys, config.s3Region),
    handlers: s3Routes({ store: objectStore, objects, deleter, pool: metadata.pool, region: config.s3Region }),
    domains: config.s3Domains,
    limits,
    uploadSlots,
    tls: config.tls.https,
    console: () => consoleSettings,
  });

  const server: Server = createRestServer(app, limits, config.tls.https);
  for (const [listener, port] of [
    [server, config.port],
    [s3, config.s3Port],
  ] as const) {
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, config.host, resolve);
    });
  }

  consoleSettings.port = (server.address() as AddressInfo).port;
  consoleSettings.s3Port = (s3.address() as AddressInfo).port;

  return {
    port: (server.address() as AddressInfo).port,
    s3Port: (s3.address() as AddressInfo).port,
    scheme: config.tls.https ? 'https' : 'http',
    databaseUrl,
    async stop() {
      alerts.stop(); // at once: a webhook that hangs does not hold the stop
      janitor.stop();
      sampler.stop();
      rebalancer.stop();
      await scrubber.stop();
      await healer.stop();
      await Promise.all(
        [server, s3].map(
          (listener) =>
            new Promise<void>((resolve) => {
              listener.close(() => resolve());
              listener.closeIdleConnections();
              // Requests still running after the grace period are cut.
              setTimeout(() => {
                listener.closeAllConnections();
                resolve();
              }, 30_000).unref();
            }),
        ),
      );
      registry.stop();
      await metadata.pool.end();
      await embedded?.stop();
    },
  };
}
