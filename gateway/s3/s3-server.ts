// The S3 endpoint: its own HTTP server on S3_PORT. Each request gets a request id, is addressed
// (bucket, key), routed to an operation, authenticated (SigV4) and authorised before its body is
// read, then handled; any failure is answered as S3 XML.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ObjectStore } from '../metadata/object-store.js';
import { isClientAbort, toApiError } from '../http/error-handler.js';
import { corsResponseHeaders, preflight, type CorsRule } from './cors-rules.js';
import { parseS3Address } from './s3-address.js';
import type { S3Context, S3Identity } from './s3-context.js';
import { S3Error, s3Errors } from './s3-error.js';
import { READ_OPERATIONS, s3Operation, type S3Operation } from './s3-operation.js';
import { errorDocument } from './s3-xml.js';
import type { ObjectPayload } from './object-service.js';
import type { ChecksumAlgorithm } from './checksums/checksum-algorithm.js';
import { isS3AuthError } from './auth/s3-auth-error.js';
import { KeySecretUnreadable } from '../auth/access-keys.js';
import { answerInFlight, closeAfter } from '../http/answer-in-flight.js';
import { answerHalfClosedClients } from '../http/half-close.js';
import { isRefusedConnection, rawAnswer } from '../http/connection-limit.js';
import { createHttpServer } from '../http/http-server-factory.js';
import type { KeyPair } from '../../proto/tls-files.js';
import { applyServerLimits, limitedServerOptions, type ServerLimits } from '../http/server-limits.js';
import type { UploadSlots } from '../http/upload-slots.js';
import { observeRequest } from '../metrics/http-metrics.js';
import { log } from '../../proto/log.js';
import { runWithRequestId } from '../../proto/request-context.js';
import { logWhenDone } from '../http/access-log.js';
import { consoleCorsHeaders, consolePreflightHeaders, isConsoleOrigin, type ConsoleSite } from './console-cors.js';

/** Authenticates a request from its head; the body is decoded and verified as it is read. */
export interface S3Authenticator {
  authenticate(req: IncomingMessage): Promise<{
    identity: S3Identity;
    payload: (uploadAlgorithm?: ChecksumAlgorithm) => ObjectPayload;
    body: () => AsyncIterable<Buffer>;
  }>;
}

export type S3Handler = (ctx: S3Context) => Promise<void>;

export interface S3ServerOptions {
  store: ObjectStore;
  auth: S3Authenticator;
  handlers: Record<S3Operation, S3Handler>;
  domains: string[]; // virtual-host style: bucket.<domain>
  limits: ServerLimits;
  uploadSlots: UploadSlots; // shared with the REST API's uploads
  tls?: KeyPair; // HTTPS with this certificate (TLS_CERT/TLS_KEY); unset: HTTP
  console?: () => ConsoleSite; // the web console's origin may call every operation (console-cors.ts)
}

/** Unread bytes up to which a refused body is read and dropped with the connection kept open. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/** Operations that stream a body (or a copy) into new chunks: each takes an upload slot. */
const UPLOAD_OPERATIONS = new Set<S3Operation>(['PutObject', 'UploadPart', 'CopyObject', 'UploadPartCopy']);

/** Operations that need the root key: they change the set of buckets. */
const ROOT_OPERATIONS = new Set<S3Operation>(['CreateBucket', 'DeleteBucket']);

function toS3Error(err: unknown): S3Error {
  if (err instanceof S3Error) return err;
  // The client's connection went away (or was cut for idling) while its body was read.
  if (isClientAbort(err)) return s3Errors.incompleteBody();
  if (isS3AuthError(err)) return new S3Error(err.httpStatus, err.code, err.message, { fields: err.details });
  if (err instanceof KeySecretUnreadable) return new S3Error(500, 'InternalError', 'The secret of this access key cannot be read by this gateway (see its log).');
  const api = toApiError(err); // the same causes as the REST API: storage or database unavailable, ...
  if (api.status === 503) return s3Errors.serviceUnavailable(api.message);
  if (api.status === 413) return s3Errors.entityTooLarge(0);
  if (api.status >= 400 && api.status < 500) return new S3Error(api.status, api.code === 'ClientAborted' ? 'IncompleteBody' : 'InvalidRequest', api.message);
  return s3Errors.internal();
}

const newRequestId = (): string => randomBytes(8).toString('hex').toUpperCase();

/** The S3 error for a request Node's HTTP parser refused before any handler saw it. */
function clientErrorOf(code: string | undefined): S3Error {
  if (code === 'HPE_HEADER_OVERFLOW') return new S3Error(400, 'RequestHeaderSectionTooLarge', 'Your request header section exceeds the maximum allowed size.');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new S3Error(400, 'RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period.');
  }
  return new S3Error(400, 'InvalidRequest', 'The request could not be parsed as HTTP/1.1.');
}

/** How long a connection closed after a refusal keeps reading what its client still sends. */
const LINGER_MS = 2_000;

/** Connections that close once their answer in flight is sent (the parser fails again on what follows). */
const closing = new WeakSet<Duplex>();

