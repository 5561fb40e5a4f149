// One memcpy from `source` into `target` at `targetStart`, also when either is shared memory.
// V8 copies into and out of a SharedArrayBuffer (TypedArray.set, Buffer.copy) with relaxed atomic
// moves, which go byte by byte when the two ranges are misaligned: 230-265 ms per GiB measured
// here against 75-80 for plain memory. Buffer.fill with a Buffer value as long as the range is one
// memcpy in Node's C++ (documented: the value is written from its start, repeated if shorter).
// The stripe buffers that hash threads read are shared; those threads only read finished ranges.
export function copyBytes(target: Buffer, targetStart: number, source: Uint8Array): void {
  if (source.length === 0) return; // fill() refuses an empty value
  target.fill(source, targetStart, targetStart + source.length);
}
