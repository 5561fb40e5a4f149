// One log line per HTTP request, when its answer is done (or cut): method, path (credentials in
// the query replaced), status, Content-Length of the answer, duration and request id. Both APIs use it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { log } from '../../proto/log.js';
import { logSafeUrl } from './log-safe-url.js';

export function logWhenDone(req: IncomingMessage, res: ServerResponse, fields: { api: 'rest' | 's3'; reqId: string; route?: () => string | undefined }): void {
  const started = process.hrtime.bigint();
  res.once('close', () => {
    log.info('request', {
      api: fields.api,
      reqId: fields.reqId,
      method: req.method,
      path: logSafeUrl(req.url ?? '/').slice(0, 300),
      ...(fields.route ? { route: fields.route() } : {}),
      status: res.statusCode,
      length: res.getHeader('content-length'),
      ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
      ...(res.writableFinished ? {} : { cut: true }),
    });
  });
}
