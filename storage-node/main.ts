// Entry point: node dist/storage-node/main.js, configured by environment variables.
import { authOffWarning } from '../proto/cluster-auth-setting.js';
import { Announcer } from './announcer.js';
import { bindWarning, ConfigError, loadNodeConfig } from './config.js';
import { startStorageServer } from './storage-server.js';
import { initLog, log } from '../proto/log.js';
import { limitCallReadAhead } from '../proto/call-read-ahead.js';

async function main(): Promise<void> {
  // PutChunk takes one message ahead of the disk (see call-read-ahead.ts).
  limitCallReadAhead();
  let config;
  try {
    config = loadNodeConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`storage-node: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const authWarning = authOffWarning(
    config.auth,
    config.host,
    'GRPC_HOST',
    'this storage node takes gRPC calls without the cluster token, so anyone who can reach its port can read, overwrite and delete its chunks',
  );
  initLog(config.logLevel, { role: 'storage-node', node: config.nodeId });
  if (authWarning) log.warn(authWarning);
  const server = await startStorageServer(config);
  // Tests and the cluster launcher read this line to learn the (possibly ephemeral) port.
  const urlHost = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  const metrics = server.metricsPort === null ? '' : ` metrics=http://${urlHost}:${server.metricsPort}/metrics`;
  log.notice(`storage-node ${config.nodeId} listening on ${config.host}:${server.port} data=${config.dataDir}${metrics}`);
  if (config.directIo && !server.directIo) log.info(`direct I/O is not available in ${config.dataDir}: chunk data goes through the page cache`);
  if (config.tls) {
    const clients = config.tls.clientCa ? 'client certificates required (TLS_CLIENT_CA)' : 'no client certificates asked for';
    log.info(`gRPC over TLS (TLS_CERT), ${clients}`);
  }
  const warning = bindWarning(config);
  if (warning) log.warn(`WARNING: ${warning}`);
  let announcer: Announcer | undefined;
  if (config.join) {
    const address = config.join.advertiseAddress ?? `${config.join.advertiseHost}:${server.port}`;
    announcer = new Announcer({
      joinUrl: config.join.url,
      address,
      intervalMs: config.join.intervalMs,
      clusterToken: config.auth.token,
      ca: config.join.ca,
      log: (line) => log.info(line),
    });
    announcer.start();
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    announcer?.stop();
    log.info(`${signal}, finishing running calls`);
    server.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  log.error(`storage-node: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
