// Cuts a byte stream into stripes of k data units, computes m parity units per stripe, and sends
// unit i of every stripe to chunk i. Callers hash what they need (SHA-256, MD5, ...) on the way in.
//
// Chunk streams open lazily, so a small file uses only as many data chunks as it has units (plus
// its parity chunks). A chunk whose node fails, refuses or stalls is dropped and recorded as missing;
// the upload goes on while it can still lose no more than `tolerated` chunks.
// Two stripe buffers are reused: one fills from the client while the other is coded and sent.
import type { ChunkSender } from './chunk-sender.js';
import type { ErasureCoder } from './erasure-code.js';
import { StorageUnavailable } from './storage-unavailable.js';
import { chunkLength, chunkNumbers, parityOf, stripeBytes, unitLength, type StripeLayout } from './stripe-layout.js';

export interface WrittenChunk {
  chunkNumber: number;
  size: number;
  state: 'ok' | 'missing';
  error: string | null; // why it is missing
}

export interface WrittenFile {
  size: number;
  chunks: WrittenChunk[];
}

interface Slot {
  data: Buffer;
  parity: Buffer;
  released: Promise<unknown>;
}

export class StripeWriter {
  private readonly senders = new Map<number, ChunkSender | null>(); // null: no node for this chunk
  private readonly slots: Slot[];
  private slot = 0;
  private filled = 0; // bytes of the current stripe in its buffer
  private stripe = 0;
  private offset = 0;

  constructor(
    private readonly layout: StripeLayout,
    private readonly coder: ErasureCoder,
    private readonly openChunk: (chunkNumber: number) => ChunkSender | null,
    /** How many chunks the file may lose and still be stored (k + m - write quorum). */
    private readonly tolerated: number,
  ) {
    const m = parityOf(layout);
    this.slots = [0, 1].map(() => ({
      data: Buffer.allocUnsafe(stripeBytes(layout)),
      parity: Buffer.allocUnsafe(Math.max(1, m) * layout.unit),
      released: Promise.resolve(),
    }));
  }

  get size(): number {
    return this.offset;
  }

  async write(data: Buffer): Promise<void> {
    const capacity = stripeBytes(this.layout);
    for (let position = 0; position < data.length; ) {
      const take = Math.min(capacity - this.filled, data.length - position);
      data.copy(this.slots[this.slot]!.data, this.filled, position, position + take);
      this.filled += take;
      position += take;
      this.offset += take;
      if (this.filled === capacity) await this.flushStripe(false);
    }
  }

  private sender(n: number): ChunkSender | null {
    if (!this.senders.has(n)) this.senders.set(n, this.openChunk(n));
    return this.senders.get(n)!;
  }

  private lostChunks(): number[] {
    return [...this.senders].filter(([, s]) => s === null || s.failure !== null).map(([n]) => n);
  }

  private checkQuorum(): void {
    const lost = this.lostChunks();
    if (lost.length > this.tolerated) {
      const reasons = lost.map((n) => `chunk ${n}: ${this.senders.get(n)?.failure?.message ?? 'no healthy node to place it on'}`);
      throw new StorageUnavailable(
        `too few storage nodes took the upload (${lost.length} chunks lost, at most ${this.tolerated} may be): ${reasons.join('; ')}`,
      );
    }
  }

  /** Codes the stripe in the current buffer, hands its units to the senders, moves to the other buffer. */
  private async flushStripe(last: boolean): Promise<void> {
    const { unit, width: k } = this.layout;
    const m = parityOf(this.layout);
    const current = this.slots[this.slot]!;
    const size = last ? this.offset : Number.MAX_SAFE_INTEGER; // before the end, every unit of the stripe is whole
    const shard = last ? unitLength(this.offset, this.stripe, 0, this.layout) : unit;
    if (shard > 0) {
      current.data.fill(0, this.filled, k * shard); // short or absent units of the last stripe code as zeros
      if (m > 0) await this.coder.encode(current.data.subarray(0, k * shard), current.parity.subarray(0, m * shard), shard);
      const sends: Promise<void>[] = [];
      for (let n = 0; n < k + m; n++) {
        const length = n < k ? unitLength(size, this.stripe, n, this.layout) : shard;
        if (length === 0) continue;
        const sender = this.sender(n);
        if (!sender) continue;
        const bytes = n < k ? current.data.subarray(n * shard, n * shard + length) : current.parity.subarray((n - k) * shard, (n - k + 1) * shard);
        sends.push(sender.send(bytes));
      }
      current.released = Promise.all(sends);
      this.checkQuorum();
    }
    this.stripe += 1;
    this.filled = 0;
    this.slot = 1 - this.slot;
    await this.slots[this.slot]!.released; // the other buffer is free once its units were taken
    this.checkQuorum();
  }

  /** Sends the last stripe, ends every chunk stream and waits until the nodes hold them durably. */
  async finish(): Promise<WrittenFile> {
    if (this.filled > 0 || this.offset === 0) await this.flushStripe(true);
    await Promise.all(this.slots.map((s) => s.released));
    const numbers = chunkNumbers(this.offset, this.layout);
    // Wait for every chunk even when one fails, so none is still being committed when the caller cleans up.
    const results = await Promise.allSettled(numbers.map((n) => this.sender(n)?.finish() ?? Promise.reject(new Error('no node'))));
    this.checkQuorum();
    return {
      size: this.offset,
      chunks: numbers.map((n, i) => {
        const r = results[i]!;
        const expected = chunkLength(this.offset, n, this.layout);
        if (r.status === 'fulfilled' && r.value.size !== expected) {
          throw new Error(`chunk ${n} has ${r.value.size} bytes, the layout says ${expected}`);
        }
        return {
          chunkNumber: n,
          size: expected,
          state: r.status === 'fulfilled' ? 'ok' : 'missing',
          error: r.status === 'rejected' ? String((r.reason as Error)?.message ?? r.reason) : null,
        };
      }),
    };
  }

  abort(): void {
    for (const s of this.senders.values()) s?.abort();
  }
}
