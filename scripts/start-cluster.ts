// `npm start`: the local cluster in the foreground; Ctrl-C stops every process cleanly.
import { resolve } from 'node:path';
import { startLocalCluster } from './local-cluster.js';

async function main(): Promise<void> {
  const dataDir = resolve(process.env.DATA_DIR?.trim() || './data');
  const gatewayPort = Number(process.env.PORT ?? 8080);
  let shuttingDown = false;
  const cluster = await startLocalCluster({
    dataDir,
    gatewayPort,
    nodePorts: [50051, 50052, 50053, 50054, 50055, 50056],
    databaseUrl: process.env.DATABASE_URL?.trim() || undefined,
    log: (line) => console.log(line),
    onUnexpectedExit: (name, code) => {
      if (shuttingDown) return;
      console.error(`${name} exited unexpectedly (code ${code}); stopping the cluster`);
      void shutdown(1);
    },
  });
  const shutdown = async (code: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log('stopping the cluster...');
    await cluster.stop();
    console.log('stopped');
    process.exit(code);
  };
  console.log(
    [
      '',
      'chunked object store is running:',
      `  gateway        ${cluster.gatewayUrl}   (try: curl ${cluster.gatewayUrl}/health)`,
      `  storage nodes  ${cluster.nodes.map((n) => n.address).join(', ')}`,
      `  PostgreSQL     ${cluster.databaseUrl.replace(/:[^:@/]+@/, ':***@')}${process.env.DATABASE_URL ? '' : ' (embedded)'}`,
      `  data           ${dataDir}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
}

main().catch((err: unknown) => {
  console.error(`cluster: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
