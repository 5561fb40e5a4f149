// The gRPC handlers: each one translates a call into ChunkStore operations and back.
import { once } from 'node:events';
import type { StorageServiceHandlers } from '../proto/storage-proto.js';
import type { PutChunkRequest__Output } from '../proto/generated/storage/PutChunkRequest.js';
import type { PutChunkResponse } from '../proto/generated/storage/PutChunkResponse.js';
import type { GetChunkResponse } from '../proto/generated/storage/GetChunkResponse.js';
import { ChunkError, toGrpcError } from './chunk-errors.js';
import { assertValidChunkId, type ChunkStore, type ChunkWriter } from './chunk-store.js';
import { bytesRead, deleteEnded, getEnded, putEnded, verifyEnded } from './node-metrics.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Resolves when the call is cancelled or broken by the peer. */
function whenCancelled(call: { cancelled: boolean; on(event: 'cancelled', fn: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => {
    if (call.cancelled) resolve();
    call.on('cancelled', () => resolve());
  });
}

/**
 * Ends a server stream with an error status. grpc-js sends the status from the stream's 'error'
 * handler (which records it and calls end()); destroy() would skip that and leave the caller
 * waiting for a status forever.
 */
function failStream(call: { emit(event: 'error', err: unknown): boolean }, err: unknown): void {
  call.emit('error', toGrpcError(err));
}

/**
 * GetChunk keeps at most this many messages handed to gRPC and not yet taken by HTTP/2 flow
 * control (instead of the stream's 16), so a fast disk and a slow reader do not fill memory.
 */
const SEND_WINDOW_MESSAGES = 2;

export interface ServiceOptions {
  nodeId: string;
  /**
   * A PutChunk stream idle this long (no message, no end, no cancel) is given up and its temporary
   * file removed. grpc-js callers can leave such a stream behind: a call cancelled right after it
   * was created (before the channel had resolved it) is still opened afterwards, fed the messages
   * written before the cancel, and then neither ended nor reset, so without this limit the node
   * would keep its temporary file until the caller's channel closes or the node restarts.
   */
  putIdleTimeoutMs: number;
}

export function storageService(store: ChunkStore, options: ServiceOptions): StorageServiceHandlers {
  const { nodeId, putIdleTimeoutMs } = options;
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

      const messages = (call as AsyncIterable<PutChunkRequest__Output>)[Symbol.asyncIterator]();
      let idle: NodeJS.Timeout | undefined;
      /** The next message, or null at the end of the stream; an idle caller fails the call. */
      const nextMessage = async (): Promise<PutChunkRequest__Output | null> => {
        idle = setTimeout(() => {
          call.destroy(new ChunkError('DEADLINE_EXCEEDED', `no message for ${putIdleTimeoutMs} ms: PutChunk stream given up`));
        }, putIdleTimeoutMs);
        try {
          const next = await messages.next();
          return next.done ? null : next.value;
        } finally {
          clearTimeout(idle);
        }
      };

      const run = async (): Promise<PutChunkResponse> => {
        for (let msg = await nextMessage(); msg; msg = await nextMessage()) {
          if (!writer) {
            assertValidChunkId(msg.chunkId);
            // skip_sha256 counts in the first message only (see ChunkWriter.requireSha256 for a
            // checksum sent despite it).
            writer = await store.createWriter(msg.chunkId, { sha256: !msg.skipSha256 });
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
            writer.requireSha256();
          }
          await writer.write(msg.data, msg.blockChecksums.length > 0 ? msg.blockChecksums : undefined);
        }
        if (cancelled) throw new ChunkError('CANCELLED', 'the caller cancelled the stream');
        if (!writer) throw new ChunkError('INVALID_ARGUMENT', 'the stream carried no message, so no chunk_id');
        // A caller that cancels can end its stream first (Node's HTTP/2 sends the end of a stream with
        // pending data before the reset), so look at the call once more before the chunk goes in place.
        const stored = await writer.commit(checksum, () => !cancelled && !call.cancelled);
        return { chunkId: stored.chunkId, success: true, size: stored.size, checksum: stored.checksum };
      };

      run().then(
        (response) => {
          putEnded(null);
          callback(null, response);
        },
        async (err: unknown) => {
          putEnded(err);
          await messages.return?.();
          await writer?.abort();
          callback(toGrpcError(err));
        },
      );
    },

    GetChunk(call) {
      const { chunkId, offset, withBlockChecksums } = call.request;
      const length = call.request._length === 'length' ? call.request.length : undefined;
      /** Resolves with whether the caller went away before every message was handed over. */
      const run = async (): Promise<boolean> => {
        const reading = await store.read(chunkId, offset, length, withBlockChecksums);
        const cancelled = whenCancelled(call);
        let stoppedEarly = false;
        try {
          // One message per group of blocks read and verified (at most 1 MiB). A write's callback
          // runs once HTTP/2 flow control has taken the message, so waiting on the oldest one
          // bounds what the node reads ahead of its caller. An empty range sends no message.
          const sending: Promise<void>[] = [];
          for await (const message of reading.messages) {
            if (call.cancelled) {
              stoppedEarly = true;
              break;
            }
            bytesRead(message.encoded.dataLength);
            // The node's serializer sends encoded messages as they are (encodingStorageService).
            const encoded = message.encoded as unknown as GetChunkResponse;
            sending.push(
              new Promise<void>((resolve) =>
                call.write(encoded, () => {
                  message.release(); // written out: grpc-js sends the buffer itself (grpc-framing.ts)
                  resolve();
                }),
              ),
            );
            if (sending.length >= SEND_WINDOW_MESSAGES) await Promise.race([sending.shift(), cancelled]);
          }
        } finally {
          await reading.messages.return(undefined);
          await reading.close();
        }
        if (!call.cancelled) call.end();
        return stoppedEarly;
      };
      run().then(
        (stoppedEarly) => getEnded(null, stoppedEarly),
        (err: unknown) => {
          getEnded(err, call.cancelled);
          if (!call.cancelled) failStream(call, err);
        },
      );
    },

    DeleteChunk(call, callback) {
      store.delete(call.request.chunkId).then(
        () => {
          deleteEnded(null);
          callback(null, { success: true, errorMessage: '' });
        },
        (err: unknown) => {
          deleteEnded(err);
          callback(toGrpcError(err));
        },
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

    VerifyChunk(call, callback) {
      store.verify(call.request.chunkId).then(
        (v) => {
          verifyEnded(v);
          callback(null, { exists: v.exists, size: v.size, ok: v.ok, badBlocks: v.badBlocks, errorMessage: v.error });
        },
        (err: unknown) => {
          verifyEnded(null, err);
          callback(toGrpcError(err));
        },
      );
    },

    ListChunks(call) {
      const run = async (): Promise<void> => {
        const cancelled = whenCancelled(call);
        for await (const c of store.list()) {
          if (call.cancelled) return;
          const message = { chunkId: c.chunkId, size: c.size, modifiedAtMs: c.modifiedAtMs };
          if (!call.write(message)) await Promise.race([once(call, 'drain'), cancelled]);
        }
        call.end();
      };
      run().catch((err: unknown) => {
        if (!call.cancelled) failStream(call, err);
      });
    },
  };
}
