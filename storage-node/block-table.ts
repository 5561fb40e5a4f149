// The block checksum table of a chunk being written, built as data arrives in messages of any size:
// whole blocks are hashed in one call each, a block split across messages goes through a streaming
// hasher. Pure: no I/O.
import { Xxh64 } from '@node-rs/xxhash';
import { BLOCK_SIZE, blockChecksums, CHECKSUM_BYTES } from '../proto/block-checksums.js';

export class BlockTable {
  /** Checksums of the complete blocks so far, in the first `complete * 8` bytes. */
  private table = Buffer.allocUnsafe(64 * CHECKSUM_BYTES);
  private complete = 0;
  private readonly partial = new Xxh64();
  private partialBytes = 0;

  constructor(readonly blockSize = BLOCK_SIZE) {}

  /** Bytes appended so far. */
  get size(): number {
    return this.complete * this.blockSize + this.partialBytes;
  }

  append(data: Buffer): void {
    let at = 0;
    if (this.partialBytes > 0) {
      const take = Math.min(this.blockSize - this.partialBytes, data.length);
      this.partial.update(data.subarray(0, take));
      this.partialBytes += take;
      at = take;
      if (this.partialBytes === this.blockSize) {
        this.push(this.partial.digest());
        this.partial.reset();
        this.partialBytes = 0;
      }
    }
    const whole = Math.floor((data.length - at) / this.blockSize);
    if (whole > 0) {
      this.reserve(this.complete + whole);
      blockChecksums(data.subarray(at, at + whole * this.blockSize), this.table, this.complete * CHECKSUM_BYTES, this.blockSize);
      this.complete += whole;
      at += whole * this.blockSize;
    }
    if (at < data.length) {
      this.partial.update(data.subarray(at));
      this.partialBytes += data.length - at;
    }
  }

  /**
   * The checksums of blocks [first, first + count), the last of which may be the block still being
   * filled (its checksum so far). The result may share memory with the table: use it right away.
   */
  checksumsOf(first: number, count: number): Buffer {
    const available = this.complete + (this.partialBytes > 0 ? 1 : 0);
    if (first < 0 || count < 0 || first + count > available) {
      throw new RangeError(`blocks ${first}..${first + count} requested, ${available} known`);
    }
    if (first + count <= this.complete) {
      return this.table.subarray(first * CHECKSUM_BYTES, (first + count) * CHECKSUM_BYTES);
    }
    const out = Buffer.allocUnsafe(count * CHECKSUM_BYTES);
    this.table.copy(out, 0, first * CHECKSUM_BYTES, this.complete * CHECKSUM_BYTES);
    out.writeBigUInt64BE(this.partial.digest(), (count - 1) * CHECKSUM_BYTES);
    return out;
  }

  /** The whole table, the last short block included; append() must not be called afterwards. */
  finish(): Buffer {
    if (this.partialBytes > 0) {
      this.push(this.partial.digest());
      this.partial.reset();
      this.partialBytes = 0;
    }
    return this.table.subarray(0, this.complete * CHECKSUM_BYTES);
  }

  private push(checksum: bigint): void {
    this.reserve(this.complete + 1);
    this.table.writeBigUInt64BE(checksum, this.complete * CHECKSUM_BYTES);
    this.complete += 1;
  }

  /** Grows the table by doubling, so a chunk of n blocks costs O(n) copying in all. */
  private reserve(blocks: number): void {
    if (blocks * CHECKSUM_BYTES <= this.table.length) return;
    const grown = Buffer.allocUnsafe(Math.max(blocks * CHECKSUM_BYTES, this.table.length * 2));
    this.table.copy(grown, 0, 0, this.complete * CHECKSUM_BYTES);
    this.table = grown;
  }
}
