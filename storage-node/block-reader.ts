// Reading a stored chunk: whole blocks come off the disk together with their stored checksums and
// are verified before any byte of them leaves the node (GetChunk), or all of them in place (VerifyChunk).
import type { FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { BLOCK_SIZE, badBlocks, blockChecksums, blockCount, CHECKSUM_BYTES, coveringBlocks, firstBadBlock } from '../proto/block-checksums.js';
import { ChunkError } from './chunk-errors.js';
import { HEADER_BYTES, type ChunkHeader } from './chunk-header.js';

/** Largest message of data: 1 MiB, 16 blocks of 64 KiB. */
const MESSAGE_BYTES = 1024 * 1024;

/** One GetChunk message. `offset`, `blockSize` and `blockChecksums` are set only when asked for. */
export interface ChunkMessage {
  data: Buffer;
  blockChecksums?: Buffer;
  offset?: number;
  blockSize?: number;
}

export interface OpenChunk {
  chunkId: string;
  fh: FileHandle;
  header: ChunkHeader;
}

async function readFully(chunk: OpenChunk, buf: Buffer, position: number): Promise<void> {
  for (let done = 0; done < buf.length; ) {
    const { bytesRead } = await chunk.fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new ChunkError('DATA_LOSS', `chunk ${chunk.chunkId} is shorter on disk than its header says`);
    done += bytesRead;
  }
}

interface Group {
  start: number; // chunk offset of data[0]
  firstBlock: number; // index of data's first block in the chunk
  data: Buffer;
  stored: Buffer | null; // the stored checksums of its blocks; null in format 1 (none stored)
}

/** Block size of a chunk's layout: format 1 has no stored table and is cut at the standard size. */
function blockSizeOf(header: ChunkHeader): number {
  return header.format === 2 ? header.blockSize : BLOCK_SIZE;
}

/**
 * Blocks [firstBlock, endBlock) of an open chunk, in groups of up to 1 MiB with their stored
 * checksums, unverified. The next group is read while the caller handles the current one, and
 * nothing further ahead. With `reuseBuffers` two pairs of buffers take turns, so a whole chunk
 * goes through a fixed 2 MiB: a group is then valid only until the caller asks for the next.
 */
async function* blockGroups(chunk: OpenChunk, firstBlock: number, endBlock: number, reuseBuffers: boolean): AsyncGenerator<Group> {
  const { header } = chunk;
  const blockSize = blockSizeOf(header);
  const perGroup = Math.max(1, Math.floor(MESSAGE_BYTES / blockSize));
  const spare = reuseBuffers
    ? [0, 1].map(() => ({
        data: Buffer.allocUnsafe(Math.min(header.size, perGroup * blockSize)),
        stored: Buffer.allocUnsafe(perGroup * CHECKSUM_BYTES),
      }))
    : null;
  let turn = 0;

  const readGroup = async (first: number): Promise<Group> => {
    const count = Math.min(perGroup, endBlock - first);
    const start = first * blockSize;
    const bytes = Math.min(header.size, (first + count) * blockSize) - start;
    const buffers = spare?.[turn++ % 2];
    const data = buffers ? buffers.data.subarray(0, bytes) : Buffer.allocUnsafe(bytes);
    const stored =
      header.format !== 2
        ? null
        : buffers
          ? buffers.stored.subarray(0, count * CHECKSUM_BYTES)
          : Buffer.allocUnsafe(count * CHECKSUM_BYTES);
    await Promise.all([
      readFully(chunk, data, HEADER_BYTES + start),
      stored && readFully(chunk, stored, HEADER_BYTES + header.size + first * CHECKSUM_BYTES),
    ]);
    return { start, firstBlock: first, data, stored };
  };

  let next: Promise<Group> | undefined;
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
 */
export async function* readVerifiedBlocks(
  chunk: OpenChunk,
  offset: number,
  length: number,
  withBlockChecksums: boolean,
): AsyncGenerator<ChunkMessage> {
  const blockSize = blockSizeOf(chunk.header);
  const span = coveringBlocks(offset, length, chunk.header.size, blockSize);
  // Fresh buffers: a message handed to gRPC is sent after the next group has been read.
  for await (const group of blockGroups(chunk, span.firstBlock, span.firstBlock + span.blocks, false)) {
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
    if (withBlockChecksums) {
      const sums = group.stored ?? blockChecksums(group.data, undefined, 0, blockSize);
      yield { data: group.data, blockChecksums: sums, offset: group.start, blockSize };
    } else {
      const from = Math.max(offset, group.start) - group.start;
      const to = Math.min(offset + length, group.start + group.data.length) - group.start;
      yield { data: group.data.subarray(from, to) };
    }
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
  for await (const group of blockGroups(chunk, 0, blockCount(chunk.header.size, blockSize), true)) {
    if (group.stored) bad.push(...badBlocks(group.data, group.stored, blockSize, group.firstBlock));
    hash?.update(group.data);
  }
  return { badBlocks: bad, sha256: hash ? hash.digest('hex') : null };
}
