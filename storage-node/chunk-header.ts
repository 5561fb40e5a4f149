// The fixed header in front of every chunk file: it keeps the chunk's SHA-256 and length with the
// data, in the same file, so one rename replaces both atomically and StatChunk needs no re-read.
// Pure: no I/O.

export const HEADER_BYTES = 64;
const MAGIC = Buffer.from('CHUNKv1\n', 'latin1'); // 8 bytes

export interface ChunkHeader {
  checksum: string; // lowercase hex SHA-256 of the data
  size: number; // bytes of data after the header
}

/** Layout: magic (8) | sha256 (32) | size uint64 BE (8) | zero padding (16). */
export function encodeHeader(header: ChunkHeader): Buffer {
  const buf = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(buf, 0);
  Buffer.from(header.checksum, 'hex').copy(buf, 8);
  buf.writeBigUInt64BE(BigInt(header.size), 40);
  return buf;
}

export function decodeHeader(buf: Buffer): ChunkHeader | null {
  if (buf.length < HEADER_BYTES || !buf.subarray(0, 8).equals(MAGIC)) return null;
  return {
    checksum: buf.subarray(8, 40).toString('hex'),
    size: Number(buf.readBigUInt64BE(40)),
  };
}
