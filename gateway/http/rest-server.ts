// The REST API's HTTP server: the express app behind the limits of server-limits.ts, with every
// answer Node would give by itself (a request its parser refuses, no Host header, an unknown Expect,
// a connection beyond the limit) given as the API's JSON error instead of a bare status line.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import type { KeyPair } from '../../proto/tls-files.js';
import { isRefusedConnection, rawAnswer } from './connection-limit.js';
import { createHttpServer } from './http-server-factory.js';
import { expressMessages } from './express-messages.js';
import { answerInFlight, closeAfter } from './answer-in-flight.js';
import { answerHalfClosedClients } from './half-close.js';
import { endLingering } from './lingering-close.js';
import { parserRefusal } from './parser-refusal.js';
import { applyServerLimits, limitedServerOptions, type ServerLimits } from './server-limits.js';

const LINGER_MS = 2_000;

const jsonError = (code: string, message: string): string => JSON.stringify({ error: message, code });

function answerJson(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = jsonError(code, message);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** `tls`: HTTPS with this certificate (TLS_CERT/TLS_KEY); unset: HTTP. */
export function createRestServer(app: Express, limits: ServerLimits, tls?: KeyPair): Server {
  const answered = new WeakSet<Duplex>();
  const options = { ...limitedServerOptions(limits), requireHostHeader: false, ...expressMessages(app) };
  const server = createHttpServer(options, tls, (req: IncomingMessage, res: ServerResponse) => {
    if (isRefusedConnection(req.socket)) {
      req.resume(); // answered 503 when it connected; it closes shortly
      return;
    }
    if (req.headers.host === undefined && req.httpVersion === '1.1') {
      // RFC 9112: an HTTP/1.1 request without Host is a 400 (Node's own check answers with no body).
      answerJson(res, 400, 'InvalidRequest', 'an HTTP/1.1 request needs a Host header', { Connection: 'close' });
      return;
    }
    app(req, res);
  });
  // Expect: 100-continue is answered by Node; any other expectation cannot be met.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    answerJson(res, 417, 'ExpectationFailed', `the expectation ${JSON.stringify(String(req.headers.expect).slice(0, 64))} cannot be met; only 100-continue is supported`, {
      Connection: 'close',
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException & { reason?: string; rawPacket?: Buffer }, socket: Duplex) => {
    if (answered.has(socket)) return; // the parser fails again on what follows; the first answer stands
    const inFlight = answerInFlight(socket);
    if (inFlight) {
      answered.add(socket);
      closeAfter(inFlight, socket, LINGER_MS);
      return;
    }
    const response = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (!socket.writable || err.code === 'ECONNRESET' || response?.headersSent) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    const r = parserRefusal(err.code, err.reason, err.rawPacket, limits);
    endLingering(socket, rawAnswer(r.status, r.reason, { 'Content-Type': 'application/json; charset=utf-8' }, jsonError(r.code, r.message)), LINGER_MS);
  });
  answerHalfClosedClients(server);
  applyServerLimits(server, limits, () =>
    rawAnswer(
      503,
      'Service Unavailable',
      { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '1' },
      jsonError('TooManyConnections', `this server is at its limit of ${limits.maxConnections} open connections; retry shortly`),
    ),
  );
  return server;
}
