// Reads file bytes [start, end) from a file's chunks and hands them to a sink in file order.
//
// Healthy files are read directly: the data chunks only, in parallel, nothing decoded. When a chunk
// cannot be read (its node is down, refuses, stalls, or serves a corrupt block), the reader records
// the fault and goes on from the same byte in decode mode: per stripe it reads any k of the k + m
// units and rebuilds the missing data units with Reed-Solomon. The client sees neither.
//
// Memory stays bounded: each chunk stream holds a message or two (gRPC flow control holds the rest),
// and decode mode reuses two stripe buffers, waiting for the sink to release one before refilling it.
import type { NodeAccess } from '../cluster/node-registry.js';
import type { ChunkRow } from '../metadata/metadata.js';
import { ChunkReadError, ChunkReader, type ReadFault } from './chunk-reader.js';
import type { ErasureCoder } from './erasure-code.js';
import { chooseReadSources } from './read-sources.js';
import { StorageUnavailable } from './storage-unavailable.js';
import {
  chunkBytesBefore,
  chunkLength,
  parityOf,
  piecesFor,
  stripeBytes,
  unitLength,
  type StripeLayout,
} from './stripe-layout.js';

export interface StoredFile {
  id: string;
  size: number;
  stripe_unit: number;
  stripe_width: number;
  parity_width: number;
}

/** Takes bytes in file order; resolves once the buffer may be reused (written out or copied). */
export type Sink = (bytes: Buffer) => Promise<void>;

export interface ReadOptions {
  access: NodeAccess;
  coder: (k: number, m: number) => ErasureCoder;
  stallMs: number;
  onFault: (chunk: ChunkRow, fault: ReadFault, message: string) => void;
  /** Once per read that goes to decode mode (a data chunk it needs cannot be read directly). */
  onDegraded?: () => void;
  /** For each stripe whose missing data units were rebuilt. */
  onStripeRebuilt?: () => void;
}

export async function readFileRange(
  file: StoredFile,
  chunks: ChunkRow[],
  start: number,
  end: number,
  sink: Sink,
  options: ReadOptions,
): Promise<void> {
  if (start >= end) return;
  const reader = new StripeReader(file, chunks, options);
  await reader.read(start, end, sink);
}

class StripeReader {
  private readonly layout: StripeLayout;
  private readonly byNumber = new Map<number, ChunkRow>();
  private readonly failed = new Set<number>(); // chunk numbers that failed during this read
  private readonly open: { reader: ChunkReader; nodeId: number }[] = [];
  private degraded = false;

  constructor(
    private readonly file: StoredFile,
    chunks: ChunkRow[],
    private readonly options: ReadOptions,
  ) {
    this.layout = { unit: file.stripe_unit, width: file.stripe_width, parity: file.parity_width };
    for (const c of chunks) this.byNumber.set(c.chunk_number, c);
  }

  /**
   * Can chunk `n` be asked for its bytes now? With `evenIfBreakerOpen`, a node whose circuit breaker
   * is open still counts: when no other chunk can stand in, trying it beats a 503.
   */
  private usable(n: number, evenIfBreakerOpen = false): boolean {
    const row = this.byNumber.get(n);
    return (
      !!row &&
      row.state === 'ok' &&
      row.node_id !== null &&
      row.address !== null &&
      !this.failed.has(n) &&
      (evenIfBreakerOpen || this.options.access.isAvailable(row.node_id))
    );
  }

  private openReader(n: number, offset: number, length: number): ChunkReader {
    const row = this.byNumber.get(n)!;
    const reader = new ChunkReader(
      this.options.access.clientFor(row.node_id!, row.address!),
      row.chunk_id,
      offset,
      length,
      this.options.stallMs,
    );
    this.open.push({ reader, nodeId: row.node_id! });
    this.options.access.readStarted(row.node_id!);
    return reader;
  }

  private closeAll(): void {
    for (const { reader, nodeId } of this.open.splice(0)) {
      reader.cancel();
      this.options.access.readEnded(nodeId);
    }
  }

  /** Notes a failed chunk (the healer will look at it) and whether its node is to blame. */
  private chunkFailed(n: number, err: ChunkReadError): void {
    this.failed.add(n);
    const row = this.byNumber.get(n)!;
    if (err.fault !== 'corrupt') this.options.access.callFailed(err.nodeId, err);
    this.options.onFault(row, err.fault, err.message);
  }

  async read(start: number, end: number, sink: Sink): Promise<void> {
    let position = start;
    const progress = (p: number): void => {
      position = p;
    };
    // Each failure takes one chunk out for the rest of this read, so this ends after at most k + m rounds.
    for (;;) {
      try {
        if (this.directPossible(position, end)) await this.readDirect(position, end, sink, progress);
        else await this.readDecoded(position, end, sink, progress);
        return;
      } catch (err) {
        if (!(err instanceof ChunkFailed)) throw err;
        this.chunkFailed(err.chunk, err.cause);
      } finally {
        this.closeAll();
      }
    }
  }

  private neededDataChunks(from: number, end: number): { chunk: number; offset: number; length: number }[] {
    const ranges = [];
    for (let chunk = 0; chunk < this.layout.width; chunk++) {
      const offset = chunkBytesBefore(from, chunk, this.layout);
      const length = chunkBytesBefore(end, chunk, this.layout) - offset;
      if (length > 0) ranges.push({ chunk, offset, length });
    }
    return ranges;
  }

