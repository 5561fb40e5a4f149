// Streams one chunk to its node with PutChunk: one message per stripe unit, each with the xxHash64
// checksums of its blocks (the node verifies them; no SHA-256 of the chunk on either side). Messages
// are encoded, framed, into a few buffers of this sender's own, which grpc-js sends without copying
// (grpc-framing.ts): a buffer is reused only after its write's callback, which comes once the bytes
// are in the socket (NodeClient disables grpc-js's retry buffer, which would call back earlier).
// A node that fails, refuses or stalls fails only this sender: the stripe writer decides whether the
// upload can go on without the chunk.
import type { ClientWritableStream } from '@grpc/grpc-js';
import type { PutChunkRequest } from '../../proto/generated/storage/PutChunkRequest.js';
import type { PutChunkResponse__Output } from '../../proto/generated/storage/PutChunkResponse.js';
import { FRAME_HEADER_BYTES } from '../../proto/grpc-framing.js';
import { encodedLength, encodePutChunk, EncodedPutChunk } from '../../proto/put-chunk-encoding.js';
import { NodeFailure, type NodeClient } from '../cluster/node-client.js';

export class ChunkSender {
  private readonly call: ClientWritableStream<PutChunkRequest>;
  private readonly response: Promise<PutChunkResponse__Output>;
  private firstMessage = true;
  private failureReason: Error | null = null;
  private readonly pending = new Set<() => void>(); // wakes waiters of messages not yet handed over
  private readonly spare: Buffer[] = []; // encoding buffers gRPC has finished with
  size = 0;

  constructor(
    readonly node: NodeClient,
    readonly chunkId: string,
    private readonly stallMs: number,
  ) {
    let call!: ClientWritableStream<PutChunkRequest>;
    this.response = new Promise((resolve, reject) => {
      call = node.observed(
        'PutChunk',
        node.grpc.PutChunk((err, res) => {
          if (err || !res) {
            this.fail(new NodeFailure(node.address, err ?? 'no response'));
            reject(this.failureReason);
          } else resolve(res);
        }),
      );
    });
    this.response.catch(() => undefined); // observed through `failure` and finish()
    call.on('error', () => undefined); // reported through the callback above
    this.call = call;
  }

  get failure(): Error | null {
    return this.failureReason;
  }

  private fail(err: Error): void {
    if (this.failureReason) return;
    this.failureReason = err;
    this.call?.cancel();
    for (const wake of this.pending) wake();
    this.pending.clear();
  }

  /**
   * Sends `data` as the chunk's next message. Resolves once gRPC has taken the bytes (they are copied
   * into this sender's buffer at once, so the caller may reuse `data` then); resolves at once if
   * this sender has failed (the bytes are dropped).
   */
  send(data: Buffer): Promise<void> {
    if (this.failureReason) return Promise.resolve();
    const fields = this.firstMessage ? { chunkId: this.chunkId, skipSha256: true, data } : { data };
    this.firstMessage = false;
    const length = FRAME_HEADER_BYTES + encodedLength(fields);
    let buffer = this.spare.pop();
    if (!buffer || buffer.length < length) buffer = Buffer.allocUnsafe(Math.max(length, data.length + 4096));
    const message = new EncodedPutChunk(buffer, encodePutChunk(buffer, fields, FRAME_HEADER_BYTES)) as unknown as PutChunkRequest;
    this.size += data.length;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => this.fail(new NodeFailure(this.node.address, `stalled: a message was not taken within ${this.stallMs} ms`)),
        this.stallMs,
      );
      const done = (): void => {
        clearTimeout(timer);
        // Written out: free to reuse. After a failure the write may still be in flight; the buffer is dropped.
        if (this.pending.delete(done) && !this.failureReason) this.spare.push(buffer);
        resolve();
      };
      this.pending.add(done);
      this.call.write(message, done);
    });
  }

  /** Ends the stream and waits until the node has the chunk on disk. */
  async finish(): Promise<{ size: number }> {
    if (this.failureReason) throw this.failureReason;
    if (this.firstMessage) await this.send(Buffer.alloc(0)); // an empty chunk still needs its id
    this.call.end();
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new NodeFailure(this.node.address, `no answer within ${this.stallMs} ms after the last byte`)),
        this.stallMs,
      );
    });
    try {
      const res = await Promise.race([this.response, stalled]);
      if (!res.success) throw new NodeFailure(this.node.address, res.errorMessage || 'PutChunk reported failure');
      if (res.size !== this.size) throw new NodeFailure(this.node.address, `stored ${res.size} bytes, sent ${this.size}`);
      return { size: this.size };
    } catch (err) {
      this.fail(err as Error);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Cancels the stream; the node then keeps nothing of this chunk. */
  abort(): void {
    this.fail(new Error('upload aborted'));
  }
}
