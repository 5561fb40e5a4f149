// The erasure code of the data path: k data shards and m parity shards (Reed-Solomon), any k of the
// k + m rebuild the others. The rest of the code uses this class, never the library behind it.
//
// The work is done by the native addon @ronomon/reed-solomon (C, MIT; on libuv's thread pool, so the
// event loop stays free). It codes each shard as packets of shardSize / w bytes combined by a bit
// matrix, not byte by byte, and takes only shard sizes that are multiples of 8. Zero-padding a shard
// and cutting the parity back would NOT be exact: the cut-off parity bytes are needed to rebuild.
// So for other sizes the library codes the first shardSize - shardSize % 8 bytes of every shard
// (copied into scratch buffers), and ByteReedSolomon codes the last shardSize % 8 bytes.
//
// Parity depends on shardSize (the packet size follows it): a stripe must be rebuilt with the same
// shardSize it was encoded with, and a byte range of a shard cannot be rebuilt on its own.
import { createRequire } from 'node:module';
import { ByteReedSolomon } from './byte-reed-solomon.js';

/** The library's limits (ReedSolomon.MAX_K, MAX_M) and its 32-bit buffer sizes. */
export const MAX_DATA_SHARDS = 24;
export const MAX_PARITY_SHARDS = 6;
const MAX_BUFFER_BYTES = 0xffff_ffff;
const ALIGNMENT = 8;

interface ReedSolomonBinding {
  create(k: number, m: number): Buffer;
  encode(
    context: Buffer,
    sources: number,
    targets: number,
    buffer: Buffer,
    bufferOffset: number,
    bufferSize: number,
    parity: Buffer,
    parityOffset: number,
    paritySize: number,
    callback: (error?: Error) => void,
  ): void;
}

function loadBinding(): ReedSolomonBinding {
  try {
    return createRequire(import.meta.url)('@ronomon/reed-solomon') as ReedSolomonBinding;
  } catch (error) {
    throw new Error(
      `the native Reed-Solomon addon @ronomon/reed-solomon did not load (${(error as Error).message}); ` +
        'its install script compiles it: run `npm rebuild @ronomon/reed-solomon` with python3, make and g++ present',
      { cause: error },
    );
  }
}

const binding = loadBinding();

// One library context per (k, m); a context may be shared by concurrent calls.
const contexts = new Map<string, Buffer>();

function contextFor(k: number, m: number): Buffer {
  const key = `${k}+${m}`;
  let context = contexts.get(key);
  if (!context) {
    context = binding.create(k, m);
    contexts.set(key, context);
  }
  return context;
}

/** One call of the library: rewrites the `targets` shards from the `sources` shards (bit i = shard i). */
function runLibrary(context: Buffer, sources: number, targets: number, data: Buffer, parity: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    binding.encode(context, sources, targets, data, 0, data.length, parity, 0, parity.length, (error) =>
      error ? reject(error) : resolve(),
    );
  });
}

export class ErasureCoder {
  private readonly context: Buffer | undefined; // none when m = 0: there is nothing to code
  private readonly tailCode: ByteReedSolomon;

  constructor(
    readonly k: number,
    readonly m: number,
  ) {
    if (!Number.isInteger(k) || k < 1 || k > MAX_DATA_SHARDS) {
      throw new RangeError(`ErasureCoder: k (data shards) must be an integer from 1 to ${MAX_DATA_SHARDS}, got ${k}`);
    }
    if (!Number.isInteger(m) || m < 0 || m > MAX_PARITY_SHARDS) {
      throw new RangeError(`ErasureCoder: m (parity shards) must be an integer from 0 to ${MAX_PARITY_SHARDS}, got ${m}`);
    }
    this.context = m > 0 ? contextFor(k, m) : undefined;
    this.tailCode = new ByteReedSolomon(k, m);
  }

  /**
   * Computes the parity. data: the k data shards of shardSize bytes back to back; parity: room for
   * the m parity shards of shardSize bytes back to back, written. Neither buffer may be touched until
   * the promise settles (the library works on them from another thread).
   */
  async encode(data: Buffer, parity: Buffer, shardSize: number): Promise<void> {
    this.checkBuffers(data, parity, shardSize);
    if (this.m === 0 || shardSize === 0) return;
    const parityShards = Array.from({ length: this.m }, (_, j) => this.k + j);
    await this.rebuild(data, parity, shardSize, parityShards);
  }

