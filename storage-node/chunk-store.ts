// Chunks on local disk: written to a temporary file while hashed (SHA-256 and block checksums),
// fsynced, then renamed into place, so a reader sees the old chunk or the new one and never a
// partial or mixed file. Reads verify every block against its stored checksum (block-reader.ts).
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BLOCK_SIZE, CHECKSUM_BYTES } from '../proto/block-checksums.js';
import { BlockTable } from './block-table.js';
import { createChunkOutput, type ChunkOutput } from './chunk-output.js';
import { DIRECT_READ_MIN_BYTES, directIoWorks, openDirectForReading, SlabPool } from './direct-io.js';
import { readVerifiedBlocks, verifyAllBlocks, type BlockVerification, type ChunkMessage, type OpenChunk } from './block-reader.js';
import { ChunkError } from './chunk-errors.js';
import { chunkIdProblem, chunkRelativePath } from './chunk-id.js';
import { dataBytesOfDamaged, decodeHeader, encodeHeader, fileBytes, HEADER_BYTES, type ChunkHeader } from './chunk-header.js';
import { diskSpace, type DiskSpace } from './disk-space.js';
import { KeyedLock } from './keyed-lock.js';
import { bytesWritten, timedFsync } from './node-metrics.js';

const MiB = 1024 * 1024;
/** How often (in bytes written) a long write re-checks the free space. */
const SPACE_CHECK_INTERVAL = 64 * MiB;

export interface StoredChunk {
  chunkId: string;
  size: number;
  checksum: string; // '' when the writer skipped the SHA-256
}

/** An open chunk being read: its messages, and close() for a caller that stops early. */
export interface ChunkReading {
  size: number;
  length: number;
  messages: AsyncGenerator<ChunkMessage>;
  close(): Promise<void>;
}

export interface ListedChunk {
  chunkId: string;
  size: number;
  modifiedAtMs: number;
}

/** What VerifyChunk answers (see storage.proto). */
export interface ChunkVerification {
  exists: boolean;
  size: number;
  ok: boolean;
  badBlocks: number[];
  error: string;
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
    await timedFsync('directory', () => fh.sync());
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
  /** Aligned slabs for direct I/O of chunk data; null: through the page cache (see direct-io.ts). */
  private slabs: SlabPool | null = null;

  constructor(
    readonly dataDir: string,
    readonly reserveBytes: number,
    private readonly options: { directIo: boolean } = { directIo: true },
  ) {
    this.chunksDir = join(dataDir, 'chunks');
    this.tmpDir = join(dataDir, 'tmp');
  }

  /**
   * Creates the folders, drops temporary files left by a crash, finds out whether the disk takes
   * direct I/O and counts what is stored.
   */
  async init(): Promise<void> {
    await mkdir(this.chunksDir, { recursive: true });
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    if (this.options.directIo) {
      const slabs = new SlabPool();
      this.slabs = (await directIoWorks(this.tmpDir, slabs)) ? slabs : null;
    }
    for await (const chunk of this.list()) {
      this.usedBytes += chunk.size;
      this.chunkCount += 1;
    }
  }

