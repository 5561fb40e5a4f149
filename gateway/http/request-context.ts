// The REST API's request ids: X-Request-Id from the client when it is a plausible id, else a new
// one; sent back in the answer, logged with every line the request causes (request-context in
// proto/) and passed to the nodes with every call it makes.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { acceptRequestId, REQUEST_ID_HEADER, runWithRequestId } from '../../proto/request-context.js';
import { logWhenDone } from './access-log.js';

export function requestContext(): RequestHandler {
  return (req, res, next) => {
    const id = acceptRequestId(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
    res.setHeader('X-Request-Id', id);
    logWhenDone(req, res, { api: 'rest', reqId: id, route: () => (req.route?.path as string | undefined) ?? 'unmatched' });
    runWithRequestId(id, next);
  };
}
