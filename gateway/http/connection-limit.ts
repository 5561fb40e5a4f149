// A bound on the open connections of one HTTP server. A connection beyond it is answered 503 with
// Retry-After as soon as it is accepted (before its request is read) and closed; it is not queued.
// Refused connections linger briefly (see lingering-close.ts), so a hard cap of twice the bound on
// all sockets (Node's maxConnections, which drops without an answer) holds even under a flood.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { connectionEvent } from './http-server-factory.js';
import { endLingering } from './lingering-close.js';

const LINGER_MS = 1_000;

const refused = new WeakSet<object>();

/**
 * Whether the server refused this connection: the request a client sends on it anyway must not be
 * handled (Node's parser still reads it off the socket). Request handlers check this first.
 */
export const isRefusedConnection = (socket: object): boolean => refused.has(socket);

/** The raw HTTP/1.1 answer of a refusal, with its body (JSON or XML) and Connection: close. */
export function rawAnswer(status: number, reason: string, headers: Record<string, string>, body: string): string {
  const lines = Object.entries({ ...headers, Date: new Date().toUTCString(), 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' }).map(([n, v]) => `${n}: ${v}`);
  return `HTTP/1.1 ${status} ${reason}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** At most `max` connections are served at once; `refusal` gives the raw answer of one beyond. */
export function limitConnections(server: Server, max: number, refusal: () => string): void {
  let open = 0;
  // Before Node's own listener, so a refused connection's answer is the first thing written to it.
  // With HTTPS, connections are counted once their handshake is done (handshakes in progress are
  // bounded by the hard cap and the handshake timeout), and the answer goes through TLS.
  server.prependListener(connectionEvent(server), (socket: Socket) => {
    if (open < max) {
      open++;
      socket.once('close', () => open--);
      return;
    }
    refused.add(socket);
    endLingering(socket, refusal(), LINGER_MS);
  });
  server.maxConnections = max * 2;
}