  /** Whether chunk data goes to and from the disk with O_DIRECT (known after init). */
  get directIo(): boolean {
    return this.slabs !== null;
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

  /**
   * Starts writing chunk `id`; nothing is visible until `commit`. Without `sha256` the writer
   * computes only block checksums (see ChunkWriter.requireSha256).
   */
  async createWriter(id: string, options: { sha256: boolean } = { sha256: true }): Promise<ChunkWriter> {
    assertValidChunkId(id);
    await this.assertSpaceFor(0);
    const tmpPath = join(this.tmpDir, `${randomUUID()}.part`);
    let output: ChunkOutput;
    try {
      output = await createChunkOutput(tmpPath, this.slabs);
    } catch (err) {
      await rm(tmpPath, { force: true });
      throw err;
    }
    return new ChunkWriter(id, tmpPath, output, this, options.sha256);
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

  /** Bytes of data of the chunk file at `path` (from its header), or null when there is none. */
  private async sizeOnDisk(path: string): Promise<number | null> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return await dataBytes(fh);
    } finally {
      await fh.close();
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
    try {
      return { fh, header: await readChunkFile(fh, id, { checkLength: true }) };
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async stat(id: string): Promise<StoredChunk> {
    const { fh, header } = await this.openChunk(id);
    await fh.close();
    return { chunkId: id, size: header.size, checksum: header.checksum };
  }

  /**
   * The chunk's bytes [offset, offset + length) as GetChunk messages, every block verified against
   * its stored checksum as it is read (see block-reader.ts for `withBlockChecksums`). The file is
   * opened before this returns, so a concurrent replacement cannot change what is delivered.
   */
  async read(id: string, offset = 0, length?: number, withBlockChecksums = false): Promise<ChunkReading> {
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
    let direct: OpenChunk['direct'];
    try {
      direct = await this.reopenDirect(this.pathOf(id), fh, header.size);
    } catch (err) {
      await fh.close();
      throw err;
    }
    let closed: Promise<void> | undefined;
    const close = (): Promise<void> => (closed ??= Promise.all([fh.close(), direct?.fh.close()]).then(() => undefined));
    async function* messages(): AsyncGenerator<ChunkMessage> {
      try {
        yield* readVerifiedBlocks({ chunkId: id, fh, header, direct }, offset, want, withBlockChecksums);
      } finally {
        await close();
      }
    }
    return { size: header.size, length: want, messages: messages(), close };
  }

  /**
   * The file open as `fh`, opened again with O_DIRECT for its data; undefined when direct I/O is
   * off, the chunk is small (DIRECT_READ_MIN_BYTES) or `path` names another file by now (a chunk
   * replaced in between is read through the page cache, from the file first opened).
   */
  private async reopenDirect(path: string, fh: FileHandle, size: number): Promise<OpenChunk['direct']> {
    if (!this.slabs || size < DIRECT_READ_MIN_BYTES) return undefined;
    let direct: FileHandle;
    try {
      direct = await openDirectForReading(path);
    } catch {
      return undefined;
    }
    try {
      const [a, b] = await Promise.all([fh.stat(), direct.stat()]);
      if (a.ino === b.ino && a.dev === b.dev) return { fh: direct, slabs: this.slabs };
    } catch {
      // fall through: read without direct I/O
    }
    await direct.close();
    return undefined;
  }

  /**
   * Checks a stored chunk in place: its header, its length, and every block against its stored
   * checksum (format 1: the SHA-256 of its data against the header's). Damage is reported in the
   * result, not thrown; an unknown id is `exists: false`.
   */
  async verify(id: string): Promise<ChunkVerification> {
    assertValidChunkId(id);
    let fh: FileHandle;
    try {
      fh = await open(this.pathOf(id), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, size: 0, ok: false, badBlocks: [], error: '' };
      throw err;
    }
    try {
      const header = decodeHeader(await readHeaderBytes(fh));
      if (!header) return { exists: true, size: 0, ok: false, badBlocks: [], error: `chunk ${id} has a damaged header` };
      const actual = (await fh.stat()).size;
      if (actual !== fileBytes(header)) {
        const error = `chunk ${id} is damaged: ${actual} bytes on disk, its header says ${fileBytes(header)}`;
        return { exists: true, size: header.size, ok: false, badBlocks: [], error };
      }
      const direct = await this.reopenDirect(this.pathOf(id), fh, header.size);
      let found: BlockVerification;
      try {
        found = await verifyAllBlocks({ chunkId: id, fh, header, direct });
      } finally {
        await direct?.fh.close();
      }
      if (found.badBlocks.length > 0) {
        const error = `chunk ${id} is corrupt: ${found.badBlocks.length} block(s) do not match their stored checksums (first: block ${found.badBlocks[0]})`;
        return { exists: true, size: header.size, ok: false, badBlocks: found.badBlocks, error };
      }
      if (found.sha256 !== null && found.sha256 !== header.checksum) {
        const error = `chunk ${id} is corrupt: its data hashes to ${found.sha256}, its header says ${header.checksum}`;
        return { exists: true, size: header.size, ok: false, badBlocks: [], error };
      }
      return { exists: true, size: header.size, ok: true, badBlocks: [], error: '' };
    } catch (err) {
      // A file that shrinks while it is read is damage, not a failure of the call.
      if (err instanceof ChunkError && err.code === 'DATA_LOSS') return { exists: true, size: 0, ok: false, badBlocks: [], error: err.message };
      throw err;
    } finally {
      await fh.close();
    }
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
          const listed = await listOne(join(dirB, name), name);
          if (listed) yield listed;
        }
      }
    }
  }
}

