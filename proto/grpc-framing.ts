// gRPC's 5-byte message prefix (a compressed flag and the length), written by our own encoders in
// front of their messages so that grpc-js sends their buffer as it is. Unpatched, grpc-js copies
// every message into a fresh framed buffer: for the gateway's 1 MiB PutChunk messages and the
// node's GetChunk answers that is a copy of every byte moved and a 1 MiB allocation per message,
// whose external memory drove most of the gateway's full garbage collections during uploads.
// patches/@grpc+grpc-js+*.patch teaches grpc-js to take a message marked as framed as it is.
import * as grpc from '@grpc/grpc-js';

export const FRAME_HEADER_BYTES = 5;

const FRAMED_MESSAGE: unique symbol = Symbol.for('grpc-js.framed-message') as never;

/** The installed grpc-js sends marked messages as they are (false if patches/ was not applied). */
export const framesInPlace = (grpc.experimental as Record<string, unknown>)['FRAMED_MESSAGE'] === FRAMED_MESSAGE;

/**
 * A message already encoded into `message`, a view of `buffer` (which may have room in front of it
 * for the prefix): what our encoders give the serializers, which hand framed() to grpc-js.
 */
export class EncodedMessage {
  readonly start: number;
  readonly end: number;

  constructor(
    readonly buffer: Buffer,
    message: Buffer,
  ) {
    this.start = message.byteOffset - buffer.byteOffset;
    this.end = this.start + message.length;
  }

  framed(): Buffer {
    return framedMessage(this.buffer, this.start, this.end);
  }
}

/**
 * A message encoded at buffer[start, end), to hand to grpc-js from a serializer. With at least
 * FRAME_HEADER_BYTES of room in front of it, the prefix is written there and the framed view is
 * returned, marked, so grpc-js sends it without copying; the buffer must then stay unchanged until
 * the write's callback. Otherwise the bare message is returned and grpc-js frames a copy.
 */
export function framedMessage(buffer: Buffer, start: number, end: number): Buffer {
  if (!framesInPlace || start < FRAME_HEADER_BYTES) return buffer.subarray(start, end);
  const at = start - FRAME_HEADER_BYTES;
  buffer[at] = 0; // not compressed
  buffer.writeUInt32BE(end - start, at + 1);
  const framed = buffer.subarray(at, end) as Buffer & { [FRAMED_MESSAGE]?: true };
  framed[FRAMED_MESSAGE] = true;
  return framed;
}
