// The gateway's metric registry: what GET /metrics serves. Its own registry rather than
// prom-client's global one, so that nothing else in the process can add to it by accident. The
// standard process and Node.js metrics (process_*, nodejs_*) are in it from the start; every module
// of this folder adds the metrics of its concern.
import { collectDefaultMetrics, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** Prefix of every metric of this project (the process metrics keep their standard names). */
export const PREFIX = 'objstore_';

/** Seconds: from a quick metadata answer to a large transfer. */
export const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Seconds: calls to a node and database queries, usually milliseconds. */
export const CALL_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60];

/** Seconds since `start` (a performance.now() reading). */
export const secondsSince = (start: number): number => (performance.now() - start) / 1000;

const refreshers: (() => Promise<void>)[] = [];

/**
 * Work with I/O that a scrape does before the metrics are rendered (the collectors then only read
 * what it left). Before, not during: the collectors run side by side, and a pool gauge read while
 * a collector holds a connection would count the scrape's own query.
 */
export function beforeScrape(refresh: () => Promise<void>): void {
  refreshers.push(refresh);
}

/** The text a scrape answers, and its content type. */
export async function scrape(): Promise<{ contentType: string; body: string }> {
  await Promise.all(refreshers.map((refresh) => refresh().catch(() => undefined)));
  return { contentType: registry.contentType, body: await registry.metrics() };
}