async function readHeaderBytes(fh: FileHandle): Promise<Buffer> {
  const buf = Buffer.alloc(HEADER_BYTES);
  const { bytesRead } = await fh.read(buf, 0, HEADER_BYTES, 0);
  return buf.subarray(0, bytesRead);
}

/**
 * The header of an open chunk file. The data size is in the header only (the file also holds the
 * block checksum table, whose length depends on the format), hence a read instead of a stat.
 * With `checkLength`, a file whose length does not match its header is DATA_LOSS too.
 */
async function readChunkFile(fh: FileHandle, id: string, options = { checkLength: false }): Promise<ChunkHeader> {
  const header = decodeHeader(await readHeaderBytes(fh));
  if (!header) throw new ChunkError('DATA_LOSS', `chunk ${id} has a damaged header`);
  if (options.checkLength) {
    const actual = (await fh.stat()).size;
    if (actual !== fileBytes(header)) {
      throw new ChunkError('DATA_LOSS', `chunk ${id} is damaged: ${actual} bytes on disk, its header says ${fileBytes(header)}`);
    }
  }
  return header;
}

/**
 * Bytes of data a chunk file holds, for used_space and ListChunks. A file with a damaged header
 * still counts (estimated from its length) so that it can be listed, replaced and deleted.
 */
async function dataBytes(fh: FileHandle, stats?: { size: number }): Promise<number> {
  const bytes = await readHeaderBytes(fh);
  const header = decodeHeader(bytes);
  return header ? header.size : dataBytesOfDamaged(bytes, (stats ?? (await fh.stat())).size);
}

