// What the metrics read at scrape time, given once the gateway's parts exist (the pool's queries are
// timed from its creation on, see watchPool). The counters need nothing: the modules of this folder
// are counted into from where things happen.
import type pg from 'pg';
import { queueLengths } from '../metadata/queue-lengths.js';
import { watchPool } from './database-metrics.js';
import { watchUploads } from './http-metrics.js';
import { watchNodes, type NodeView } from './node-metrics.js';
import { watchQueues } from './repair-metrics.js';

export { watchPool };

export function watchGateway(parts: { pool: pg.Pool; nodes: NodeView; uploadsInFlight: () => number }): void {
  watchNodes(parts.nodes);
  watchUploads(parts.uploadsInFlight);
  watchQueues(() => queueLengths(parts.pool));
}
