// Where a chunk being written goes: its temporary file, written front to back, then given its
// header at offset 0 and made durable. Two kinds: through the page cache (any file system), or with
// O_DIRECT through an aligned staging slab (direct-io.ts says why), when the disk allows it and a
// slab is free.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { ALIGN, alignUp, type SlabPool, STAGE_BYTES } from './direct-io.js';
import { HEADER_BYTES } from './chunk-header.js';
import { timedFsync } from './node-metrics.js';

/** How often (in bytes written) a buffered write starts flushing to disk while more data arrives. */
const FLUSH_INTERVAL = 32 * 1024 * 1024;

export interface ChunkOutput {
  /** Appends bytes after those written so far (the first go right after the header's room). */
  append(data: Buffer): Promise<void>;
  /** Writes the header (HEADER_BYTES) at offset 0, makes the file durable and closes it. */
  finish(header: Buffer): Promise<void>;
  /** Closes without finishing (the caller removes the file); safe to call more than once. */
  close(): Promise<void>;
}

async function writeFully(fh: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let offset = 0; offset < data.length; ) {
    const { bytesWritten } = await fh.write(data, offset, data.length - offset, position + offset);
    offset += bytesWritten;
  }
}

/** Creates the temporary file at `path` (which must not exist) and its output. */
export async function createChunkOutput(path: string, slabs: SlabPool | null): Promise<ChunkOutput> {
  const slab = slabs?.take();
  if (slabs && slab) {
    try {
      const fh = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR | constants.O_DIRECT, 0o644);
      return new DirectOutput(fh, slab, slabs);
    } catch (err) {
      slabs.give(slab);
      throw err;
    }
  }
  const fh = await open(path, 'wx');
  try {
    await writeFully(fh, Buffer.alloc(HEADER_BYTES), 0);
  } catch (err) {
    await fh.close();
    throw err;
  }
  return new BufferedOutput(fh);
}

/**
 * Through the page cache. Every FLUSH_INTERVAL bytes a datasync starts in the background, so that
 * the one in finish() finds little left to write instead of the whole chunk.
 */
class BufferedOutput implements ChunkOutput {
  private position = HEADER_BYTES;
  private sinceFlush = 0;
  private flushing: Promise<void> | undefined;
  private flushError: unknown;
  private closed: Promise<void> | undefined;

  constructor(private readonly fh: FileHandle) {}

  async append(data: Buffer): Promise<void> {
    const at = this.position;
    this.position += data.length;
    await writeFully(this.fh, data, at);
    this.sinceFlush += data.length;
    if (this.sinceFlush >= FLUSH_INTERVAL && !this.flushing) {
      this.sinceFlush = 0;
      this.flushing = this.fh
        .datasync()
        .catch((err: unknown) => {
          this.flushError ??= err; // reported by finish(): a later fsync may not see it again
        })
        .finally(() => {
          this.flushing = undefined;
        });
    }
  }

  async finish(header: Buffer): Promise<void> {
    await writeFully(this.fh, header, 0);
    await this.flushing;
    if (this.flushError !== undefined) throw this.flushError;
    await timedFsync('file', () => this.fh.datasync());
    await this.close();
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.flushing;
      await this.fh.close();
    })();
    return this.closed;
  }
}

/**
 * With O_DIRECT: bytes gather in an aligned slab of STAGE_BYTES that goes to the disk whenever it
 * is full, at an aligned offset. The last slab is written padded to the alignment and the file is
 * then cut to its length; the header's block is read back, given the header and written again.
 */
class DirectOutput implements ChunkOutput {
  /** File offset of slab[0]; a multiple of STAGE_BYTES. */
  private slabOffset = 0;
  /** Bytes of the slab in use; the first slab starts with the header's room, zeroed. */
  private fill = HEADER_BYTES;
  /** The write or read in flight, settled either way. */
  private inFlight: Promise<void> | undefined;
  /** Set as soon as close() is called: from then on the slab is not touched again. */
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly fh: FileHandle,
    private readonly slab: Buffer,
    private readonly slabs: SlabPool,
  ) {
    slab.fill(0, 0, HEADER_BYTES);
  }

  async append(data: Buffer): Promise<void> {
    for (let at = 0; at < data.length; ) {
      this.assertOpen();
      const n = data.copy(this.slab, this.fill, at, Math.min(data.length, at + STAGE_BYTES - this.fill));
      this.fill += n;
      at += n;
      if (this.fill === STAGE_BYTES) {
        await this.track(writeFully(this.fh, this.slab.subarray(0, STAGE_BYTES), this.slabOffset));
        this.slabOffset += STAGE_BYTES;
        this.fill = 0;
      }
    }
  }

  async finish(header: Buffer): Promise<void> {
    this.assertOpen();
    const length = this.slabOffset + this.fill;
    if (this.slabOffset === 0) header.copy(this.slab, 0);
    if (this.fill > 0) {
      const padded = alignUp(this.fill);
      this.slab.fill(0, this.fill, padded);
      await this.track(writeFully(this.fh, this.slab.subarray(0, padded), this.slabOffset));
    }
    if (this.slabOffset > 0) {
      // The first block went to the disk long ago, with the header's room zeroed.
      this.assertOpen();
      const first = this.slab.subarray(0, ALIGN);
      const { bytesRead } = await this.track(this.fh.read(first, 0, ALIGN, 0));
      if (bytesRead !== ALIGN) throw new Error(`the first ${ALIGN} bytes of a chunk being written read back as ${bytesRead}`);
      this.assertOpen();
      header.copy(first, 0);
      await this.track(writeFully(this.fh, first, 0));
    }
    if (length % ALIGN !== 0) await this.fh.truncate(length);
    await timedFsync('file', () => this.fh.datasync());
    await this.close();
  }

  close(): Promise<void> {
    this.closing = true;
    this.closed ??= (async () => {
      // The slab goes back only once no write or read is still using it.
      await this.inFlight;
      this.slabs.give(this.slab);
      await this.fh.close();
    })();
    return this.closed;
  }

  /** An append or finish resumed after close() (a cancelled call) stops before touching the slab. */
  private assertOpen(): void {
    if (this.closing) throw new Error('the chunk output was closed while data was still being written');
  }

  private track<T>(op: Promise<T>): Promise<T> {
    this.inFlight = op.then(
      () => undefined,
      () => undefined,
    );
    return op;
  }
}