async function listOne(path: string, chunkId: string): Promise<ListedChunk | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // deleted while listing
    throw err;
  }
  try {
    const s = await fh.stat();
    return { chunkId, size: await dataBytes(fh, s), modifiedAtMs: Math.floor(s.mtimeMs) };
  } finally {
    await fh.close();
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

/**
 * One chunk being written: hashes (SHA-256 unless skipped, and block checksums) and writes as data
 * arrives; commit or abort ends it.
 */
export class ChunkWriter {
  private hash: Hash | null;
  private readonly blocks = new BlockTable(BLOCK_SIZE);
  /** Set once a message with block checksums ended in a short block: that was the chunk's end. */
  private endedWithShortBlock = false;
  private position = HEADER_BYTES;
  private sinceSpaceCheck = 0;
  private done = false;

  constructor(
    readonly chunkId: string,
    private readonly tmpPath: string,
    private readonly output: ChunkOutput,
    private readonly store: ChunkStore,
    sha256: boolean,
  ) {
    this.hash = sha256 ? createHash('sha256') : null;
  }

  get size(): number {
    return this.position - HEADER_BYTES;
  }

  /**
   * A caller that asked to skip the SHA-256 sent a checksum after all. Before the first byte of
   * data the writer simply starts hashing; after it, the bytes already written were never hashed,
   * so the checksum cannot be verified: INVALID_ARGUMENT rather than an unverified "success".
   */
  requireSha256(): void {
    if (this.hash) return;
    if (this.size > 0) {
      throw new ChunkError(
        'INVALID_ARGUMENT',
        `chunk ${this.chunkId}: checksum sent after ${this.size} bytes of a stream that set skip_sha256, so it cannot be verified; ` +
          'send it before any data or do not set skip_sha256',
      );
    }
    this.hash = createHash('sha256');
  }

  /**
   * Writes the next bytes of the chunk. `sentChecksums` (8 bytes per block of `data`) are the
   * caller's block checksums of this message: the message must then start on a block boundary and
   * hold whole blocks, but for the chunk's last block.
   */
  async write(data: Buffer, sentChecksums?: Buffer): Promise<void> {
    const firstBlock = this.blocks.size / BLOCK_SIZE;
    if (sentChecksums) this.checkSentLayout(data, sentChecksums);
    else if (this.endedWithShortBlock && data.length > 0) {
      throw new ChunkError('INVALID_ARGUMENT', `chunk ${this.chunkId}: data after a short block that carried a block checksum`);
    }
    if (data.length === 0) return;
    // The write runs on libuv's thread pool while this thread hashes the same bytes.
    const written = this.output.append(data);
    this.position += data.length;
    this.hash?.update(data);
    this.blocks.append(data);
    await written;
    bytesWritten(data.length);
    if (sentChecksums) this.verifySent(firstBlock, data.length, sentChecksums);
    this.sinceSpaceCheck += data.length;
    if (this.sinceSpaceCheck >= SPACE_CHECK_INTERVAL) {
      this.sinceSpaceCheck = 0;
      await this.store.checkSpace();
    }
  }

  private checkSentLayout(data: Buffer, sent: Buffer): void {
    const blocks = Math.ceil(data.length / BLOCK_SIZE);
    if (this.size % BLOCK_SIZE !== 0 || this.endedWithShortBlock) {
      throw new ChunkError(
        'INVALID_ARGUMENT',
        `chunk ${this.chunkId}: block_checksums sent with data at offset ${this.size}, which is not the start of a block of ${BLOCK_SIZE} bytes`,
      );
    }
    if (sent.length !== blocks * CHECKSUM_BYTES) {
      throw new ChunkError(
        'INVALID_ARGUMENT',
        `chunk ${this.chunkId}: ${sent.length} bytes of block_checksums for ${data.length} bytes of data (${blocks} blocks need ${blocks * CHECKSUM_BYTES})`,
      );
    }
    if (data.length % BLOCK_SIZE !== 0) this.endedWithShortBlock = true;
  }

  private verifySent(firstBlock: number, bytes: number, sent: Buffer): void {
    const count = Math.ceil(bytes / BLOCK_SIZE);
    const computed = this.blocks.checksumsOf(firstBlock, count);
    if (computed.equals(sent)) return;
    let bad = 0;
    while (computed.readBigUInt64BE(bad * CHECKSUM_BYTES) === sent.readBigUInt64BE(bad * CHECKSUM_BYTES)) bad += 1;
    const block = firstBlock + bad;
    const at = bad * CHECKSUM_BYTES;
    throw new ChunkError(
      'DATA_LOSS',
      `block checksum mismatch for chunk ${this.chunkId}: block ${block} at offset ${block * BLOCK_SIZE}, ` +
        `caller sent ${sent.toString('hex', at, at + CHECKSUM_BYTES)}, data hashes to ${computed.toString('hex', at, at + CHECKSUM_BYTES)}`,
    );
  }

  /**
   * Verifies the checksum (when given), appends the block checksum table, makes the file durable
   * and puts it in place, unless `stillWanted` says by then that the caller has gone (its cancel
   * may arrive just after the end of its stream).
   */
  async commit(expectedChecksum?: string, stillWanted: () => boolean = () => true): Promise<StoredChunk> {
    try {
      if (expectedChecksum !== undefined) this.requireSha256();
      const checksum = this.hash ? this.hash.digest('hex') : '';
      if (expectedChecksum !== undefined && expectedChecksum !== checksum) {
        throw new ChunkError(
          'DATA_LOSS',
          `checksum mismatch for chunk ${this.chunkId}: caller sent ${expectedChecksum}, data hashes to ${checksum}`,
        );
      }
      const size = this.size;
      await this.output.append(this.blocks.finish());
      await this.output.finish(encodeHeader({ checksum, size, blockSize: BLOCK_SIZE }));
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
      await this.output.close().catch(() => undefined);
    }
    await rm(this.tmpPath, { force: true });
  }
}
