import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { dataBytesOfDamaged, decodeHeader, encodeHeader, fileBytes, HEADER_BYTES, tableBytes } from '../../storage-node/chunk-header.js';

describe('chunk file header', () => {
  test('format 2 round trip, with and without SHA-256', () => {
    const sha = createHash('sha256').update('x').digest('hex');
    const withSha = encodeHeader({ size: 1_789_569_707, checksum: sha, blockSize: 65536 });
    expect(withSha.length).toBe(HEADER_BYTES);
    expect(withSha.subarray(0, 8).toString('latin1')).toBe('CHUNKv2\n');
    expect(decodeHeader(withSha)).toEqual({ format: 2, size: 1_789_569_707, checksum: sha, blockSize: 65536 });
    const without = decodeHeader(encodeHeader({ size: 5, checksum: '', blockSize: 65536 }));
    expect(without).toEqual({ format: 2, size: 5, checksum: '', blockSize: 65536 });
  });

  test('table and file lengths: 8 bytes per started block in format 2, none in format 1', () => {
    const h = (size: number) => decodeHeader(encodeHeader({ size, checksum: '', blockSize: 65536 }))!;
    expect([tableBytes(h(0)), tableBytes(h(1)), tableBytes(h(65536)), tableBytes(h(65537))]).toEqual([0, 8, 8, 16]);
    expect(fileBytes(h(65537))).toBe(64 + 65537 + 16);
    const v1 = decodeHeader(v1Header('00'.repeat(32), 100))!;
    expect([tableBytes(v1), fileBytes(v1)]).toEqual([0, 164]);
  });

  test('format 1 headers (older data folders) still decode', () => {
    const sha = 'ab'.repeat(32);
    expect(decodeHeader(v1Header(sha, 123_456))).toEqual({ format: 1, size: 123_456, checksum: sha, blockSize: 0 });
  });

  test('foreign bytes and any damaged byte of a format 2 header are rejected', () => {
    expect(decodeHeader(Buffer.alloc(HEADER_BYTES))).toBeNull();
    expect(decodeHeader(Buffer.alloc(10))).toBeNull();
    const good = encodeHeader({ size: 1000, checksum: 'cd'.repeat(32), blockSize: 65536 });
    for (let i = 0; i < HEADER_BYTES; i++) {
      const bad = Buffer.from(good);
      bad[i]! ^= 0x10;
      expect(decodeHeader(bad), `byte ${i}`).toBeNull();
    }
  });
});

describe('size of a chunk whose header is damaged', () => {
  test('format 2 (magic intact): the data size is recovered from the file length exactly', () => {
    for (const size of [0, 1, 65535, 65536, 65537, 131077, 10 * 65536 + 3, 1_789_569_707]) {
      const header = encodeHeader({ size, checksum: '', blockSize: 65536 });
      const length = fileBytes(decodeHeader(header)!);
      header[45]! ^= 1; // damaged size field
      expect(decodeHeader(header)).toBeNull();
      expect(dataBytesOfDamaged(header, length), String(size)).toBe(size);
    }
  });
  test('otherwise: the file length minus the header', () => {
    expect(dataBytesOfDamaged(Buffer.alloc(64), 64 + 1000)).toBe(1000);
    expect(dataBytesOfDamaged(v1Header('00'.repeat(32), 5), 69)).toBe(5);
    expect(dataBytesOfDamaged(Buffer.alloc(3), 3)).toBe(0);
  });
});

/** The old 64-byte header: magic 'CHUNKv1\n' | sha256 (32) | size u64 BE | 16 zero bytes. */
function v1Header(sha: string, size: number): Buffer {
  const buf = Buffer.alloc(64);
  buf.write('CHUNKv1\n', 0, 'latin1');
  Buffer.from(sha, 'hex').copy(buf, 8);
  buf.writeBigUInt64BE(BigInt(size), 40);
  return buf;
}
