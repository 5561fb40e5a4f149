import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { checksumsAt, encodeBlocks, encodeData, fieldsRoom } from '../../proto/get-chunk-encoding.js';
import { storageProto } from '../../proto/storage-proto.js';

// The reference: protobufjs, through the service definition grpc-js uses on both ends.
const service = () => storageProto().StorageService.service.GetChunk!;
const decode = (bytes: Buffer) =>
  service().responseDeserialize(bytes) as { data: Buffer; blockChecksums: Buffer; offset: number; blockSize: number };

// Sizes at the borders of 1, 2, 3 and 4 bytes of varint length, and the largest message.
const SIZES = [1, 127, 128, 16383, 16384, 65536, 2097151, 2097152, 1024 * 1024];

describe('hand-encoded GetChunkResponse', () => {
  test.each(SIZES)('whole blocks: the same fields as protobufjs decodes them, at any offset (%i bytes)', (size) => {
    const data = randomBytes(size);
    const checksumBytes = 8 * Math.ceil(size / 65536);
    const sums = randomBytes(checksumBytes);
    // Past 2^32 and near 2^53: chunk offsets are 64-bit on the wire.
    for (const offset of [0, 65536, 2 ** 32 + 65536, 2 ** 53 - 1]) {
      const room = fieldsRoom(checksumBytes);
      const buffer = Buffer.alloc(room + size + 5, 0xee);
      data.copy(buffer, room);
      sums.copy(buffer, checksumsAt(room, size, checksumBytes));
      const bytes = encodeBlocks(buffer, room, size, checksumBytes, offset, 65536);
      const m = decode(bytes);
      expect(Buffer.from(m.data).equals(data)).toBe(true);
      expect(Buffer.from(m.blockChecksums).equals(sums)).toBe(true);
      expect(m.offset).toBe(offset);
      expect(m.blockSize).toBe(65536);
      // The message ends where the data does: nothing of the buffer behind it is sent.
      expect(bytes.byteOffset + bytes.length).toBe(buffer.byteOffset + room + size);
    }
  });

  test.each(SIZES)('data alone, written in front of data that starts anywhere in the buffer (%i bytes)', (size) => {
    const data = randomBytes(size);
    for (const dataAt of [6, 100]) {
      const buffer = Buffer.alloc(dataAt + size, 0xee);
      data.copy(buffer, dataAt);
      const m = decode(encodeData(buffer, dataAt, size));
      expect(Buffer.from(m.data).equals(data)).toBe(true);
      expect(m.blockChecksums.length).toBe(0);
      expect(m.offset).toBe(0);
    }
  });

  test('encodes what protobufjs encodes (same bytes up to field order): decoding both gives the same object', () => {
    const data = randomBytes(70_000);
    const sums = randomBytes(16);
    const reference = service().responseSerialize({ data, blockChecksums: sums, offset: 131072, blockSize: 65536 });
    const room = fieldsRoom(16);
    const buffer = Buffer.alloc(room + data.length);
    data.copy(buffer, room);
    sums.copy(buffer, checksumsAt(room, data.length, 16));
    const ours = encodeBlocks(buffer, room, data.length, 16, 131072, 65536);
    expect(ours.length).toBe(reference.length);
    expect(decode(ours)).toEqual(decode(reference));
  });

  test('too little room in front of the data is a RangeError, not a corrupt message', () => {
    expect(() => encodeData(Buffer.alloc(10), 1, 9)).toThrow(RangeError);
    expect(() => encodeBlocks(Buffer.alloc(100), 10, 90, 8, 0, 65536)).toThrow(RangeError);
  });
});
