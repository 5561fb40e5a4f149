// A download from metadata to bytes: reads the range through the stripe reader and records what it
// found wrong with a chunk, and queues it for the healer.
import type { NodeAccess } from '../cluster/node-registry.js';
import type { ChunkRow, FileRow, Metadata } from '../metadata/metadata.js';
import type { ErasureCoder } from '../data/erasure-code.js';
import { readFileRange, type Sink } from '../data/stripe-reader.js';
import type { HealRequests } from '../cluster/healer.js';
import type { ForegroundActivity } from './foreground-activity.js';
import { StorageUnavailable } from '../data/storage-unavailable.js';
import { bytesDownloaded, downloadStarted } from '../metrics/http-metrics.js';
import { degradedRead, readFault, stripeReconstructed } from '../metrics/repair-metrics.js';
import { log } from '../../proto/log.js';

export class DownloadService {
  constructor(
    private readonly metadata: Metadata,
    private readonly access: NodeAccess,
    private readonly coder: (k: number, m: number) => ErasureCoder,
    private readonly stallMs: number,
    private readonly heals: HealRequests,
    private readonly activity: ForegroundActivity,
    /** Told of a read that found too few readable chunks (alerts); must return at once. */
    private readonly onUnreadable: (fileId: string, message: string) => void = () => undefined,
  ) {}

  async read(file: FileRow, chunks: ChunkRow[], start: number, end: number, sink: Sink): Promise<void> {
    const ended = downloadStarted();
    const counted: Sink = (bytes) => {
      bytesDownloaded(bytes.length);
      return sink(bytes);
    };
    try {
      await this.activity.during(() => this.readRange(file, chunks, start, end, counted));
    } catch (err) {
      if (err instanceof StorageUnavailable) this.onUnreadable(file.id, err.message);
      throw err;
    } finally {
      ended();
    }
  }

  private readRange(file: FileRow, chunks: ChunkRow[], start: number, end: number, sink: Sink): Promise<void> {
    return readFileRange(file, chunks, start, end, sink, {
      access: this.access,
      coder: this.coder,
      stallMs: this.stallMs,
      onDegraded: degradedRead,
      onStripeRebuilt: stripeReconstructed,
      onFault: (chunk, fault, message) => {
        readFault(fault);
        log.warn(`degraded read of ${file.id}: ${message} (${fault})`, { fileId: file.id });
        void this.metadata.recordChunkFault(file.id, chunk.chunk_number, chunk.node_id, `${fault}: ${message}`).catch(() => undefined);
        this.heals.request(file.id, [chunk.chunk_number], `degraded read: ${fault}`);
      },
    });
  }
}
