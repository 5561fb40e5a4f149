// Reads one chunk (or a range of it) with GetChunk and hands out exactly the bytes asked for, in order.
// When the whole chunk is read, its SHA-256 is checked the moment its last byte arrives.
import { createHash, type Hash } from 'node:crypto';
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { GetChunkResponse__Output } from '../../proto/generated/storage/GetChunkResponse.js';
import { limitReadAhead } from '../../proto/storage-proto.js';
import { NodeFailure, type NodeClient } from '../cluster/node-client.js';

export class ChunkCorrupt extends Error {}

/** Messages (of up to 1 MiB) received ahead of the reader, per chunk; HTTP/2 flow control holds the rest. */
const READ_AHEAD_MESSAGES = 2;

export class ChunkReader {
  private readonly call: ClientReadableStream<GetChunkResponse__Output>;
  private readonly messages: AsyncIterator<GetChunkResponse__Output>;
  private readonly hash: Hash | null;
  private buffered: Buffer = Buffer.alloc(0);
  private received = 0;

  /** `expectedChecksum` is given when [offset, offset + length) is the whole chunk. */
  constructor(
    private readonly node: NodeClient,
    readonly chunkId: string,
    offset: number,
    private readonly length: number,
    private readonly expectedChecksum: string | null,
  ) {
    this.call = node.getChunk(chunkId, offset, length);
    limitReadAhead(this.call, READ_AHEAD_MESSAGES);
    this.messages = this.call[Symbol.asyncIterator]();
    this.hash = expectedChecksum ? createHash('sha256') : null;
  }

  private async receive(): Promise<void> {
    let next: IteratorResult<GetChunkResponse__Output>;
    try {
      next = await this.messages.next();
    } catch (err) {
      throw new NodeFailure(this.node.address, err);
    }
    if (next.done) throw new NodeFailure(this.node.address, `chunk ${this.chunkId} ended after ${this.received} of ${this.length} bytes`);
    const data = next.value.data;
    this.received += data.length;
    if (this.received > this.length) throw new NodeFailure(this.node.address, `chunk ${this.chunkId} sent more than ${this.length} bytes`);
    this.hash?.update(data);
    if (this.hash && this.received === this.length) {
      const actual = this.hash.digest('hex');
      if (actual !== this.expectedChecksum) {
        throw new ChunkCorrupt(`chunk ${this.chunkId} on ${this.node.address} hashes to ${actual}, expected ${this.expectedChecksum}`);
      }
    }
    this.buffered = data;
  }

  /** The next `n` bytes of the range, as one or more slices. */
  async *take(n: number): AsyncGenerator<Buffer> {
    while (n > 0) {
      if (this.buffered.length === 0) await this.receive();
      const slice = this.buffered.subarray(0, Math.min(n, this.buffered.length));
      this.buffered = this.buffered.subarray(slice.length);
      n -= slice.length;
      yield slice;
    }
  }

  cancel(): void {
    this.call.cancel();
  }
}