/** Answers a request the parser refused as S3 XML with a request id (Node's own answer has neither). */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = answerInFlight(socket);
  if (inFlight) {
    // The refused bytes follow a whole request still being answered: its answer goes first.
    if (!closing.has(socket)) closeAfter(inFlight, socket, LINGER_MS);
    closing.add(socket);
    return;
  }
  const response = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (!socket.writable || err.code === 'ECONNRESET' || response?.headersSent) {
    socket.destroy();
    return;
  }
  const e = clientErrorOf(err.code);
  const requestId = newRequestId();
  const text = errorDocument(e, '/', requestId);
  socket.end(
    `HTTP/1.1 ${e.status} Bad Request\r\nx-amz-request-id: ${requestId}\r\nServer: objstore\r\nContent-Type: application/xml\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

function authorise(identity: S3Identity, op: S3Operation, bucket: string | null): void {
  if (op === 'ListBuckets') return; // lists only what the key may see
  if (ROOT_OPERATIONS.has(op)) {
    if (!identity.isRoot) throw s3Errors.accessDenied();
    return;
  }
  if (!identity.can(bucket!, READ_OPERATIONS.has(op) ? 'read' : 'write')) throw s3Errors.accessDenied();
}

export function createS3Server(options: S3ServerOptions): Server {
  const { store, auth, handlers, domains, uploadSlots } = options;

  async function bucketCors(name: string | null): Promise<CorsRule[] | null> {
    if (!name) return null;
    return ((await store.bucket(name))?.cors as CorsRule[] | null) ?? null;
  }

  /** Runs the request with its id in the request context (logs, calls to the nodes) and logs it when done. */
  function serve(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    if (isRefusedConnection(req.socket)) {
      req.resume(); // answered 503 when it connected; it closes shortly
      return;
    }
    const requestId = newRequestId();
    logWhenDone(req, res, { api: 's3', reqId: requestId });
    void runWithRequestId(requestId, () => handle(req, res, expectsContinue, requestId));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean, requestId: string): Promise<void> {
    let release: (() => void) | null = null;
    let operation = 'unknown'; // the metrics' route label: the operation, once the request names one
    observeRequest('s3', req, res, () => operation);
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', randomBytes(24).toString('base64'));
    res.setHeader('Server', 'objstore');
    let resource = '/';
    try {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      const address = parseS3Address(req.headers.host, q < 0 ? url : url.slice(0, q), domains);
      resource = address.resource;
      const origin = req.headers.origin;
      // Before anything can fail: the console reads error answers too.
      const fromConsole = options.console !== undefined && isConsoleOrigin(origin, req.headers.host, options.console());
      if (fromConsole) for (const [name, value] of Object.entries(consoleCorsHeaders(origin!))) res.setHeader(name, value);
      if (req.method === 'OPTIONS' && fromConsole) {
        res.writeHead(200, { ...consolePreflightHeaders(origin!, req.headers['access-control-request-headers'] as string | undefined), 'Content-Length': '0' });
        res.end();
        return;
      }
      if (req.method === 'OPTIONS') {
        operation = 'Preflight';
        const headers = preflight(await bucketCors(address.bucket), origin, req.headers['access-control-request-method'] as string | undefined, req.headers['access-control-request-headers'] as string | undefined);
        res.writeHead(200, { ...headers, 'Content-Length': '0' });
        res.end();
        return;
      }
      const op = s3Operation(req.method ?? 'GET', address.bucket, address.key, query, { copySource: req.headers['x-amz-copy-source'] !== undefined });
      operation = op;
      const { identity, payload, body } = await auth.authenticate(req);
      authorise(identity, op, address.bucket);
      if (UPLOAD_OPERATIONS.has(op)) {
        // Refused before the body is read (and before 100 Continue): no queue of waiting uploads.
        release = uploadSlots.tryTake();
        if (!release) throw s3Errors.slowDown('Please reduce your request rate: this server is at its limit of uploads in flight.');
      }
      if (origin && !fromConsole) {
        for (const [name, value] of Object.entries(corsResponseHeaders(await bucketCors(address.bucket), origin, req.method ?? 'GET'))) res.setHeader(name, value);
      }
      if (expectsContinue) res.writeContinue(); // the body is wanted only once the request is accepted
      await handlers[op]({ req, res, requestId, op, bucketName: address.bucket, key: address.key, query, identity, payload, body });
    } catch (err) {
      const e = toS3Error(err);
      // Server-side failures are logged; NotImplemented is the client asking for what is not offered,
      // SlowDown a refusal by a limit (MAX_UPLOADS).
      if (e.status >= 500 && e.code !== 'NotImplemented' && e.code !== 'SlowDown') log.error(`s3: ${req.method} ${resource}: ${e.code}`, { err });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      for (const name of res.getHeaderNames()) if (!name.startsWith('x-amz-') && name !== 'server' && !name.startsWith('access-control-')) res.removeHeader(name);
      if (!req.complete) {
        // A body the client is still sending is read and dropped so the answer is read; a large one
        // (or one the client only sends after 100 Continue) ends the connection.
        req.resume();
        const length = Number(req.headers['content-length']);
        if (expectsContinue || !(Number.isFinite(length) && length <= DRAIN_LIMIT)) res.setHeader('Connection', 'close');
      }
      const text = req.method === 'HEAD' ? '' : errorDocument(e, resource, requestId);
      res.writeHead(e.status, {
        ...(e.extra.headers ?? {}),
        ...(text ? { 'Content-Type': 'application/xml' } : {}),
        'Content-Length': String(Buffer.byteLength(text)),
      });
      res.end(text);
    } finally {
      release?.();
    }
  }

  const server = createHttpServer(limitedServerOptions(options.limits), options.tls, (req, res) => serve(req, res, false));
  // Node answers Expect: 100-continue itself unless told otherwise, and any other Expect with 417;
  // S3 ignores other values, and continues only once the request head is accepted.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => serve(req, res, true));
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => serve(req, res, false));
  server.on('clientError', answerClientError);
  answerHalfClosedClients(server);
  applyServerLimits(server, options.limits, () => {
    const e = s3Errors.serviceUnavailable('Reduce your request rate: this server is at its limit of open connections.');
    const requestId = newRequestId();
    return rawAnswer(503, 'Service Unavailable', { 'x-amz-request-id': requestId, Server: 'objstore', 'Content-Type': 'application/xml', ...e.extra.headers }, errorDocument(e, '/', requestId));
  });
  return server;
}
