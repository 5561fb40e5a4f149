// Streams one chunk to its node with PutChunk: batches stripe units into messages, hashes the chunk,
// sends the checksum in the last message, and bounds the bytes in flight (backpressure).
import { createHash } from 'node:crypto';
import type { ClientWritableStream } from '@grpc/grpc-js';
import type { PutChunkRequest } from '../../proto/generated/storage/PutChunkRequest.js';
import type { PutChunkResponse__Output } from '../../proto/generated/storage/PutChunkResponse.js';
import { NodeFailure, type NodeClient } from '../cluster/node-client.js';

const MESSAGE_BYTES = 1024 * 1024;
/** Messages handed to gRPC but not yet written to the socket, per chunk. */
const MAX_IN_FLIGHT = 4;

export interface SentChunk {
  size: number;
  checksum: string;
}

export class ChunkSender {
  private readonly call: ClientWritableStream<PutChunkRequest>;
  private readonly response: Promise<PutChunkResponse__Output>;
  private readonly hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private firstMessage = true;
  private inFlight = 0;
  private wakeUp: (() => void) | null = null;
  private failure: Error | null = null;
  size = 0;

  constructor(
    private readonly node: NodeClient,
    readonly chunkId: string,
  ) {
    let call!: ClientWritableStream<PutChunkRequest>;
    this.response = new Promise((resolve, reject) => {
      call = node.grpc.PutChunk((err, res) => {
        if (err || !res) {
          this.failure = new NodeFailure(node.address, err ?? 'no response');
          this.wake();
          reject(this.failure);
        } else resolve(res);
      });
    });
    this.response.catch(() => undefined); // observed through `failure` and finish()
    this.call = call;
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** Adds bytes of this chunk; resolves when they may be followed by more. */
  async append(data: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.hash.update(data);
    this.size += data.length;
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes >= MESSAGE_BYTES) await this.send({});
  }

  private async send(extra: Partial<PutChunkRequest>): Promise<void> {
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    const message: PutChunkRequest = { data, ...extra };
    if (this.firstMessage) message.chunkId = this.chunkId;
    this.firstMessage = false;
    this.inFlight += 1;
    this.call.write(message, () => {
      this.inFlight -= 1;
      this.wake();
    });
    while (this.inFlight >= MAX_IN_FLIGHT && !this.failure) {
      await new Promise<void>((resolve) => (this.wakeUp = resolve));
    }
    if (this.failure) throw this.failure;
  }

  /** Sends the rest with the chunk's checksum and waits until the node has it on disk. */
  async finish(): Promise<SentChunk> {
    const checksum = this.hash.digest('hex');
    await this.send({ checksum });
    this.call.end();
    const res = await this.response;
    if (!res.success) throw new NodeFailure(this.node.address, res.errorMessage || 'PutChunk reported failure');
    if (res.size !== this.size || (res.checksum && res.checksum !== checksum)) {
      throw new NodeFailure(this.node.address, `stored ${res.size} bytes / ${res.checksum}, sent ${this.size} / ${checksum}`);
    }
    return { size: this.size, checksum };
  }

  /** Cancels the stream; the node then keeps nothing of this chunk. */
  abort(): void {
    this.failure ??= new Error('upload aborted');
    this.call.cancel();
    this.wake();
  }
}
