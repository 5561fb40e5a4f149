// Stripe arithmetic: a file's bytes are cut into stripe units dealt round-robin over `width` data
// chunks. Unit u of the file goes to chunk u % width, at offset floor(u / width) * unit within it.
// Each stripe (`width` data units) gets `parity` parity units, held by chunks width .. width+parity-1;
// a stripe's parity units are as long as its first data unit, so every chunk holds the units of
// stripe s from chunk offset s * unit on. Pure: no I/O.

export interface StripeLayout {
  unit: number; // bytes per stripe unit
  width: number; // data units per stripe (k): the most data chunks a file has
  parity?: number; // parity units per stripe (m), 0 when absent
}

export type ChunkRole = 'data' | 'parity';

export const parityOf = (layout: StripeLayout): number => layout.parity ?? 0;

export const roleOf = (chunk: number, layout: StripeLayout): ChunkRole => (chunk < layout.width ? 'data' : 'parity');

/** Bytes of file data in one full stripe. */
export const stripeBytes = (layout: StripeLayout): number => layout.unit * layout.width;

/** Number of stripes of a file of `size` bytes (the last may be partial). */
export const stripeCount = (size: number, layout: StripeLayout): number => Math.ceil(size / stripeBytes(layout));

/** How many chunks a file of `size` bytes uses: one per stripe unit, at most `width`. */
export function chunkCount(size: number, layout: StripeLayout): number {
  return Math.min(layout.width, Math.ceil(size / layout.unit));
}

/** Number of bytes of chunk `chunk` that hold file bytes before file offset `offset`. */
export function chunkBytesBefore(offset: number, chunk: number, layout: StripeLayout): number {
  const unitIndex = Math.floor(offset / layout.unit);
  const rounds = Math.floor(unitIndex / layout.width);
  const position = unitIndex % layout.width;
  const partial = chunk < position ? layout.unit : chunk === position ? offset % layout.unit : 0;
  return rounds * layout.unit + partial;
}

/** Sizes of every data chunk of a file of `size` bytes. */
export function chunkSizes(size: number, layout: StripeLayout): number[] {
  return Array.from({ length: chunkCount(size, layout) }, (_, c) => chunkBytesBefore(size, c, layout));
}

/**
 * The chunk numbers of a file: its data chunks 0 .. d-1 (d = one per stripe unit, at most `width`),
 * then, for a non-empty file, its parity chunks width .. width+parity-1 (a small file keeps full
 * redundancy: its absent data units count as zeros).
 */
export function chunkNumbers(size: number, layout: StripeLayout): number[] {
  const data = Array.from({ length: chunkCount(size, layout) }, (_, c) => c);
  if (size === 0) return data;
  return [...data, ...Array.from({ length: parityOf(layout) }, (_, j) => layout.width + j)];
}

/** Bytes held by chunk `chunk` (data or parity) of a file of `size` bytes. */
export function chunkLength(size: number, chunk: number, layout: StripeLayout): number {
  return chunkBytesBefore(size, chunk < layout.width ? chunk : 0, layout);
}

/** Length of data unit `i` of stripe `stripe` (0 past the end of the file). */
export function unitLength(size: number, stripe: number, i: number, layout: StripeLayout): number {
  const start = (stripe * layout.width + i) * layout.unit;
  return Math.max(0, Math.min(layout.unit, size - start));
}

/** Where file offset `offset` lives: which chunk, and the offset within that chunk. */
export function locate(offset: number, layout: StripeLayout): { chunk: number; chunkOffset: number } {
  const unitIndex = Math.floor(offset / layout.unit);
  const chunk = unitIndex % layout.width;
  return { chunk, chunkOffset: Math.floor(unitIndex / layout.width) * layout.unit + (offset % layout.unit) };
}

export interface ChunkRange {
  chunk: number;
  offset: number; // first byte within the chunk
  length: number;
}

/**
 * The part of each chunk needed to serve file bytes [start, end). Because a chunk holds its units in
 * file order, that part is one contiguous range per chunk. Chunks with nothing to give are left out.
 */
export function chunkRangesFor(start: number, end: number, size: number, layout: StripeLayout): ChunkRange[] {
  const ranges: ChunkRange[] = [];
  for (let chunk = 0; chunk < chunkCount(size, layout); chunk++) {
    const from = chunkBytesBefore(start, chunk, layout);
    const to = chunkBytesBefore(end, chunk, layout);
    if (to > from) ranges.push({ chunk, offset: from, length: to - from });
  }
  return ranges;
}

export interface Piece {
  chunk: number;
  length: number;
}

/** The file bytes [start, end) as consecutive pieces, each inside one stripe unit, in file order. */
export function* piecesFor(start: number, end: number, layout: StripeLayout): Generator<Piece> {
  let offset = start;
  while (offset < end) {
    const unitEnd = (Math.floor(offset / layout.unit) + 1) * layout.unit;
    const length = Math.min(unitEnd, end) - offset;
    yield { chunk: Math.floor(offset / layout.unit) % layout.width, length };
    offset += length;
  }
}
