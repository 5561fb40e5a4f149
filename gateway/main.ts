// Entry point: node dist/gateway/main.js, configured by environment variables.
import { authOffWarning } from '../proto/cluster-auth-setting.js';
import { ConfigError, loadGatewayConfig } from './config.js';
import { startGateway } from './gateway-server.js';
import { hostname } from 'node:os';
import { initLog, log } from '../proto/log.js';
import { limitCallReadAhead } from '../proto/call-read-ahead.js';

async function main(): Promise<void> {
  // Chunks stream in one message ahead of the client's download (see call-read-ahead.ts).
  limitCallReadAhead();
  let config;
  try {
    config = loadGatewayConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`gateway: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const warning = authOffWarning(
    config.clusterAuth,
    config.host,
    'HOST',
    'authentication is off (no credentials on the REST API, the cluster token optional), so whoever can reach this gateway may read, write and delete every file and administer the cluster',
  );
  initLog(config.logLevel, { role: 'gateway', host: hostname() });
  if (warning) log.warn(warning);
  const gateway = await startGateway(config);
  // The cluster launcher and tests read this line to learn the (possibly ephemeral) port and the
  // scheme (https with TLS_CERT/TLS_KEY; the S3 API then speaks HTTPS too).
  log.notice(
    `gateway listening on ${gateway.scheme}://${config.host}:${gateway.port} (S3 API on port ${gateway.s3Port}; storage nodes: ${config.storageNodes.join(', ')})`,
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}, finishing running requests`);
    gateway.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(`error while stopping: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  log.error(`gateway: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