  private directPossible(from: number, end: number): boolean {
    return this.neededDataChunks(from, end).every((r) => this.usable(r.chunk));
  }

  /** The healthy path: data chunks only, slices handed on as they arrive (no copy, no decoding). */
  private async readDirect(from: number, end: number, sink: Sink, progress: (p: number) => void): Promise<void> {
    const readers = new Map<number, ChunkReader>();
    for (const r of this.neededDataChunks(from, end)) readers.set(r.chunk, this.openReader(r.chunk, r.offset, r.length));
    let position = from;
    for (const piece of piecesFor(from, end, this.layout)) {
      const reader = readers.get(piece.chunk)!;
      for (let left = piece.length; left > 0; ) {
        const bytes = await guarded(piece.chunk, () => reader.read(left));
        await sink(bytes);
        left -= bytes.length;
        position += bytes.length;
        progress(position);
      }
    }
  }

  /** k chunks to read stripes from: data chunks first, then parity; throws when fewer than k answer. */
  private chooseSources(): number[] {
    const { width: k } = this.layout;
    const m = parityOf(this.layout);
    const candidates = (evenIfBreakerOpen: boolean) =>
      Array.from({ length: k + m }, (_, n) => {
        const row = this.byNumber.get(n);
        return {
          chunk: n,
          present: n >= k || !!row,
          usable: this.usable(n, evenIfBreakerOpen),
          busy: row?.node_id != null ? this.options.access.activeReads(row.node_id) : 0,
        };
      });
    let { sources, lost } = chooseReadSources(k, candidates(false));
    if (sources.length < k) ({ sources, lost } = chooseReadSources(k, candidates(true)));
    if (sources.length < k) {
      throw new StorageUnavailable(
        `file ${this.file.id}: chunks ${lost.join(', ')} cannot be read (node down, stalled, corrupt or missing); ` +
          `${k} of its ${k + m} chunks are needed per stripe, ${sources.length} are readable`,
      );
    }
    return sources;
  }

  /** Degraded path: whole stripes from any k chunks, missing data units rebuilt. */
  private async readDecoded(from: number, end: number, sink: Sink, progress: (p: number) => void): Promise<void> {
    const { unit, width: k } = this.layout;
    const m = parityOf(this.layout);
    const size = this.file.size;
    if (!this.degraded) {
      this.degraded = true;
      this.options.onDegraded?.();
    }
    const sources = this.chooseSources();
    const firstStripe = Math.floor(from / stripeBytes(this.layout));
    const lastStripe = Math.floor((end - 1) / stripeBytes(this.layout));
    const readers = new Map<number, ChunkReader>();
    for (const n of sources) {
      if (!this.byNumber.has(n)) continue;
      const offset = firstStripe * unit;
      const until = Math.min(chunkLength(size, n, this.layout), (lastStripe + 1) * unit);
      if (until > offset) readers.set(n, this.openReader(n, offset, until - offset)); // else no unit in these stripes
    }
    const coder = this.options.coder(k, m);
    // Two data buffers: one may still be with the sink while the next stripe is assembled.
    const dataBuffers = [Buffer.allocUnsafe(k * unit), Buffer.allocUnsafe(k * unit)];
    const released: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
    const parity = Buffer.allocUnsafe(Math.max(1, m) * unit);
    let position = from;
    try {
      for (let s = firstStripe; s <= lastStripe; s++) {
        const slot = s % 2;
        await released[slot];
        const data = dataBuffers[slot]!;
        const shard = unitLength(size, s, 0, this.layout); // every unit of the stripe is coded at this length
        const missing: number[] = [];
        for (let n = 0; n < k + m; n++) {
          const target = n < k ? data : parity;
          const at = (n < k ? n : n - k) * shard;
          const length = n < k ? unitLength(size, s, n, this.layout) : shard;
          if (sources.includes(n) && readers.has(n)) {
            await guarded(n, () => readers.get(n)!.readInto(target, at, length));
            target.fill(0, at + length, at + shard);
          } else if (n < k && length === 0) {
            target.fill(0, at, at + shard); // past the end of the file: zeros
          } else if (!sources.includes(n)) {
            missing.push(n);
          } else {
            target.fill(0, at, at + shard); // a data chunk the file never had
          }
        }
        const wantedData = missing.filter((n) => n < k && unitLength(size, s, n, this.layout) > 0);
        if (wantedData.length > 0) {
          await coder.reconstruct(data.subarray(0, k * shard), parity.subarray(0, m * shard), shard, missing);
          this.options.onStripeRebuilt?.();
        }
        const stripeStart = s * stripeBytes(this.layout);
        const stripeLength = Math.min(stripeBytes(this.layout), size - stripeStart);
        const from_ = Math.max(position, stripeStart) - stripeStart;
        const to = Math.min(end, stripeStart + stripeLength) - stripeStart;
        released[slot] = sink(data.subarray(from_, to));
        await released[slot === 0 ? 1 : 0]; // keep at most one stripe with the sink besides the new one
        position = stripeStart + to;
        progress(position);
      }
      await Promise.all(released);
    } catch (err) {
      await Promise.allSettled(released);
      throw err;
    }
  }
}

/** A chunk failed mid-read: the caller takes it out and goes on from the same byte. */
class ChunkFailed extends Error {
  constructor(
    readonly chunk: number,
    override readonly cause: ChunkReadError,
  ) {
    super(cause.message);
  }
}

async function guarded<T>(chunk: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ChunkReadError) throw new ChunkFailed(chunk, err);
    throw err;
  }
}
