// Block checksums of a chunk: xxHash64 (seed 0) of every BLOCK_SIZE bytes, 8 bytes big-endian each,
// the last block possibly shorter. The storage node stores them beside the data and verifies every
// block it reads; callers send and receive them on the wire (storage.proto). Pure: no I/O.
import { xxh64 } from '@node-rs/xxhash';

export const BLOCK_SIZE = 65536;
/** Bytes of one block's checksum. */
export const CHECKSUM_BYTES = 8;

/** Blocks in `bytes` bytes of data (the last one may be short). */
export function blockCount(bytes: number, blockSize = BLOCK_SIZE): number {
  return Math.ceil(bytes / blockSize);
}

/**
 * The checksums of data's blocks, written into `out` at `outOffset` (by default a new Buffer of
 * exactly the right length). The binding takes whole byte arrays and returns a BigInt, so a view
 * and a BigInt per block are the only allocations.
 */
export function blockChecksums(
  data: Uint8Array,
  out: Buffer = Buffer.allocUnsafe(blockCount(data.length) * CHECKSUM_BYTES),
  outOffset = 0,
  blockSize = BLOCK_SIZE,
): Buffer {
  const needed = outOffset + blockCount(data.length, blockSize) * CHECKSUM_BYTES;
  if (needed > out.length) throw new RangeError(`blockChecksums: ${needed} bytes of output needed, ${out.length} given`);
  for (let start = 0, at = outOffset; start < data.length; start += blockSize, at += CHECKSUM_BYTES) {
    out.writeBigUInt64BE(xxh64(data.subarray(start, start + blockSize)), at);
  }
  return out;
}

/**
 * Index of the first block of `data` whose checksum in `checksums` differs or is missing, or -1 when
 * every block matches. Checksums beyond data's blocks are not looked at (callers check the length).
 */
export function firstBadBlock(data: Uint8Array, checksums: Uint8Array, blockSize = BLOCK_SIZE): number {
  const sums = Buffer.isBuffer(checksums) ? checksums : Buffer.from(checksums.buffer, checksums.byteOffset, checksums.byteLength);
  for (let block = 0, start = 0; start < data.length; block++, start += blockSize) {
    const at = block * CHECKSUM_BYTES;
    if (at + CHECKSUM_BYTES > sums.length) return block;
    if (sums.readBigUInt64BE(at) !== xxh64(data.subarray(start, start + blockSize))) return block;
  }
  return -1;
}

/**
 * Indexes of every block of `data` whose checksum in `checksums` differs or is missing, each plus
 * `firstBlock` (the index of data's first block in the chunk), in order.
 */
export function badBlocks(data: Uint8Array, checksums: Uint8Array, blockSize = BLOCK_SIZE, firstBlock = 0): number[] {
  const sums = Buffer.isBuffer(checksums) ? checksums : Buffer.from(checksums.buffer, checksums.byteOffset, checksums.byteLength);
  const bad: number[] = [];
  for (let block = 0, start = 0; start < data.length; block++, start += blockSize) {
    const at = block * CHECKSUM_BYTES;
    if (at + CHECKSUM_BYTES > sums.length || sums.readBigUInt64BE(at) !== xxh64(data.subarray(start, start + blockSize))) {
      bad.push(firstBlock + block);
    }
  }
  return bad;
}

/** The whole blocks that cover the byte range [offset, offset + length) of a chunk. */
export interface BlockSpan {
  firstBlock: number;
  /** Blocks in the span (0 for an empty range). */
  blocks: number;
  /** Chunk offset of the span's first byte (a multiple of the block size). */
  start: number;
  /** Chunk offset just past the span's last byte (at most the chunk's size). */
  end: number;
}

/** The covering blocks of [offset, offset + length) in a chunk of `size` bytes; the range must fit. */
export function coveringBlocks(offset: number, length: number, size: number, blockSize = BLOCK_SIZE): BlockSpan {
  if (offset < 0 || length < 0 || offset + length > size) {
    throw new RangeError(`range offset=${offset} length=${length} is outside a chunk of ${size} bytes`);
  }
  if (length === 0) return { firstBlock: Math.floor(offset / blockSize), blocks: 0, start: offset, end: offset };
  const firstBlock = Math.floor(offset / blockSize);
  const endBlock = Math.ceil((offset + length) / blockSize);
  return {
    firstBlock,
    blocks: endBlock - firstBlock,
    start: firstBlock * blockSize,
    end: Math.min(size, endBlock * blockSize),
  };
}
