// Reassembles file bytes [start, end) from the chunks, all read in parallel, in file order.
import { streamedBytes } from './buffer-reclaim.js';
import { ChunkReader } from './chunk-reader.js';
import type { ChunkRow, FileRow } from '../metadata/metadata.js';
import type { NodeClient } from '../cluster/node-client.js';
import { chunkRangesFor, piecesFor } from './stripe-layout.js';

export async function* readStripes(
  file: Pick<FileRow, 'size' | 'stripe_unit' | 'stripe_width'>,
  chunks: ChunkRow[],
  start: number,
  end: number,
  clientFor: (nodeId: number) => NodeClient,
): AsyncGenerator<Buffer> {
  const layout = { unit: file.stripe_unit, width: file.stripe_width };
  const readers = new Map<number, ChunkReader>();
  try {
    // Opening every stream first lets the nodes read ahead in parallel, bounded by gRPC flow control.
    for (const range of chunkRangesFor(start, end, file.size, layout)) {
      const row = chunks[range.chunk];
      if (!row || row.chunk_number !== range.chunk) throw new Error(`metadata lacks chunk ${range.chunk}`);
      const whole = range.offset === 0 && range.length === row.size;
      readers.set(
        range.chunk,
        new ChunkReader(clientFor(row.node_id), row.chunk_id, range.offset, range.length, whole ? row.checksum : null),
      );
    }
    for (const piece of piecesFor(start, end, layout)) {
      yield* readers.get(piece.chunk)!.take(piece.length);
      streamedBytes(piece.length);
    }
  } finally {
    for (const reader of readers.values()) reader.cancel();
  }
}
