// A systematic Reed-Solomon code over GF(2^8) that works byte by byte, in plain JavaScript: byte p
// of parity shard j is a fixed combination of byte p of the k data shards, so any byte range can be
// coded on its own. It costs a table lookup per byte and coefficient, far slower than the native
// library; erasure-code.ts uses it only for the last shardSize % 8 bytes of each shard, which the
// native library cannot code exactly. Pure: no I/O.

// GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d); EXP is doubled so that
// EXP[LOG[a] + LOG[b]] needs no modulo.
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
for (let i = 0, x = 1; i < 255; i++) {
  EXP[i] = x;
  LOG[x] = i;
  x <<= 1;
  if (x & 0x100) x ^= 0x11d;
}
for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;

const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!);
const inverse = (a: number): number => EXP[255 - LOG[a]!]!;

/** Inverse of a square matrix over GF(2^8), by Gauss-Jordan elimination. */
export function invertMatrix(rows: readonly Uint8Array[]): Uint8Array[] {
  const n = rows.length;
  const a = rows.map((row) => Uint8Array.from(row));
  const b = rows.map((_, i) => {
    const row = new Uint8Array(n);
    row[i] = 1;
    return row;
  });
  for (let col = 0; col < n; col++) {
    const pivot = a.findIndex((row, r) => r >= col && row[col] !== 0);
    if (pivot < 0) throw new Error('singular matrix');
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    [b[col], b[pivot]] = [b[pivot]!, b[col]!];
    const scale = inverse(a[col]![col]!);
    for (let c = 0; c < n; c++) {
      a[col]![c] = mul(a[col]![c]!, scale);
      b[col]![c] = mul(b[col]![c]!, scale);
    }
    const pivotA = a[col]!;
    const pivotB = b[col]!;
    for (let r = 0; r < n; r++) {
      const rowA = a[r]!;
      const rowB = b[r]!;
      const factor = rowA[col]!;
      if (r === col || factor === 0) continue;
      for (let c = 0; c < n; c++) {
        rowA[c] = rowA[c]! ^ mul(factor, pivotA[c]!);
        rowB[c] = rowB[c]! ^ mul(factor, pivotB[c]!);
      }
    }
  }
  return b;
}

/** target[p] = sum over r of coefficients[r] * sources[r][p], for p in [from, to). */
function combine(coefficients: Uint8Array, sources: readonly Uint8Array[], target: Uint8Array, from: number, to: number): void {
  for (let p = from; p < to; p++) {
    let byte = 0;
    for (let r = 0; r < sources.length; r++) byte ^= mul(coefficients[r]!, sources[r]![p]!);
    target[p] = byte;
  }
}

export class ByteReedSolomon {
  /**
   * Row j gives parity shard j from the k data shards: the Cauchy matrix 1 / ((k + j) xor i). Every
   * square submatrix of a Cauchy matrix is invertible, so any k rows of [identity; these rows] are:
   * any k shards rebuild the others.
   */
  private readonly parityRows: Uint8Array[];

  constructor(
    readonly k: number,
    readonly m: number,
  ) {
    if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 0 || k + m > 256) {
      throw new RangeError(`ByteReedSolomon: need 1 <= k, 0 <= m, k + m <= 256, got k = ${k}, m = ${m}`);
    }
    this.parityRows = Array.from({ length: m }, (_, j) => Uint8Array.from({ length: k }, (_, i) => inverse((k + j) ^ i)));
  }

  /**
   * Rewrites bytes [from, to) of the shards listed in `missing` (0..k-1 data, k..k+m-1 parity) from
   * the first k shards not listed. `shards` holds all k + m shards; encoding is rebuilding every
   * parity shard. The caller checks that at most m are missing.
   */
  rebuild(shards: readonly Uint8Array[], missing: readonly number[], from: number, to: number): void {
    const { k } = this;
    const lost = new Set(missing);
    const lostData = missing.filter((i) => i < k);
    if (lostData.length > 0) {
      const survivors = shards.map((_, i) => i).filter((i) => !lost.has(i)).slice(0, k);
      const decoding = invertMatrix(survivors.map((i) => (i < k ? unitRow(k, i) : this.parityRows[i - k]!)));
      const sources = survivors.map((i) => shards[i]!);
      for (const i of lostData) combine(decoding[i]!, sources, shards[i]!, from, to);
    }
    const data = shards.slice(0, k);
    for (const i of missing) if (i >= k) combine(this.parityRows[i - k]!, data, shards[i]!, from, to);
  }
}

function unitRow(k: number, i: number): Uint8Array {
  const row = new Uint8Array(k);
  row[i] = 1;
  return row;
}
