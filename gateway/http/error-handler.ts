// Maps anything thrown by a handler to a JSON error; a dependency that is down is a quick 503.
import type { ErrorRequestHandler, Request, Response } from 'express';
import { NodeFailure } from '../cluster/node-client.js';
import { InvalidInput, quoted } from './request-parsing.js';
import { StorageUnavailable } from '../data/storage-unavailable.js';
import { POOL_WAIT_TIMEOUT } from '../metadata/metadata.js';
import { isQueryDeadline } from '../metadata/query-deadline.js';
import { ApiError } from './api-error.js';
import { logSafeUrl } from './log-safe-url.js';
import { log } from '../../proto/log.js';
import { ClientGone } from './response-sink.js';

const DB_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P02', '57P03']);

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code ?? '';
  return (
    DB_DOWN_CODES.has(code) ||
    code.startsWith('08') ||
    isQueryDeadline(err) ||
    /Connection terminated|connect ECONNREFUSED/i.test(err.message)
  );
}

/**
 * Node destroys a request whose client went away (or was cut for idling) mid-body with ECONNRESET
 * "aborted": the client's doing, not a dependency's (ECONNRESET alone would read as the database's).
 */
export function isClientAbort(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ECONNRESET' && err.message === 'aborted';
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof InvalidInput) return new ApiError(400, 'InvalidRequest', err.message);
  // Nobody reads this answer; it only keeps a client's leaving out of the server failures.
  if (isClientAbort(err) || err instanceof ClientGone) return new ApiError(400, 'ClientAborted', 'the client closed the connection mid-request');
  if (err instanceof NodeFailure || err instanceof StorageUnavailable) return new ApiError(503, 'StorageUnavailable', err.message);
  if (err instanceof Error && err.message.includes(POOL_WAIT_TIMEOUT)) {
    // The database answers, but every connection stayed busy for the whole wait: overload, not an outage.
    return new ApiError(503, 'DatabaseBusy', 'every metadata database connection stayed busy for the whole wait; retry shortly', {
      'Retry-After': '1',
    });
  }
  if (isDatabaseUnavailable(err)) {
    return new ApiError(503, 'DatabaseUnavailable', `the metadata database is unreachable: ${(err as Error).message}`, { 'Retry-After': '2' });
  }
  if (err instanceof URIError) {
    // The router decodes path parameters: a % not followed by two hex digits, or bytes that are not UTF-8.
    const param = /'(.*)'$/.exec(err.message)?.[1];
    return new ApiError(400, 'InvalidRequest', `the path holds a malformed percent-encoding${param === undefined ? '' : ` in ${quoted(param)}`}`);
  }
  const { status, type } = err as { status?: number; type?: string };
  if (status && status >= 400 && status < 500) return bodyParserError(status, type, (err as Error).message);
  return new ApiError(500, 'InternalError', 'internal error');
}

/** body-parser's errors carry a 4xx status and a type; say what was wrong with the body in our words. */
function bodyParserError(status: number, type: string | undefined, message: string): ApiError {
  switch (type) {
    case 'entity.parse.failed':
      // In strict mode a body that is not an object or an array fails the same way as broken JSON.
      return new ApiError(400, 'InvalidRequest', `the body must be a JSON object: ${message.slice(0, 200)}`);
    case 'entity.too.large':
      return new ApiError(413, 'EntityTooLarge', 'the JSON body is larger than the limit of 16 KiB');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'UnsupportedMediaType', message.slice(0, 200));
    default:
      return new ApiError(status, 'InvalidRequest', message.slice(0, 200));
  }
}

/** Unread bytes up to which a rejected body is read and dropped with the connection kept open. */
const DRAIN_LIMIT = 64 * 1024 * 1024;
/** How long a closing connection keeps reading (and dropping) what a client still sends. */
const LINGER_MS = 5_000;

/**
 * A client that is still sending when the answer comes often reads it only after its last write;
 * if the socket is destroyed right after the answer, the client's writes fail (EPIPE) and the
 * reset can discard the answer before it is read. So the rest of the body is always read and
 * dropped: a small rest keeps the connection usable, a large one (an oversized upload) gets
 * Connection: close with a lingering close: half-close, keep reading, destroy when the client
 * closes or after LINGER_MS.
 */
function finishUnreadBody(req: Request, res: Response): void {
  req.unpipe();
  req.resume();
  // Node's HTTP server ends a closing connection (ours, or one the client asked to close) with
  // destroySoon(); replace it for this socket only.
  const socket = req.socket;
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
  const length = Number(req.headers['content-length']);
  if (!(Number.isFinite(length) && length <= DRAIN_LIMIT)) res.setHeader('Connection', 'close');
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const apiError = toApiError(err);
  // Server failures are logged; a refusal by a limit (MAX_UPLOADS) is the gateway working as meant.
  if (apiError.status >= 500 && apiError.code !== 'TooManyUploads') log.error(`${req.method} ${logSafeUrl(req.originalUrl)}: ${apiError.code}`, { err });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // Headers prepared for a success (Content-Length, ETag, ...) must not leak into the error.
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  if (!req.complete) finishUnreadBody(req, res);
  res.status(apiError.status).set(apiError.headers).json({ error: apiError.message, code: apiError.code });
};
