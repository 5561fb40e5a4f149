// The one place the gateway's HTTP servers (REST and S3) are made: plain HTTP, or HTTPS with the
// same options, handlers and limits when a certificate is configured (TLS_CERT/TLS_KEY). Node's
// https server is its http server behind TLS: the same parser options (headersTimeout,
// maxHeaderSize, ...), 'request', 'checkContinue', 'checkExpectation' and 'clientError' events.
import { createServer as createPlainServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { KeyPair } from '../../proto/tls-files.js';

export function createHttpServer(
  options: ServerOptions,
  tls: KeyPair | undefined,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  if (!tls) return createPlainServer(options, listener);
  const server = createTlsServer(
    {
      ...options,
      cert: tls.cert,
      key: tls.key,
      // A handshake gets the time a request head gets (Node's default is 120 s), so a client that
      // connects and stays silent is cut as soon as one that stops halfway through its head.
      handshakeTimeout: options.headersTimeout,
    },
    listener,
  );
  // Node hands a failed handshake (a plain HTTP request, a client that distrusts the certificate, a
  // handshake timeout) to 'clientError', whose listeners answer in HTTP through TLS: nobody there to
  // read it. The connection is closed instead.
  server.removeAllListeners('tlsClientError');
  server.on('tlsClientError', (_err: Error, socket: Socket) => socket.destroy());
  return server;
}

/**
 * The event that hands a server its new connections as the request handlers will see them (req.socket):
 * the TLS socket once its handshake is done for HTTPS, the TCP socket for HTTP. Anything written to
 * a connection before its first request (a refusal) must be written there.
 */
export const connectionEvent = (server: Server): 'connection' | 'secureConnection' =>
  (server as unknown) instanceof TlsServer ? 'secureConnection' : 'connection';
