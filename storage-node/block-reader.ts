// Reading a stored chunk for GetChunk: whole blocks come off the disk together with their stored
// checksums and are verified before any byte of them leaves the node, whatever range was asked for.
import type { FileHandle } from 'node:fs/promises';
import { BLOCK_SIZE, blockChecksums, CHECKSUM_BYTES, coveringBlocks, firstBadBlock } from '../proto/block-checksums.js';
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
  data: Buffer;
  stored: Buffer | null; // the stored checksums of its blocks; null in format 1 (none stored)
}

/**
 * Messages for the range [offset, offset + length) of an open chunk (the range must fit). Each
 * group of up to 16 blocks is read and verified before it is yielded; the next group is read
 * while the current one is being sent, and nothing further ahead.
 * With `withBlockChecksums` every message holds whole blocks (those covering the range) with their
 * checksums; otherwise it holds exactly the asked bytes. An empty range yields no message.
 */
export async function* readVerifiedBlocks(
  chunk: OpenChunk,
  offset: number,
  length: number,
  withBlockChecksums: boolean,
): AsyncGenerator<ChunkMessage> {
  const { header } = chunk;
  // Format 1 has no stored table: its blocks are cut at the standard size and checked by nobody.
  const blockSize = header.format === 2 ? header.blockSize : BLOCK_SIZE;
  const perMessage = Math.max(1, Math.floor(MESSAGE_BYTES / blockSize));
  const span = coveringBlocks(offset, length, header.size, blockSize);
  const endBlock = span.firstBlock + span.blocks;

  const readGroup = async (first: number): Promise<Group> => {
    const count = Math.min(perMessage, endBlock - first);
    const start = first * blockSize;
    const data = Buffer.allocUnsafe(Math.min(header.size, (first + count) * blockSize) - start);
    const stored = header.format === 2 ? Buffer.allocUnsafe(count * CHECKSUM_BYTES) : null;
    await Promise.all([
      readFully(chunk, data, HEADER_BYTES + start),
      stored && readFully(chunk, stored, HEADER_BYTES + header.size + first * CHECKSUM_BYTES),
    ]);
    return { start, data, stored };
  };

  let next: Promise<Group> | undefined;
  try {
    next = span.blocks > 0 ? readGroup(span.firstBlock) : undefined;
    for (let first = span.firstBlock; first < endBlock; first += perMessage) {
      const group = await next!;
      next = first + perMessage < endBlock ? readGroup(first + perMessage) : undefined;
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
  } finally {
    // A read still running when the caller stops must not reject unobserved.
    next?.catch(() => undefined);
  }
}
