import { describe, expect, it } from 'vitest';
import { varintLength, writeVarint } from '../../proto/protobuf-varint.js';
import { storageProto } from '../../proto/storage-proto.js';

// The reference: protobufjs, through the service definition grpc-js uses. A GetChunkRequest with
// only `offset` (field 2, int64) set is its tag byte followed by the varint of the offset.
function reference(n: number): Buffer {
  const bytes = storageProto().StorageService.service.GetChunk!.requestSerialize({ offset: n }) as Buffer;
  expect(bytes[0], 'tag of field 2, varint').toBe((2 << 3) | 0);
  return bytes.subarray(1);
}

const values = [
  0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000, 0x0fffffff, 0x10000000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32,
  2 ** 32 + 1, 5 * 2 ** 30 + 12345, 2 ** 35, 2 ** 49 - 1, 2 ** 49, Number.MAX_SAFE_INTEGER,
];

describe('protobuf varints', () => {
  it('match protobufjs byte for byte, past 32 bits too', () => {
    for (const n of values) {
      const want = reference(n);
      const out = Buffer.alloc(12, 0xee);
      const end = writeVarint(out, 2, n);
      expect(end - 2, `length of ${n}`).toBe(want.length);
      expect(varintLength(n), `varintLength(${n})`).toBe(want.length);
      expect(out.subarray(2, end).equals(want), `bytes of ${n}`).toBe(true);
      expect(out[1], 'byte before untouched').toBe(0xee);
      expect(out[end], 'byte after untouched').toBe(0xee);
    }
  });

  it('match protobufjs for random values of every size', () => {
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(Math.random() * 2 ** Math.floor(Math.random() * 54));
      const out = Buffer.alloc(10);
      const end = writeVarint(out, 0, n);
      expect(out.subarray(0, end).equals(reference(n)), `bytes of ${n}`).toBe(true);
      expect(varintLength(n)).toBe(end);
    }
  });
});
