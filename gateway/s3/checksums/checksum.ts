// Streaming checksums as S3 returns them (base64 of the big-endian digest), behind one interface.
// CRC32 and CRC32C come from @node-rs/crc32 (SIMD, 0.08 and 0.19 CPU-s per GiB here), CRC64NVME
// from the AWS SDK's package (crc64-nvme.ts), SHA1, SHA256 and MD5 from node:crypto.
import { crc32, crc32c } from '@node-rs/crc32';
import { createHash } from 'node:crypto';
import type { ChecksumAlgorithm } from './checksum-algorithm.js';
import { Crc64NvmeHasher } from './crc64-nvme.js';

export interface Checksum {
  update(data: Uint8Array): void;
  /** The checksum so far, base64 (hex for the ETag hasher). The checksum stays usable after. */
  digest(): Promise<string>;
}

class Crc32Checksum implements Checksum {
  private state = 0;

  constructor(private readonly crc: typeof crc32) {}

  update(data: Uint8Array): void {
    this.state = this.crc(data, this.state);
  }

  async digest(): Promise<string> {
    const bytes = Buffer.allocUnsafe(4);
    bytes.writeUInt32BE(this.state >>> 0);
    return bytes.toString('base64');
  }
}

class HashChecksum implements Checksum {
  private readonly hash;

  constructor(
    algorithm: string,
    private readonly encoding: 'base64' | 'hex',
  ) {
    this.hash = createHash(algorithm);
  }

  update(data: Uint8Array): void {
    this.hash.update(data);
  }

  async digest(): Promise<string> {
    // A copy, so that digest() can be asked for more than once, like the CRCs.
    return this.hash.copy().digest(this.encoding);
  }
}

class Crc64NvmeChecksum implements Checksum {
  private readonly hasher = new Crc64NvmeHasher();

  update(data: Uint8Array): void {
    this.hasher.update(data);
  }

  async digest(): Promise<string> {
    return (await this.hasher.digest()).toString('base64');
  }
}

/** A running checksum of `algorithm`; MD5 gives the base64 of Content-MD5. */
export function createChecksum(algorithm: ChecksumAlgorithm | 'MD5'): Checksum {
  switch (algorithm) {
    case 'CRC32':
      return new Crc32Checksum(crc32);
    case 'CRC32C':
      return new Crc32Checksum(crc32c);
    case 'CRC64NVME':
      return new Crc64NvmeChecksum();
    case 'SHA1':
      return new HashChecksum('sha1', 'base64');
    case 'SHA256':
      return new HashChecksum('sha256', 'base64');
    case 'MD5':
      return new HashChecksum('md5', 'base64');
  }
}

/** The MD5 of an object in lower-case hex, as S3's ETag of a single-part upload. */
export function createEtagHasher(): Checksum {
  return new HashChecksum('md5', 'hex');
}
