// Protocol Buffers base-128 varints of non-negative safe integers, for the messages encoded by hand
// (put-chunk-encoding.ts, get-chunk-encoding.ts). Division rather than shifts: chunk offsets past
// 4 GiB do not fit 32 bits. Pure: no I/O.

/** Bytes the varint of `n` takes. */
export function varintLength(n: number): number {
  let length = 1;
  for (; n >= 0x80; length++) n = Math.floor(n / 0x80);
  return length;
}

/** Writes the varint of `n` at `out[at]`; returns the offset after it. */
export function writeVarint(out: Buffer, at: number, n: number): number {
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out[at++] = (n % 0x80) | 0x80;
  out[at++] = n;
  return at;
}
