// Buffers the listing documents are written into, kept between requests: a fresh buffer grown from
// 64 KiB for every page of 1,000 keys cost more than the rest of the rendering on this machine
// (copies as it grew and first touches of new memory: a quarter of the gateway's time over a run of
// first pages). A few are kept, for listings answered at the same time; more are allocated.
import type { ServerResponse } from 'node:http';

const BUFFER_BYTES = 256 * 1024;
const KEPT = 4;
const kept: Buffer[] = [];

/** A buffer to render a listing into. */
export function listingBuffer(): Buffer {
  return kept.pop() ?? Buffer.allocUnsafe(BUFFER_BYTES);
}

/**
 * Keeps the buffer `document` was rendered in (grown, if it had to be) once `res` has closed: the
 * answer is then written out or given up on.
 */
export function keepAfterAnswer(res: ServerResponse, document: Buffer): void {
  res.once('close', () => {
    // A rendered document starts its own ArrayBuffer (allocUnsafe of more than 4 KiB is never cut
    // from Node's shared pool); anything else is left to the garbage collector.
    if (kept.length < KEPT && document.byteOffset === 0) kept.push(Buffer.from(document.buffer));
  });
}
