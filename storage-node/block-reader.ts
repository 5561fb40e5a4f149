// Reading a stored chunk: whole blocks come off the disk together with their stored checksums and
// are verified before any byte of them leaves the node (GetChunk), or all of them in place (VerifyChunk).
import type { FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { BLOCK_SIZE, badBlocks, blockChecksums, blockCount, CHECKSUM_BYTES, coveringBlocks, firstBadBlock } from '../proto/block-checksums.js';
import { ChunkError } from './chunk-errors.js';
import { HEADER_BYTES, type ChunkHeader } from './chunk-header.js';
import { readDirect, STAGE_BYTES, type SlabPool } from './direct-io.js';
import { checksumsAt, encodeBlocks, encodeData, EncodedGetChunk, fieldsRoom } from '../proto/get-chunk-encoding.js';

/** Largest message of data: 1 MiB, 16 blocks of 64 KiB. */
const MESSAGE_BYTES = 1024 * 1024;

/** One GetChunk message, encoded; `release()` once gRPC has taken it lets its buffer be reused. */
export interface ChunkMessage {
  encoded: EncodedGetChunk;
  release(): void;
}

export interface OpenChunk {
  chunkId: string;
  fh: FileHandle;
  header: ChunkHeader;
  /** The same file opened with O_DIRECT, and the slabs to read it through (see direct-io.ts). */
  direct?: { fh: FileHandle; slabs: SlabPool };
}

async function readFully(chunk: OpenChunk, buf: Buffer, position: number): Promise<void> {
  for (let done = 0; done < buf.length; ) {
    const { bytesRead } = await chunk.fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new ChunkError('DATA_LOSS', `chunk ${chunk.chunkId} is shorter on disk than its header says`);
    done += bytesRead;
  }
}

/** Data bytes at `position`: with direct I/O when the chunk has it and a slab is free. */
async function readData(chunk: OpenChunk, buf: Buffer, position: number): Promise<void> {
  const slab = buf.length <= STAGE_BYTES ? chunk.direct?.slabs.take() : undefined;
  if (!slab) return readFully(chunk, buf, position);
  try {
    if (!(await readDirect(chunk.direct!.fh, slab, buf, position))) {
      throw new ChunkError('DATA_LOSS', `chunk ${chunk.chunkId} is shorter on disk than its header says`);
    }
  } finally {
    chunk.direct!.slabs.give(slab);
  }
}

/** Where a group's bytes are read to: its data, and its stored checksums (null in format 1). */
interface GroupPlace {
  data: Buffer;
  stored: Buffer | null;
}

/** A group read to the place its caller gave (which may carry more, such as the buffer it is in). */
type Group<P extends GroupPlace> = P & {
  start: number; // chunk offset of data[0]
  firstBlock: number; // index of data's first block in the chunk
};

/** Block size of a chunk's layout: format 1 has no stored table and is cut at the standard size. */
function blockSizeOf(header: ChunkHeader): number {
  return header.format === 2 ? header.blockSize : BLOCK_SIZE;
}

/** Blocks per group: as many as fit in one message. */
function blocksPerGroup(blockSize: number): number {
  return Math.max(1, Math.floor(MESSAGE_BYTES / blockSize));
}

/**
 * Blocks [firstBlock, endBlock) of an open chunk, in groups of up to 1 MiB with their stored
 * checksums, unverified, read to where `place` says (given the group's block count and data bytes).
 * The next group is read while the caller handles the current one, and nothing further ahead.
 */
async function* blockGroups<P extends GroupPlace>(
  chunk: OpenChunk,
  firstBlock: number,
  endBlock: number,
  place: (blocks: number, bytes: number) => P,
): AsyncGenerator<Group<P>> {
  const { header } = chunk;
  const blockSize = blockSizeOf(header);
  const perGroup = blocksPerGroup(blockSize);

  const readGroup = async (first: number): Promise<Group<P>> => {
    const count = Math.min(perGroup, endBlock - first);
    const start = first * blockSize;
    const bytes = Math.min(header.size, (first + count) * blockSize) - start;
    const where = place(count, bytes);
    await Promise.all([
      readData(chunk, where.data, HEADER_BYTES + start),
      where.stored && readFully(chunk, where.stored, HEADER_BYTES + header.size + first * CHECKSUM_BYTES),
    ]);
    return { ...where, start, firstBlock: first };
  };

  let next: Promise<Group<P>> | undefined;
  try {
    next = firstBlock < endBlock ? readGroup(firstBlock) : undefined;
    for (let first = firstBlock; first < endBlock; first += perGroup) {
      const group = await next!;
      next = first + perGroup < endBlock ? readGroup(first + perGroup) : undefined;
      yield group;
    }
  } finally {
    // A read still running when the caller stops must not reject unobserved.
    next?.catch(() => undefined);
  }
}

/**
 * Messages for the range [offset, offset + length) of an open chunk (the range must fit). Each
 * group of up to 16 blocks is read and verified before it is yielded.
 * With `withBlockChecksums` every message holds whole blocks (those covering the range) with their
 * checksums; otherwise it holds exactly the asked bytes. An empty range yields no message.
 * Each group is read straight into the buffer of its encoded message (get-chunk-encoding.ts); the
 * buffers of released messages are reused, so a whole chunk goes through as many buffers as the
 * caller holds unreleased messages, plus the group read ahead.
 */
export async function* readVerifiedBlocks(
  chunk: OpenChunk,
  offset: number,
  length: number,
  withBlockChecksums: boolean,
): AsyncGenerator<ChunkMessage> {
  const blockSize = blockSizeOf(chunk.header);
  const span = coveringBlocks(offset, length, chunk.header.size, blockSize);
  const spanStart = span.firstBlock * blockSize;
  const spanBytes = Math.min(chunk.header.size, (span.firstBlock + span.blocks) * blockSize) - spanStart;
  const perGroup = blocksPerGroup(blockSize);
  const room = fieldsRoom(perGroup * CHECKSUM_BYTES);
  const capacity = room + Math.min(spanBytes, perGroup * blockSize);
  const free: Buffer[] = [];
  const place = (blocks: number, bytes: number): GroupPlace & { buffer: Buffer } => {
    const buffer = free.pop() ?? Buffer.allocUnsafe(capacity);
    const sumsBytes = blocks * CHECKSUM_BYTES;
    const sumsAt = checksumsAt(room, bytes, sumsBytes);
    const stored = chunk.header.format === 2 ? buffer.subarray(sumsAt, sumsAt + sumsBytes) : null;
    return { data: buffer.subarray(room, room + bytes), stored, buffer };
  };
  for await (const group of blockGroups(chunk, span.firstBlock, span.firstBlock + span.blocks, place)) {
    const { buffer } = group;
    if (group.stored) {
      const bad = firstBadBlock(group.data, group.stored, blockSize);
      if (bad !== -1) {
        const at = group.start + bad * blockSize;
        throw new ChunkError(
          'DATA_LOSS',
          `chunk ${chunk.chunkId} is corrupt: block ${at / blockSize} at offset ${at} does not match its stored checksum`,
        );
      }
    }
    const bytes = group.data.length;
    let encoded: EncodedGetChunk;
    if (withBlockChecksums) {
      const sumsBytes = blockCount(bytes, blockSize) * CHECKSUM_BYTES;
      if (!group.stored) blockChecksums(group.data, buffer, checksumsAt(room, bytes, sumsBytes), blockSize);
      encoded = new EncodedGetChunk(buffer, encodeBlocks(buffer, room, bytes, sumsBytes, group.start, blockSize), bytes);
    } else {
      // The fields are written over the bytes in front of the range, which were verified above.
      const from = Math.max(offset, group.start) - group.start;
      const to = Math.min(offset + length, group.start + bytes) - group.start;
      encoded = new EncodedGetChunk(buffer, encodeData(buffer, room + from, to - from), to - from);
    }
    yield { encoded, release: () => free.push(buffer) };
  }
}

/** What verifying a whole chunk found. */
export interface BlockVerification {
  /** Indexes of the blocks whose stored checksum does not match (always empty in format 1). */
  badBlocks: number[];
  /** Lowercase hex SHA-256 of the data, computed only for format 1 (no stored table); else null. */
  sha256: string | null;
}

/**
 * Checks every block of an open chunk against its stored checksum, through the same reads as
 * GetChunk, in two reused 1 MiB buffers whatever the chunk's size. Format 1 has no table: its data
 * is hashed with SHA-256 instead, for the caller to compare with the header's.
 */
export async function verifyAllBlocks(chunk: OpenChunk): Promise<BlockVerification> {
  const blockSize = blockSizeOf(chunk.header);
  const hash = chunk.header.format === 2 ? null : createHash('sha256');
  const bad: number[] = [];
  // Two pairs of buffers take turns: a group is done with before the one after next is read.
  const perGroup = blocksPerGroup(blockSize);
  const pairs = [0, 1].map(() => ({
    data: Buffer.allocUnsafe(Math.min(chunk.header.size, perGroup * blockSize)),
    stored: Buffer.allocUnsafe(perGroup * CHECKSUM_BYTES),
  }));
  let turn = 0;
  const place = (blocks: number, bytes: number): GroupPlace => {
    const pair = pairs[turn++ % 2]!;
    return { data: pair.data.subarray(0, bytes), stored: chunk.header.format === 2 ? pair.stored.subarray(0, blocks * CHECKSUM_BYTES) : null };
  };
  for await (const group of blockGroups(chunk, 0, blockCount(chunk.header.size, blockSize), place)) {
    if (group.stored) bad.push(...badBlocks(group.data, group.stored, blockSize, group.firstBlock));
    hash?.update(group.data);
  }
  return { badBlocks: bad, sha256: hash ? hash.digest('hex') : null };
}
