// GetChunkResponse encoded in place: the node reads a group of blocks straight into a message buffer,
// behind room for the fields that go in front of the data and for gRPC's prefix, and writes those
// fields once the blocks are verified. grpc-js then sends the buffer as it is (grpc-framing.ts),
// so the data is not copied again in the process; the buffer may be reused after the write's
// callback. Field numbers as in storage.proto; fields may come in any order on the wire. Pure: no I/O.

import { EncodedMessage, FRAME_HEADER_BYTES } from './grpc-framing.js';
import { varintLength, writeVarint } from './protobuf-varint.js';

/** A GetChunkResponse already encoded into a view of its buffer; the node's serializer frames it. */
export class EncodedGetChunk extends EncodedMessage {
  constructor(
    buffer: Buffer,
    message: Buffer,
    /** Bytes of chunk data in the message. */
    readonly dataLength: number,
  ) {
    super(buffer, message);
  }
}

const MAX_VARINT_BYTES = 8; // enough for any safe integer (2^53 needs 8 groups of 7 bits)

const DATA = (1 << 3) | 2;
const BLOCK_CHECKSUMS = (2 << 3) | 2;
const OFFSET = (3 << 3) | 0;
const BLOCK_SIZE = (4 << 3) | 0;

/** Bytes to keep in front of the data for the prefix and fields of a message with `checksumBytes` of checksums. */
export function fieldsRoom(checksumBytes: number): number {
  return FRAME_HEADER_BYTES + 4 * (1 + MAX_VARINT_BYTES) + checksumBytes;
}

/** Where a message's block checksums go when its data (of `dataLength` bytes) starts at `dataAt`. */
export function checksumsAt(dataAt: number, dataLength: number, checksumBytes: number): number {
  return dataAt - (1 + varintLength(dataLength)) - checksumBytes;
}

/**
 * Whole blocks with their checksums: `buffer` holds the data at `dataAt` and its `checksumBytes` of
 * checksums at checksumsAt(dataAt, dataLength, checksumBytes). Writes offset, block_size and the two
 * length prefixes in front, and returns the message, a view of `buffer`.
 */
export function encodeBlocks(
  buffer: Buffer,
  dataAt: number,
  dataLength: number,
  checksumBytes: number,
  offset: number,
  blockSize: number,
): Buffer {
  const sumsAt = checksumsAt(dataAt, dataLength, checksumBytes);
  const start = sumsAt - (1 + varintLength(checksumBytes)) - (1 + varintLength(blockSize)) - (1 + varintLength(offset));
  if (start < 0) throw new RangeError(`encodeBlocks: ${-start} bytes of room missing in front of the data`);
  let at = start;
  buffer[at++] = OFFSET;
  at = writeVarint(buffer, at, offset);
  buffer[at++] = BLOCK_SIZE;
  at = writeVarint(buffer, at, blockSize);
  buffer[at++] = BLOCK_CHECKSUMS;
  at = writeVarint(buffer, at, checksumBytes);
  at += checksumBytes;
  buffer[at++] = DATA;
  writeVarint(buffer, at, dataLength);
  return buffer.subarray(start, dataAt + dataLength);
}

/** Data alone: `buffer` holds it at `dataAt`; writes its field's tag and length in front. */
export function encodeData(buffer: Buffer, dataAt: number, dataLength: number): Buffer {
  const start = dataAt - 1 - varintLength(dataLength);
  if (start < 0) throw new RangeError(`encodeData: ${-start} bytes of room missing in front of the data`);
  buffer[start] = DATA;
  writeVarint(buffer, start + 1, dataLength);
  return buffer.subarray(start, dataAt + dataLength);
}
