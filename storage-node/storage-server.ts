// A running storage node: the chunk store behind a gRPC server, with a bounded graceful stop.
import * as grpc from '@grpc/grpc-js';
import { GRPC_OPTIONS, storageProto } from '../proto/storage-proto.js';
import { ChunkStore } from './chunk-store.js';
import type { NodeConfig } from './config.js';
import { storageService } from './storage-service.js';

export interface StorageServer {
  port: number;
  /** Stops taking calls, lets running ones finish for up to the grace period, then cancels them. */
  stop(): Promise<void>;
}

export async function startStorageServer(config: NodeConfig): Promise<StorageServer> {
  const store = new ChunkStore(config.dataDir, config.reserveBytes);
  await store.init();
  const server = new grpc.Server(GRPC_OPTIONS);
  server.addService(storageProto().StorageService.service, storageService(store, config.nodeId));
  const port = await new Promise<number>((resolve, reject) => {
    const address = config.host.includes(':') ? `[${config.host}]:${config.port}` : `${config.host}:${config.port}`;
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, config.shutdownGraceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
