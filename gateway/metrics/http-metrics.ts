// HTTP metrics of both APIs: requests by route, method and status with their duration, file bytes
// uploaded and downloaded, and transfers in flight. A request is counted when its response closes
// (sent whole or cut), so its duration covers the whole transfer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { Counter, Gauge, Histogram } from 'prom-client';
import { methodLabel, routeLabel, statusLabel } from './labels.js';
import { PREFIX, registry, REQUEST_BUCKETS, secondsSince } from './registry.js';

export type Api = 'rest' | 's3';

const requests = new Counter({
  name: `${PREFIX}http_requests_total`,
  help: 'HTTP requests answered, by API (rest, s3), route (REST: the route pattern; S3: the operation), method and status (the code, or aborted)',
  labelNames: ['api', 'route', 'method', 'status'] as const,
  registers: [registry],
});

const duration = new Histogram({
  name: `${PREFIX}http_request_duration_seconds`,
  help: 'Time from the request to the end of its response (the whole transfer), by API, route and method',
  labelNames: ['api', 'route', 'method'] as const,
  buckets: REQUEST_BUCKETS,
  registers: [registry],
});

const uploaded = new Counter({
  name: `${PREFIX}uploaded_bytes_total`,
  help: 'File bytes received by uploads of both APIs (REST, S3 PUT, parts, copies) as they were striped to the nodes, also of uploads that failed later',
  registers: [registry],
});

const downloaded = new Counter({
  name: `${PREFIX}downloaded_bytes_total`,
  help: 'File bytes read for downloads of both APIs (REST, S3 GET, the source of copies) and handed to the response',
  registers: [registry],
});

let uploadsInFlight: () => number = () => 0;

new Gauge({
  name: `${PREFIX}uploads_in_flight`,
  help: 'Uploads running in this gateway (REST and S3 together; MAX_UPLOADS bounds them)',
  registers: [registry],
  collect() {
    this.set(uploadsInFlight());
  },
});

const downloadsInFlight = new Gauge({
  name: `${PREFIX}downloads_in_flight`,
  help: 'Downloads running in this gateway (REST and S3 together)',
  registers: [registry],
});

/** Where the uploads in flight are counted (the shared upload slots). */
export function watchUploads(count: () => number): void {
  uploadsInFlight = count;
}

/**
 * Counts the request when its response closes. `route` is asked then, so that it can name what was
 * learnt while handling it (the route express matched, the S3 operation).
 */
export function observeRequest(api: Api, req: IncomingMessage, res: ServerResponse, route: () => string): void {
  const start = performance.now();
  res.once('close', () => {
    const labels = { api, route: route(), method: methodLabel(req.method) };
    duration.observe(labels, secondsSince(start));
    requests.inc({ ...labels, status: statusLabel(res.writableFinished, res.statusCode) });
  });
}

/** Express middleware of the REST API: first in the app, so that refusals by authentication count too. */
export function restRequestMetrics(): RequestHandler {
  return (req, res, next) => {
    observeRequest('rest', req, res, () => routeLabel((req as Request).route));
    next();
  };
}

/**
 * Cumulative totals since this process started, for a sampler that draws rates from them
 * (GET /admin/history): file bytes each way, requests answered, and those answered 5xx.
 */
export async function httpTotals(): Promise<{ uploadBytes: number; downloadBytes: number; requests: number; errors: number }> {
  const [r, up, down] = await Promise.all([requests.get(), uploaded.get(), downloaded.get()]);
  let total = 0;
  let errors = 0;
  for (const v of r.values) {
    total += v.value;
    if (String(v.labels.status).startsWith('5')) errors += v.value;
  }
  return { uploadBytes: up.values[0]?.value ?? 0, downloadBytes: down.values[0]?.value ?? 0, requests: total, errors };
}

export function bytesUploaded(n: number): void {
  uploaded.inc(n);
}

export function bytesDownloaded(n: number): void {
  downloaded.inc(n);
}

/** A download starts; the function returned ends it (calling it again does nothing). */
export function downloadStarted(): () => void {
  downloadsInFlight.inc();
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    downloadsInFlight.dec();
  };
}
