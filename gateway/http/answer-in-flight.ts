// A request Node's parser refuses may be one pipelined behind a whole request whose answer is still
// being made (a client that sent more bytes than its Content-Length announced). Answers keep the
// order of requests (RFC 9112, 9.3.2): answering the refused bytes at once would come first, and the
// client would take it for the answer to its whole request (an upload stored behind a 400). So that
// answer goes out first, the connection closes after it, and the refused bytes get none.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** The answer still being made for a request received whole on this socket, if any. */
export function answerInFlight(socket: Duplex): ServerResponse | null {
  const res = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  return res && !res.writableEnded && res.req?.complete === true ? res : null;
}

/**
 * Closes the connection once `res` is sent (Connection: close), reading and dropping what the
 * client still sends meanwhile and for `lingerMs` after (an unread byte would reset the connection
 * and could discard the answer before the client reads it).
 */
export function closeAfter(res: ServerResponse, socket: Duplex, lingerMs: number): void {
  res.shouldKeepAlive = false;
  socket.on('error', () => undefined);
  socket.resume();
  res.once('close', () => setTimeout(() => socket.destroy(), lingerMs).unref());
}
