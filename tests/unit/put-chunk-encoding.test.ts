import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { blockChecksums } from '../../proto/block-checksums.js';
import { encodedLength, encodePutChunk } from '../../proto/put-chunk-encoding.js';
import { storageProto } from '../../proto/storage-proto.js';

// The reference decoder: protobufjs, through the service definition grpc-js uses on the node.
const decode = (bytes: Buffer) => storageProto().StorageService.service.PutChunk!.requestDeserialize(bytes) as {
  chunkId: string;
  data: Buffer;
  checksum: string;
  blockChecksums: Buffer;
  skipSha256: boolean;
};

describe('hand-encoded PutChunkRequest', () => {
  test.each([0, 1, 100, 65535, 65536, 65537, 1024 * 1024, 3 * 1024 * 1024 + 17])('decodes as protobuf to the same fields (%i bytes)', (size) => {
    const data = randomBytes(size);
    for (const first of [true, false]) {
      const fields = first ? { chunkId: 'f1c0ffee.3', skipSha256: true, data } : { data };
      // At the start of the buffer, and behind room for gRPC's prefix as the gateway encodes it.
      const start = first ? 0 : 5;
      const out = Buffer.alloc(start + encodedLength(fields) + 10, 0xee);
      const bytes = encodePutChunk(out, fields, start);
      expect(bytes.length).toBe(encodedLength(fields));
      expect(bytes.byteOffset - out.byteOffset).toBe(start);
      expect(out.subarray(0, start).every((b) => b === 0xee)).toBe(true);
      const m = decode(bytes);
      expect(m.chunkId).toBe(first ? 'f1c0ffee.3' : '');
      expect(m.skipSha256).toBe(first);
      expect(Buffer.from(m.data).equals(data)).toBe(true);
      expect(Buffer.from(m.blockChecksums).equals(blockChecksums(data))).toBe(true);
      expect(m.checksum).toBe('');
    }
  });
});
