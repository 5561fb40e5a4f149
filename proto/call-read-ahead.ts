// How many received gRPC messages a call stream queues ahead of the code that reads it.
import { setDefaultHighWaterMark } from 'node:stream';

/**
 * One message (1 MiB from the gateway, up to 16 MiB from other callers) waits in a call stream;
 * HTTP/2 flow control holds back the rest, so a slow reader bounds what its peer sends.
 */
export const CALL_READ_AHEAD_MESSAGES = 1;

/**
 * grpc-js builds its call streams in object mode without a highWaterMark of their own, so they
 * take the process's default for object-mode streams, 16 messages: 16 MiB queued per call at 1 MiB
 * a message, 256 MiB at 16 MiB. In the gateway and the node every object-mode stream is a gRPC call
 * stream (HTTP, busboy and pg use byte streams; Readable.from sets its own mark), so their process
 * sets this default once at start, before the first call. Writes are unaffected in effect: both
 * processes pace their writes by write callbacks or 'drain', which a lower mark only makes sooner.
 */
export function limitCallReadAhead(messages = CALL_READ_AHEAD_MESSAGES): void {
  setDefaultHighWaterMark(true, messages);
}
