// The gRPC handlers: each one translates a call into ChunkStore operations and back.
import { once } from 'node:events';
import type { StorageServiceHandlers } from '../proto/storage-proto.js';
import type { PutChunkRequest__Output } from '../proto/generated/storage/PutChunkRequest.js';
import type { PutChunkResponse } from '../proto/generated/storage/PutChunkResponse.js';
import { ChunkError, toGrpcError } from './chunk-errors.js';
import { assertValidChunkId, type ChunkStore, type ChunkWriter } from './chunk-store.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Resolves when the call is cancelled or broken by the peer. */
function whenCancelled(call: { cancelled: boolean; on(event: 'cancelled', fn: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => {
    if (call.cancelled) resolve();
    call.on('cancelled', () => resolve());
  });
}

export function storageService(store: ChunkStore, nodeId: string): StorageServiceHandlers {
  return {
    PutChunk(call, callback) {
      let writer: ChunkWriter | undefined;
      let checksum: string | undefined;
      let cancelled = false;
      // A cancelled stream must throw out of the read loop below, so its temp file is removed.
      void whenCancelled(call).then(() => {
        cancelled = true;
        call.destroy(new ChunkError('CANCELLED', 'the caller cancelled the stream'));
      });

      const run = async (): Promise<PutChunkResponse> => {
        for await (const msg of call as AsyncIterable<PutChunkRequest__Output>) {
          if (!writer) {
            assertValidChunkId(msg.chunkId);
            writer = await store.createWriter(msg.chunkId);
            if (cancelled) throw new ChunkError('CANCELLED', 'the caller cancelled the stream');
          } else if (msg.chunkId && msg.chunkId !== writer.chunkId) {
            throw new ChunkError('INVALID_ARGUMENT', `chunk_id changed within the stream (${writer.chunkId} then ${msg.chunkId})`);
          }
          if (msg.checksum) {
            const sent = msg.checksum.toLowerCase();
            if (!SHA256_HEX.test(sent)) throw new ChunkError('INVALID_ARGUMENT', 'checksum must be 64 hex digits (SHA-256)');
            if (checksum !== undefined && checksum !== sent) {
              throw new ChunkError('INVALID_ARGUMENT', 'the stream carried two different checksums');
            }
            checksum = sent;
          }
          await writer.write(msg.data);
        }
        if (cancelled) throw new ChunkError('CANCELLED', 'the caller cancelled the stream');
        if (!writer) throw new ChunkError('INVALID_ARGUMENT', 'the stream carried no message, so no chunk_id');
        const stored = await writer.commit(checksum);
        return { chunkId: stored.chunkId, success: true, size: stored.size, checksum: stored.checksum };
      };

      run().then(
        (response) => callback(null, response),
        async (err: unknown) => {
          await writer?.abort();
          callback(toGrpcError(err));
        },
      );
    },

    GetChunk(call) {
      const { chunkId, offset } = call.request;
      const length = call.request._length === 'length' ? call.request.length : undefined;
      const run = async (): Promise<void> => {
        const { stream } = await store.read(chunkId, offset, length);
        const stop = (): void => {
          stream.destroy();
        };
        call.on('cancelled', stop);
        try {
          // One message per read (at most 1 MiB); wait for gRPC flow control before reading more.
          for await (const data of stream as AsyncIterable<Buffer>) {
            if (call.cancelled) break;
            if (!call.write({ data })) await Promise.race([once(call, 'drain'), whenCancelled(call)]);
          }
        } finally {
          call.off('cancelled', stop);
          stream.destroy();
        }
        if (!call.cancelled) call.end();
      };
      run().catch((err: unknown) => {
        if (!call.cancelled) call.destroy(toGrpcError(err) as unknown as Error);
      });
    },

    DeleteChunk(call, callback) {
      store.delete(call.request.chunkId).then(
        () => callback(null, { success: true, errorMessage: '' }),
        (err: unknown) => callback(toGrpcError(err)),
      );
    },

    HealthCheck(_call, callback) {
      store.usage().then(
        (u) =>
          callback(null, {
            status: u.writable ? 'healthy' : 'low_space',
            availableSpace: u.available,
            usedSpace: u.used,
            totalSpace: u.total,
            nodeId,
            reserveSpace: u.reserve,
            chunkCount: u.chunks,
          }),
        (err: unknown) => callback(toGrpcError(err)),
      );
    },

    StatChunk(call, callback) {
      store.stat(call.request.chunkId).then(
        (c) => callback(null, { chunkId: c.chunkId, size: c.size, checksum: c.checksum }),
        (err: unknown) => callback(toGrpcError(err)),
      );
    },

    ListChunks(call) {
      const run = async (): Promise<void> => {
        for await (const c of store.list()) {
          if (call.cancelled) return;
          const message = { chunkId: c.chunkId, size: c.size, modifiedAtMs: c.modifiedAtMs };
          if (!call.write(message)) await Promise.race([once(call, 'drain'), whenCancelled(call)]);
        }
        call.end();
      };
      run().catch((err: unknown) => {
        if (!call.cancelled) call.destroy(toGrpcError(err) as unknown as Error);
      });
    },
  };
}
