// Ends a connection with a last answer and keeps reading (and dropping) what the client still sends
// for a moment: a socket destroyed with unread bytes is reset, and the reset can discard the answer
// before the client has read it. The socket is destroyed when the client closes, or after `ms`.
import type { Duplex } from 'node:stream';

export function endLingering(socket: Duplex, answer: string, ms: number): void {
  socket.on('error', () => undefined);
  socket.end(answer);
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), ms);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
