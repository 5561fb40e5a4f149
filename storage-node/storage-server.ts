// A running storage node: the chunk store behind a gRPC server, with a bounded graceful stop.
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { nodeServerCredentials } from '../proto/grpc-credentials.js';
import { GRPC_OPTIONS, storageProto } from '../proto/storage-proto.js';
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
  /** Stops taking calls, lets running ones finish for up to the grace period, then cancels them. */
  stop(): Promise<void>;
}

/**
 * HTTP/2 receive window of the node, per stream and per connection. At the default 64 KiB a
 * PutChunk caller stops every 64 KiB until the node's event loop sends a window update; 8 MiB keeps
 * the data flowing (PutChunk went from about 200 to 650+ MiB/s on loopback) and still bounds what
 * one connection can have in flight.
 */
const RECEIVE_WINDOW_BYTES = 8 * 1024 * 1024;
/**
 * Largest HTTP/2 frame callers may send (1 MiB instead of 16 KiB), for callers whose HTTP/2 library
 * sends frames up to the peer's limit. Node's own HTTP/2 (the gateway's grpc-js) does not: nghttp2
 * only sends frames above 16 KiB through a callback Node does not install, so a PutChunk from the
 * gateway still arrives as 16 KiB frames (measured with this setting: about 80 'data' events per MiB,
 * none above 16 KiB).
 */
const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * grpc-js has this setting for clients ('grpc-node.flow_control_window') but not for servers (grpc-node
 * pull request #3058 adds it; not released in 1.14), so reach its HTTP/2 servers (a private field)
 * and widen the window of every new session. Without that field (another grpc-js version) the node
 * works as before, only slower to receive. Once the option exists, pass it in GRPC_OPTIONS instead.
 */
function widenReceiveWindow(server: grpc.Server): void {
  const http2Servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(http2Servers instanceof Map)) {
    log.warn('cannot widen the HTTP/2 receive window with this grpc-js version');
    return;
  }
  for (const http2Server of http2Servers.keys() as IterableIterator<Http2Server>) {
    http2Server.on('session', (session: ServerHttp2Session) => {
      if (session.destroyed || session.closed) return; // refused by grpc-js (e.g. while stopping)
      session.settings({ initialWindowSize: RECEIVE_WINDOW_BYTES, maxFrameSize: MAX_FRAME_BYTES });
      session.setLocalWindowSize(RECEIVE_WINDOW_BYTES);
    });
  }
}

export async function startStorageServer(config: NodeConfig): Promise<StorageServer> {
  const store = new ChunkStore(config.dataDir, config.reserveBytes);
  await store.init();
  // The call log (LOG_LEVEL=debug only) first: it sees every call, also the ones the token check
  // refuses. At other levels, and with AUTH=off, calls pass no interceptor at all.
  const interceptors = [
    ...(log.isDebug() ? [callLogInterceptor()] : []),
    ...(config.auth.enabled ? [clusterTokenInterceptor(config.auth.token)] : []),
  ];
  const server = new grpc.Server({ ...GRPC_OPTIONS, interceptors });
  server.addService(storageProto().StorageService.service, storageService(store, { nodeId: config.nodeId, putIdleTimeoutMs: config.putIdleTimeoutMs }));
  const port = await new Promise<number>((resolve, reject) => {
    const address = config.host.includes(':') ? `[${config.host}]:${config.port}` : `${config.host}:${config.port}`;
    server.bindAsync(address, nodeServerCredentials(config.tls), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
  widenReceiveWindow(server);
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
