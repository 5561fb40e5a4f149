// Reads one chunk's range [offset, offset + length) with GetChunk, verifying the checksum of every
// block it receives, and hands out exactly the bytes asked for, in order. Every failure (node down,
// refused, stalled, corrupt, short) becomes a ChunkReadError; the stream's own errors are always
// listened to, so a cancelled or broken stream can never surface as an unhandled 'error' event.
import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import type { GetChunkResponse__Output } from '../../proto/generated/storage/GetChunkResponse.js';
import { firstBadBlock } from '../../proto/block-checksums.js';
import type { NodeClient } from '../cluster/node-client.js';

export type ReadFault = 'unavailable' | 'stalled' | 'corrupt' | 'refused';

export class ChunkReadError extends Error {
  constructor(
    readonly fault: ReadFault,
    readonly nodeId: number,
    message: string,
  ) {
    super(message);
  }
}

export class ChunkReader {
  private readonly call: ClientReadableStream<GetChunkResponse__Output>;
  private buffered: Buffer = Buffer.alloc(0);
  private position: number; // chunk offset of the next byte to hand out
  private readonly end: number;
  private expectedOffset: number | null = null; // chunk offset the next message must start at
  private streamError: ServiceError | null = null;
  private ended = false;
  private wake: (() => void) | null = null;
  private failure: ChunkReadError | null = null;

  constructor(
    private readonly node: NodeClient,
    readonly chunkId: string,
    offset: number,
    length: number,
    private readonly stallMs: number,
  ) {
    this.position = offset;
    this.end = offset + length;
    this.call = node.getBlocks(chunkId, offset, length);
    const notify = (): void => {
      const w = this.wake;
      this.wake = null;
      w?.();
    };
    this.call.on('readable', notify);
    this.call.on('end', () => {
      this.ended = true;
      notify();
    });
    this.call.on('error', (err: ServiceError) => {
      this.streamError ??= err;
      notify();
    });
  }

  get remaining(): number {
    return this.end - this.position;
  }

  private fail(fault: ReadFault, message: string): never {
    this.failure ??= new ChunkReadError(fault, this.node.id, `chunk ${this.chunkId} on ${this.node.address}: ${message}`);
    this.cancel();
    throw this.failure;
  }

  /** The next message, waiting at most stallMs for it. */
  private async nextMessage(): Promise<GetChunkResponse__Output> {
    for (;;) {
      if (this.failure) throw this.failure;
      const message = this.call.read() as GetChunkResponse__Output | null;
      if (message !== null) return message;
      if (this.streamError) {
        const e = this.streamError;
        if (e.code === status.DATA_LOSS) this.fail('corrupt', e.details || e.message);
        if (e.code === status.UNAVAILABLE || e.code === status.CANCELLED || e.code === status.DEADLINE_EXCEEDED) {
          this.fail('unavailable', e.details || e.message);
        }
        this.fail('refused', e.details || e.message);
      }
      if (this.ended) this.fail('refused', `the stream ended ${this.end - this.position} bytes early`);
      let timer: NodeJS.Timeout | undefined;
      const stalled = await new Promise<boolean>((resolve) => {
        this.wake = () => resolve(false);
        timer = setTimeout(() => resolve(true), this.stallMs);
      });
      clearTimeout(timer);
      this.wake = null;
      if (stalled) this.fail('stalled', `no data for ${this.stallMs} ms`);
    }
  }

  /** Receives, verifies and trims one message to the bytes still wanted. */
  private async receive(): Promise<void> {
    const message = await this.nextMessage();
    const { data, blockChecksums, offset } = message;
    if (data.length === 0) return;
    if (this.expectedOffset !== null && offset !== this.expectedOffset) {
      this.fail('refused', `expected data at offset ${this.expectedOffset}, got ${offset}`);
    }
    if (offset > this.position) this.fail('refused', `data starts at ${offset}, after the wanted offset ${this.position}`);
    this.expectedOffset = offset + data.length;
    const bad = firstBadBlock(data, blockChecksums);
    if (bad !== -1) this.fail('corrupt', `block at offset ${offset + bad * (message.blockSize || 65536)} fails its checksum`);
    const from = this.position - offset;
    const to = Math.min(data.length, this.end - offset);
    this.buffered = from < to ? data.subarray(from, to) : Buffer.alloc(0);
  }

  /** Up to `max` of the next bytes (at least one while any remain). */
  async read(max: number): Promise<Buffer> {
    if (this.remaining === 0) return Buffer.alloc(0);
    while (this.buffered.length === 0) await this.receive();
    const slice = this.buffered.subarray(0, Math.min(max, this.buffered.length));
    this.buffered = this.buffered.subarray(slice.length);
    this.position += slice.length;
    return slice;
  }

  /** Copies exactly `n` next bytes into `target` at `at`. */
  async readInto(target: Buffer, at: number, n: number): Promise<void> {
    while (n > 0) {
      const slice = await this.read(n);
      slice.copy(target, at);
      at += slice.length;
      n -= slice.length;
    }
  }

  cancel(): void {
    this.wake?.();
    this.call.cancel();
  }
}
