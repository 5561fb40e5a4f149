// Chunks on local disk: written to a temporary file while hashed, fsynced, then renamed into place,
// so a reader sees the old chunk or the new one and never a partial or mixed file.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { ChunkError } from './chunk-errors.js';
import { chunkIdProblem, chunkRelativePath } from './chunk-id.js';
import { decodeHeader, encodeHeader, HEADER_BYTES, type ChunkHeader } from './chunk-header.js';
import { diskSpace, type DiskSpace } from './disk-space.js';
import { KeyedLock } from './keyed-lock.js';

const MiB = 1024 * 1024;
/** How often (in bytes written) a long write re-checks the free space. */
const SPACE_CHECK_INTERVAL = 64 * MiB;
/** How often (in bytes written) a long write starts flushing to disk while more data arrives. */
const FLUSH_INTERVAL = 32 * MiB;

export interface StoredChunk {
  chunkId: string;
  size: number;
  checksum: string;
}

export interface ListedChunk {
  chunkId: string;
  size: number;
  modifiedAtMs: number;
}

export interface StoreUsage extends DiskSpace {
  used: number;
  chunks: number;
  reserve: number;
  writable: boolean;
}

export function assertValidChunkId(id: string): void {
  const problem = chunkIdProblem(id);
  if (problem) throw new ChunkError('INVALID_ARGUMENT', problem);
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class ChunkStore {
  private readonly chunksDir: string;
  private readonly tmpDir: string;
  private readonly lock = new KeyedLock();
  private usedBytes = 0;
  private chunkCount = 0;

  constructor(
    readonly dataDir: string,
    readonly reserveBytes: number,
  ) {
    this.chunksDir = join(dataDir, 'chunks');
    this.tmpDir = join(dataDir, 'tmp');
  }

  /** Creates the folders, drops temporary files left by a crash and counts what is stored. */
  async init(): Promise<void> {
    await mkdir(this.chunksDir, { recursive: true });
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    for await (const chunk of this.list()) {
      this.usedBytes += chunk.size;
      this.chunkCount += 1;
    }
  }

  async usage(): Promise<StoreUsage> {
    const space = await diskSpace(this.dataDir);
    return {
      ...space,
      used: this.usedBytes,
      chunks: this.chunkCount,
      reserve: this.reserveBytes,
      writable: space.available >= this.reserveBytes,
    };
  }

  private async assertSpaceFor(pendingBytes: number): Promise<void> {
    const { available } = await diskSpace(this.dataDir);
    if (available - pendingBytes < this.reserveBytes) {
      throw new ChunkError(
        'RESOURCE_EXHAUSTED',
        `only ${available} bytes free on the node's disk, under the reserve of ${this.reserveBytes}`,
      );
    }
  }

  private pathOf(id: string): string {
    return join(this.dataDir, chunkRelativePath(id));
  }

  /** Starts writing chunk `id`; nothing is visible until `commit`. */
  async createWriter(id: string): Promise<ChunkWriter> {
    assertValidChunkId(id);
    await this.assertSpaceFor(0);
    const tmpPath = join(this.tmpDir, `${randomUUID()}.part`);
    const fh = await open(tmpPath, 'wx');
    try {
      await fh.write(Buffer.alloc(HEADER_BYTES), 0, HEADER_BYTES, 0);
    } catch (err) {
      await fh.close();
      await rm(tmpPath, { force: true });
      throw err;
    }
    return new ChunkWriter(id, tmpPath, fh, this);
  }

  /** Moves a finished temporary file into place (called by ChunkWriter.commit). */
  async install(id: string, tmpPath: string, size: number): Promise<void> {
    const finalPath = this.pathOf(id);
    const dir = dirname(finalPath);
    const created = await mkdir(dir, { recursive: true });
    if (created) {
      // New shard folders must survive a crash too: sync each parent that gained an entry.
      await fsyncDir(dirname(dir));
      await fsyncDir(this.chunksDir);
    }
    await this.lock.run(id, async () => {
      const previous = await this.sizeOnDisk(finalPath);
      await rename(tmpPath, finalPath);
      await fsyncDir(dir);
      this.usedBytes += size - (previous ?? 0);
      if (previous === null) this.chunkCount += 1;
    });
  }

  private async sizeOnDisk(path: string): Promise<number | null> {
    try {
      return (await stat(path)).size - HEADER_BYTES;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Re-checked during long writes so a chunk cannot fill the disk past the reserve. */
  async checkSpace(): Promise<void> {
    await this.assertSpaceFor(0);
  }

  private async openChunk(id: string): Promise<{ fh: FileHandle; header: ChunkHeader }> {
    assertValidChunkId(id);
    let fh: FileHandle;
    try {
      fh = await open(this.pathOf(id), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ChunkError('NOT_FOUND', `chunk ${id} not found`);
      throw err;
    }
    const buf = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEADER_BYTES, 0);
    const header = bytesRead === HEADER_BYTES ? decodeHeader(buf) : null;
    if (!header) {
      await fh.close();
      throw new ChunkError('DATA_LOSS', `chunk ${id} has a damaged header`);
    }
    return { fh, header };
  }

  async stat(id: string): Promise<StoredChunk> {
    const { fh, header } = await this.openChunk(id);
    await fh.close();
    return { chunkId: id, size: header.size, checksum: header.checksum };
  }

  /**
   * A stream of the chunk's bytes [offset, offset + length). The file is opened before this
   * returns, so a concurrent replacement cannot change what the stream delivers.
   */
  async read(id: string, offset = 0, length?: number): Promise<{ stream: Readable; size: number; length: number }> {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new ChunkError('INVALID_ARGUMENT', `offset ${offset} is negative`);
    if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
      throw new ChunkError('INVALID_ARGUMENT', `length ${length} is negative`);
    }
    const { fh, header } = await this.openChunk(id);
    const want = length ?? header.size - offset;
    if (offset > header.size || offset + want > header.size) {
      await fh.close();
      throw new ChunkError(
        'OUT_OF_RANGE',
        `range offset=${offset} length=${want} is past the end of chunk ${id} (${header.size} bytes)`,
      );
    }
    if (want === 0) {
      // createReadStream cannot express an empty range (its `end` is inclusive).
      await fh.close();
      return { stream: Readable.from([]), size: header.size, length: 0 };
    }
    const stream = createReadStream('', {
      fd: fh,
      start: HEADER_BYTES + offset,
      end: HEADER_BYTES + offset + want - 1,
      highWaterMark: MiB,
      autoClose: true,
    });
    return { stream, size: header.size, length: want };
  }

  async delete(id: string): Promise<void> {
    assertValidChunkId(id);
    const path = this.pathOf(id);
    await this.lock.run(id, async () => {
      const size = await this.sizeOnDisk(path);
      if (size === null) throw new ChunkError('NOT_FOUND', `chunk ${id} not found`);
      try {
        await unlink(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ChunkError('NOT_FOUND', `chunk ${id} not found`);
        throw err;
      }
      await fsyncDir(dirname(path));
      this.usedBytes -= size;
      this.chunkCount -= 1;
    });
  }

  /** Every stored chunk, walking the shard folders one at a time (memory stays small). */
  async *list(): AsyncGenerator<ListedChunk> {
    for (const a of await readdir(this.chunksDir)) {
      const dirA = join(this.chunksDir, a);
      for (const b of await readdirIfExists(dirA)) {
        const dirB = join(dirA, b);
        for (const name of await readdirIfExists(dirB)) {
          if (chunkIdProblem(name)) continue;
          try {
            const s = await stat(join(dirB, name));
            yield { chunkId: name, size: Math.max(0, s.size - HEADER_BYTES), modifiedAtMs: Math.floor(s.mtimeMs) };
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // deleted while listing
          }
        }
      }
    }
  }
}

async function readdirIfExists(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
}

/** One chunk being written: hashes and writes as data arrives; commit or abort ends it. */
export class ChunkWriter {
  private readonly hash: Hash = createHash('sha256');
  private position = HEADER_BYTES;
  private sinceSpaceCheck = 0;
  private sinceFlush = 0;
  private flushing: Promise<void> | undefined;
  private flushError: unknown;
  private done = false;

  constructor(
    readonly chunkId: string,
    private readonly tmpPath: string,
    private readonly fh: FileHandle,
    private readonly store: ChunkStore,
  ) {}

  get size(): number {
    return this.position - HEADER_BYTES;
  }

  async write(data: Buffer): Promise<void> {
    if (data.length === 0) return;
    // The write runs on libuv's thread pool while this thread hashes the same bytes.
    const written = this.writeAt(data, this.position);
    this.position += data.length;
    this.hash.update(data);
    await written;
    this.sinceSpaceCheck += data.length;
    if (this.sinceSpaceCheck >= SPACE_CHECK_INTERVAL) {
      this.sinceSpaceCheck = 0;
      await this.store.checkSpace();
    }
    this.sinceFlush += data.length;
    if (this.sinceFlush >= FLUSH_INTERVAL && !this.flushing) {
      // Write back what the page cache holds while the caller sends more, so that the fsync in
      // commit() finds little left to write instead of the whole chunk.
      this.sinceFlush = 0;
      this.flushing = this.fh
        .datasync()
        .catch((err: unknown) => {
          this.flushError ??= err; // reported by commit(): a later fsync may not see it again
        })
        .finally(() => {
          this.flushing = undefined;
        });
    }
  }

  private async writeAt(data: Buffer, position: number): Promise<void> {
    for (let offset = 0; offset < data.length; ) {
      const { bytesWritten } = await this.fh.write(data, offset, data.length - offset, position + offset);
      offset += bytesWritten;
    }
  }

  /**
   * Verifies the checksum (when given), makes the data durable and puts it in place, unless
   * `stillWanted` says by then that the caller has gone (its cancel may arrive just after the
   * end of its stream).
   */
  async commit(expectedChecksum?: string, stillWanted: () => boolean = () => true): Promise<StoredChunk> {
    const checksum = this.hash.digest('hex');
    try {
      if (expectedChecksum !== undefined && expectedChecksum !== checksum) {
        throw new ChunkError(
          'DATA_LOSS',
          `checksum mismatch for chunk ${this.chunkId}: caller sent ${expectedChecksum}, data hashes to ${checksum}`,
        );
      }
      const size = this.size;
      await this.fh.write(encodeHeader({ checksum, size }), 0, HEADER_BYTES, 0);
      await this.flushing;
      if (this.flushError !== undefined) throw this.flushError;
      await this.fh.datasync();
      await this.fh.close();
      this.done = true;
      if (!stillWanted()) throw new ChunkError('CANCELLED', `the caller cancelled chunk ${this.chunkId} before it was stored`);
      await this.store.install(this.chunkId, this.tmpPath, size);
      return { chunkId: this.chunkId, size, checksum };
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Drops the temporary file; safe to call more than once. */
  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.flushing;
      await this.fh.close().catch(() => undefined);
    }
    await rm(this.tmpPath, { force: true });
  }
}
