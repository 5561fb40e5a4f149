// PutChunkRequest encoded by hand into a caller's buffer: the payload is copied once, straight from
// the stripe, next to its block checksums, instead of protobufjs allocating and copying every
// message. The caller leaves room in front for gRPC's prefix, so that grpc-js sends the buffer as it
// is (grpc-framing.ts); the buffer is then the caller's again after the write's callback. Field
// numbers as in storage.proto. Pure: no I/O.
import { blockChecksums, blockCount, CHECKSUM_BYTES } from './block-checksums.js';
import { EncodedMessage } from './grpc-framing.js';
import { varintLength, writeVarint } from './protobuf-varint.js';

/** A PutChunkRequest already encoded into a view of its buffer; the client's serializer frames it. */
export class EncodedPutChunk extends EncodedMessage {}

export interface PutChunkFields {
  chunkId?: string; // first message only
  skipSha256?: boolean; // first message only
  data: Uint8Array;
}

/** Bytes needed to encode `fields` with the block checksums of its data. */
export function encodedLength(fields: PutChunkFields): number {
  const id = fields.chunkId ? Buffer.byteLength(fields.chunkId) : 0;
  const sums = blockCount(fields.data.length) * CHECKSUM_BYTES;
  return (
    (id ? 1 + varintLength(id) + id : 0) +
    (fields.skipSha256 ? 2 : 0) +
    (sums ? 1 + varintLength(sums) + sums : 0) +
    (fields.data.length ? 1 + varintLength(fields.data.length) + fields.data.length : 0)
  );
}

/**
 * Encodes chunk_id (1), skip_sha256 (5), block_checksums (4) and data (2) into `out` from `start`
 * (`out` must hold encodedLength(fields) bytes there) and returns the encoded bytes, a view of `out`.
 */
export function encodePutChunk(out: Buffer, fields: PutChunkFields, start = 0): Buffer {
  let at = start;
  if (fields.chunkId) {
    const id = Buffer.byteLength(fields.chunkId);
    out[at++] = (1 << 3) | 2;
    at = writeVarint(out, at, id);
    at += out.write(fields.chunkId, at);
  }
  if (fields.skipSha256) {
    out[at++] = (5 << 3) | 0;
    out[at++] = 1;
  }
  const sums = blockCount(fields.data.length) * CHECKSUM_BYTES;
  if (sums) {
    out[at++] = (4 << 3) | 2;
    at = writeVarint(out, at, sums);
    blockChecksums(fields.data, out, at);
    at += sums;
  }
  if (fields.data.length) {
    out[at++] = (2 << 3) | 2;
    at = writeVarint(out, at, fields.data.length);
    out.set(fields.data, at);
    at += fields.data.length;
  }
  return out.subarray(start, at);
}
