// A running storage node: the chunk store behind a gRPC server, with a bounded graceful stop.
import * as grpc from '@grpc/grpc-js';
import { nodeServerCredentials } from '../proto/grpc-credentials.js';
import { encodingStorageService, GRPC_OPTIONS } from '../proto/storage-proto.js';
import { ChunkStore } from './chunk-store.js';
import { clusterTokenInterceptor } from './cluster-token-check.js';
import { callLogInterceptor } from './call-log.js';
import { log } from '../proto/log.js';
import type { NodeConfig } from './config.js';
import { storageService } from './storage-service.js';
import { startMetricsServer } from './metrics-server.js';
import { registry as metricsRegistry, watchStore } from './node-metrics.js';

export interface StorageServer {
  port: number;
  /** The port of GET /metrics, or null without METRICS_PORT. */
  metricsPort: number | null;
  /** Whether chunk data goes to and from the disk with O_DIRECT (DIRECT_IO and what the disk takes). */
  directIo: boolean;
  /** Stops taking calls, lets running ones finish for up to the grace period, then cancels them. */
  stop(): Promise<void>;
}

/**
 * HTTP/2 receive window of the node, per stream and per connection. At the default 64 KiB a
 * PutChunk caller stops every 64 KiB until the node's event loop sends a window update; 8 MiB keeps
 * the data flowing (PutChunk went from about 200 to 650+ MiB/s on loopback) and still bounds what
 * one connection can have in flight. grpc-js 1.14 reads this option on clients only; the server
 * side comes from grpc-node pull request #3058, applied to the installed grpc-js by
 * patches/@grpc+grpc-js+1.14.7.patch (patch-package, at npm install) until a release has it.
 */
const RECEIVE_WINDOW_BYTES = 8 * 1024 * 1024;

export async function startStorageServer(config: NodeConfig): Promise<StorageServer> {
  const store = new ChunkStore(config.dataDir, config.reserveBytes, { directIo: config.directIo });
  await store.init();
  // The call log (LOG_LEVEL=debug only) first: it sees every call, also the ones the token check
  // refuses. At other levels, and with AUTH=off, calls pass no interceptor at all.
  const interceptors = [
    ...(log.isDebug() ? [callLogInterceptor()] : []),
    ...(config.auth.enabled ? [clusterTokenInterceptor(config.auth.token)] : []),
  ];
  const server = new grpc.Server({ ...GRPC_OPTIONS, 'grpc-node.flow_control_window': RECEIVE_WINDOW_BYTES, interceptors });
  server.addService(encodingStorageService(), storageService(store, { nodeId: config.nodeId, putIdleTimeoutMs: config.putIdleTimeoutMs }));
  const port = await new Promise<number>((resolve, reject) => {
    const address = config.host.includes(':') ? `[${config.host}]:${config.port}` : `${config.host}:${config.port}`;
    server.bindAsync(address, nodeServerCredentials(config.tls), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
  watchStore(config.nodeId, () => store.usage());
  let metrics;
  try {
    metrics = config.metricsPort === null ? null : await startMetricsServer(config.host, config.metricsPort, metricsRegistry);
  } catch (err) {
    server.forceShutdown();
    throw new Error(`the metrics port ${config.metricsPort} cannot be bound: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    port,
    metricsPort: metrics?.port ?? null,
    directIo: store.directIo,
    stop: async () => {
      await metrics?.stop();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, config.shutdownGraceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
