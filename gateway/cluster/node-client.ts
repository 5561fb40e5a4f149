// One storage node as the gateway sees it: its gRPC client with deadlines on the unary calls.
import { status, type ChannelCredentials, type ClientReadableStream } from '@grpc/grpc-js';
import { createEncodingStorageClient, type StorageServiceClient } from '../../proto/storage-proto.js';
import type { GetChunkResponse__Output } from '../../proto/generated/storage/GetChunkResponse.js';
import type { HealthCheckResponse__Output } from '../../proto/generated/storage/HealthCheckResponse.js';
import type { ListChunksResponse__Output } from '../../proto/generated/storage/ListChunksResponse.js';
import type { VerifyChunkResponse__Output } from '../../proto/generated/storage/VerifyChunkResponse.js';
import { observeNodeCall, type CallStatusEmitter } from '../metrics/node-metrics.js';

/** Default deadline of VerifyChunk, which reads a whole chunk on the node. */
const VERIFY_TIMEOUT_MS = 60_000;

/** A storage node failed a call or a stream; the message names the node. */
export class NodeFailure extends Error {
  constructor(
    readonly address: string,
    cause: unknown,
  ) {
    super(`storage node ${address} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export class NodeClient {
  readonly grpc: StorageServiceClient;

  constructor(
    readonly id: number,
    readonly address: string,
    private readonly timeoutMs: number,
    /** Sent with every call (CLUSTER_TOKEN); undefined: calls carry none (AUTH=off). */
    clusterToken: string | undefined,
    /** Plain or TLS (NODE_TLS_CA): nodeChannelCredentials. */
    credentials: ChannelCredentials,
  ) {
    this.grpc = createEncodingStorageClient(address, {
      // The data path handles failures itself (reads fail over to parity); grpc-js's transparent
      // retries would also keep a copy of every message sent until the call is committed.
      'grpc.enable_retries': 0,
      // Without retries grpc-js still holds messages of up to this many bytes per call until the node
      // answers, and calls their write back before they are sent. ChunkSender reuses a buffer once
      // its write has called back, and grpc-js sends it without copying (grpc-framing.ts): the
      // callback must mean "written out".
      'grpc.per_rpc_retry_buffer_size': 0,
      // The HTTP/2 receive window bounds what a chunk stream can hold in the gateway when its client
      // reads slowly: 1 MiB per stream keeps a download to a few MiB and reads as fast as 8 MiB here
      // (measured 180-194 MB/s either way on a 1 GiB download); other streams are not held up.
      'grpc-node.flow_control_window': 1024 * 1024,
      // A node that comes back is reconnected within seconds (grpc-js backs off up to 120 s by default).
      'grpc.initial_reconnect_backoff_ms': 500,
      'grpc.max_reconnect_backoff_ms': 5_000,
      // Notice a dead peer during a long stream instead of waiting on it forever.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 0,
    }, clusterToken, credentials);
  }

  private deadline(): Date {
    return new Date(Date.now() + this.timeoutMs);
  }

  health(): Promise<HealthCheckResponse__Output> {
    return new Promise((resolve, reject) =>
      this.observed('HealthCheck', this.grpc.HealthCheck({}, { deadline: this.deadline() }, (err, res) => (err || !res ? reject(err) : resolve(res)))),
    );
  }

  /** The size of a stored chunk (from its header), or null when the node does not hold it. */
  statChunk(chunkId: string): Promise<{ size: number } | null> {
    return new Promise((resolve, reject) =>
      this.observed(
        'StatChunk',
        this.grpc.StatChunk({ chunkId }, { deadline: this.deadline() }, (err, res) => {
          if (!err && res) resolve({ size: Number(res.size) });
          else if (err?.code === status.NOT_FOUND) resolve(null);
          else reject(err);
        }),
        [status.NOT_FOUND],
      ),
    );
  }

  /** 'deleted', or 'absent' when the node does not hold the chunk (deletion is idempotent). */
  deleteChunk(chunkId: string): Promise<'deleted' | 'absent'> {
    return new Promise((resolve, reject) =>
      this.observed(
        'DeleteChunk',
        this.grpc.DeleteChunk({ chunkId }, { deadline: this.deadline() }, (err) => {
          if (!err) resolve('deleted');
          else if (err.code === status.NOT_FOUND) resolve('absent');
          else reject(err);
        }),
        [status.NOT_FOUND],
      ),
    );
  }

  /**
   * Has the node check a chunk's block checksums in place. The node reads the whole chunk from its
   * disk, so the deadline is longer than other unary calls' (a 1.67 GiB chunk at 100 MB/s takes
   * 17 s): `timeoutMs`, by default the larger of 60 s and the unary deadline.
   */
  verifyChunk(chunkId: string, timeoutMs = Math.max(VERIFY_TIMEOUT_MS, this.timeoutMs)): Promise<VerifyChunkResponse__Output> {
    return new Promise((resolve, reject) =>
      this.observed(
        'VerifyChunk',
        this.grpc.VerifyChunk({ chunkId }, { deadline: new Date(Date.now() + timeoutMs) }, (err, res) => (err || !res ? reject(err) : resolve(res))),
      ),
    );
  }

  /**
   * The whole blocks covering [offset, offset + length) with their checksums. No deadline: a
   * download may last as long as its client reads; the reader bounds each wait for data instead.
   */
  getBlocks(chunkId: string, offset: number, length: number): ClientReadableStream<GetChunkResponse__Output> {
    return this.observed('GetChunk', this.grpc.GetChunk({ chunkId, offset, length, withBlockChecksums: true }));
  }

  listChunks(): ClientReadableStream<ListChunksResponse__Output> {
    return this.observed('ListChunks', this.grpc.ListChunks({}, { deadline: new Date(Date.now() + 10 * 60_000) }));
  }

  /** Counts a call to this node in the metrics (duration, error status; `answers`: see observeNodeCall); returns it. */
  observed<T extends CallStatusEmitter>(call: string, grpcCall: T, answers?: readonly number[]): T {
    observeNodeCall(this.id, call, grpcCall, answers);
    return grpcCall;
  }

  close(): void {
    this.grpc.close();
  }
}
