// Cuts a byte stream into stripe units and deals them over the chunk senders, hashing the whole file.
// Chunk streams open lazily, so a small file uses only as many chunks as it has stripe units.
import { createHash } from 'node:crypto';
import { chunkSizes, type StripeLayout } from './stripe-layout.js';
import type { ChunkSender, SentChunk } from './chunk-sender.js';

export interface WrittenFile {
  size: number;
  checksum: string;
  chunks: { chunkNumber: number; size: number; checksum: string }[];
}

export class StripeWriter {
  private readonly senders: ChunkSender[] = [];
  private readonly hash = createHash('sha256');
  private offset = 0;

  constructor(
    private readonly layout: StripeLayout,
    private readonly openChunk: (chunkNumber: number) => ChunkSender,
  ) {}

  get size(): number {
    return this.offset;
  }

  async write(data: Buffer): Promise<void> {
    this.hash.update(data);
    let position = 0;
    while (position < data.length) {
      const unitIndex = Math.floor(this.offset / this.layout.unit);
      const take = Math.min(this.layout.unit - (this.offset % this.layout.unit), data.length - position);
      const chunk = unitIndex % this.layout.width;
      const sender = (this.senders[chunk] ??= this.openChunk(chunk));
      await sender.append(data.subarray(position, position + take));
      position += take;
      this.offset += take;
    }
  }

  /** Ends every chunk stream and waits until every node holds its chunk durably. */
  async finish(): Promise<WrittenFile> {
    // Wait for every chunk even when one fails, so no chunk is still being committed on its node
    // when the caller cleans up (it would be left behind until the orphan sweep).
    const results = await Promise.allSettled(this.senders.map((s) => s.finish()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const sent = results.map((r) => (r as PromiseFulfilledResult<SentChunk>).value);
    const expected = chunkSizes(this.offset, this.layout);
    sent.forEach((c, i) => {
      if (c.size !== expected[i]) throw new Error(`chunk ${i} has ${c.size} bytes, the layout says ${expected[i]}`);
    });
    return {
      size: this.offset,
      checksum: this.hash.digest('hex'),
      chunks: sent.map((c, chunkNumber) => ({ chunkNumber, size: c.size, checksum: c.checksum })),
    };
  }

  abort(): void {
    for (const s of this.senders) s.abort();
  }
}