  /**
   * Rebuilds in place the shards listed in `missing` (0..k-1 data, k..k+m-1 parity) from all the
   * others, which must hold their true bytes and are only read: list every shard you do not have,
   * even one you do not need (it is rebuilt too). At most m may be missing.
   */
  async reconstruct(data: Buffer, parity: Buffer, shardSize: number, missing: readonly number[]): Promise<void> {
    this.checkBuffers(data, parity, shardSize);
    this.checkMissing(missing);
    if (missing.length === 0 || shardSize === 0) return;
    await this.rebuild(data, parity, shardSize, missing);
  }

  private async rebuild(data: Buffer, parity: Buffer, shardSize: number, missing: readonly number[]): Promise<void> {
    const { k, m } = this;
    // Every shard not missing is a source: the library then writes the targets only, and a parity
    // shard that is present is not computed again.
    const targets = missing.reduce((mask, i) => mask | (1 << i), 0);
    const sources = ((1 << (k + m)) - 1) & ~targets;
    const aligned = shardSize - (shardSize % ALIGNMENT);
    if (aligned === shardSize) {
      await runLibrary(this.context!, sources, targets, data, parity);
      return;
    }
    const shard = (i: number): Buffer => shardOf(data, parity, k, shardSize, i);
    if (aligned > 0) {
      const scratchData = Buffer.allocUnsafe(k * aligned);
      const scratchParity = Buffer.allocUnsafe(m * aligned);
      const scratch = (i: number): Buffer => shardOf(scratchData, scratchParity, k, aligned, i);
      for (let i = 0; i < k + m; i++) if (sources & (1 << i)) shard(i).copy(scratch(i), 0, 0, aligned);
      await runLibrary(this.context!, sources, targets, scratchData, scratchParity);
      for (const i of missing) scratch(i).copy(shard(i));
    }
    const shards = Array.from({ length: k + m }, (_, i) => shard(i));
    this.tailCode.rebuild(shards, missing, aligned, shardSize);
  }

  private checkBuffers(data: Buffer, parity: Buffer, shardSize: number): void {
    const { k, m } = this;
    if (!Number.isSafeInteger(shardSize) || shardSize < 0) {
      throw new RangeError(`ErasureCoder: shardSize must be an integer >= 0, got ${shardSize}`);
    }
    if (k * shardSize > MAX_BUFFER_BYTES) {
      throw new RangeError(`ErasureCoder: k * shardSize = ${k * shardSize} bytes is over the library's limit of ${MAX_BUFFER_BYTES}`);
    }
    if (!Buffer.isBuffer(data) || data.length !== k * shardSize) {
      throw new RangeError(`ErasureCoder: data must be a Buffer of k * shardSize = ${k} * ${shardSize} bytes, got ${sizeOf(data)}`);
    }
    if (!Buffer.isBuffer(parity) || parity.length !== m * shardSize) {
      throw new RangeError(`ErasureCoder: parity must be a Buffer of m * shardSize = ${m} * ${shardSize} bytes, got ${sizeOf(parity)}`);
    }
    // Shards that share memory would make the library read what it writes (and its asserts abort the process).
    if (data.buffer === parity.buffer && data.length > 0 && parity.length > 0) {
      const overlap = data.byteOffset < parity.byteOffset + parity.length && parity.byteOffset < data.byteOffset + data.length;
      if (overlap) throw new RangeError('ErasureCoder: data and parity must not overlap');
    }
  }

  private checkMissing(missing: readonly number[]): void {
    const { k, m } = this;
    if (!Array.isArray(missing)) throw new TypeError('ErasureCoder: missing must be an array of shard indexes');
    if (missing.length > m) {
      throw new RangeError(`ErasureCoder: ${missing.length} shards missing, but ${k}+${m} can rebuild at most ${m}`);
    }
    const seen = new Set<number>();
    for (const i of missing) {
      if (!Number.isInteger(i) || i < 0 || i >= k + m) {
        throw new RangeError(`ErasureCoder: missing shard index ${i} is not in 0..${k + m - 1}`);
      }
      if (seen.has(i)) throw new RangeError(`ErasureCoder: missing shard index ${i} is listed twice`);
      seen.add(i);
    }
  }
}

/** Shard i (0..k-1 in `data`, k.. in `parity`) of a stripe of `size`-byte shards. */
function shardOf(data: Buffer, parity: Buffer, k: number, size: number, i: number): Buffer {
  return i < k ? data.subarray(i * size, (i + 1) * size) : parity.subarray((i - k) * size, (i - k + 1) * size);
}

const sizeOf = (value: unknown): string =>
  Buffer.isBuffer(value) ? `${value.length} bytes` : `a ${value === null ? 'null' : typeof value}`;
