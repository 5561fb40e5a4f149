// The fixed header in front of every chunk file: it keeps the chunk's length, SHA-256 and block
// layout with the data, in the same file, so one rename replaces them all atomically and StatChunk
// needs no re-read. Pure: no I/O.
//
// File layout, format 2 (written since block checksums):
//   header (64) | data (size) | block checksum table (8 bytes per block, xxHash64 big-endian)
//   header = magic 'CHUNKv2\n' (8) | sha256 (32, zeros when not computed) | size u64 BE (8)
//            | block size u32 BE (4) | flags u32 BE (4, bit 0: SHA-256 computed)
//            | xxHash64 of the 56 bytes before it (8), so a damaged header is recognised
// Format 1 (older data folders, still read): magic 'CHUNKv1\n' (8) | sha256 (32) | size u64 BE (8)
//   | zero padding (16), then the data and nothing after it: no block checksums.
import { xxh64 } from '@node-rs/xxhash';
import { BLOCK_SIZE, blockCount, CHECKSUM_BYTES } from '../proto/block-checksums.js';

export const HEADER_BYTES = 64;
const MAGIC_V1 = Buffer.from('CHUNKv1\n', 'latin1');
const MAGIC_V2 = Buffer.from('CHUNKv2\n', 'latin1');
const FLAG_SHA256 = 1;
const CHECKED_BYTES = 56;

export interface ChunkHeader {
  format: 1 | 2;
  size: number; // bytes of data after the header
  checksum: string; // lowercase hex SHA-256 of the data; '' when the writer skipped it
  blockSize: number; // block size of the checksum table after the data; 0 in format 1 (no table)
}

/** A format-2 header (the only format written); the block size defaults to BLOCK_SIZE. */
export function encodeHeader(header: { size: number; checksum: string; blockSize?: number }): Buffer {
  const buf = Buffer.alloc(HEADER_BYTES);
  MAGIC_V2.copy(buf, 0);
  if (header.checksum) Buffer.from(header.checksum, 'hex').copy(buf, 8);
  buf.writeBigUInt64BE(BigInt(header.size), 40);
  buf.writeUInt32BE(header.blockSize ?? BLOCK_SIZE, 48);
  buf.writeUInt32BE(header.checksum ? FLAG_SHA256 : 0, 52);
  buf.writeBigUInt64BE(xxh64(buf.subarray(0, CHECKED_BYTES)), CHECKED_BYTES);
  return buf;
}

/** The header of either format, or null for foreign or damaged bytes. */
export function decodeHeader(buf: Buffer): ChunkHeader | null {
  if (buf.length < HEADER_BYTES) return null;
  const magic = buf.subarray(0, 8);
  const size = Number(buf.readBigUInt64BE(40));
  if (!Number.isSafeInteger(size)) return null;
  if (magic.equals(MAGIC_V1)) {
    return { format: 1, size, checksum: buf.subarray(8, 40).toString('hex'), blockSize: 0 };
  }
  if (!magic.equals(MAGIC_V2)) return null;
  if (buf.readBigUInt64BE(CHECKED_BYTES) !== xxh64(buf.subarray(0, CHECKED_BYTES))) return null;
  const blockSize = buf.readUInt32BE(48);
  if (blockSize === 0) return null;
  const hasSha256 = (buf.readUInt32BE(52) & FLAG_SHA256) !== 0;
  return { format: 2, size, checksum: hasSha256 ? buf.subarray(8, 40).toString('hex') : '', blockSize };
}

/**
 * Bytes of data in a chunk file whose header does not decode, from the file's length: what was
 * counted when it was written (exact unless the damage reached the magic or the file's length),
 * so that used_space stays right when it is listed or deleted.
 */
export function dataBytesOfDamaged(headerBytes: Buffer, fileLength: number): number {
  const payload = Math.max(0, fileLength - HEADER_BYTES);
  if (!headerBytes.subarray(0, 8).equals(MAGIC_V2)) return payload;
  // payload = size + 8 * ceil(size / BLOCK_SIZE), solved for size.
  const blocks = Math.ceil(payload / (BLOCK_SIZE + CHECKSUM_BYTES));
  return Math.max(0, payload - blocks * CHECKSUM_BYTES);
}

/** Bytes of the block checksum table after the data (0 in format 1). */
export function tableBytes(header: ChunkHeader): number {
  return header.format === 2 ? blockCount(header.size, header.blockSize) * CHECKSUM_BYTES : 0;
}

/** Length the chunk's file must have. */
export function fileBytes(header: ChunkHeader): number {
  return HEADER_BYTES + header.size + tableBytes(header);
}
