// The limits every HTTP server of the gateway (REST and S3) puts on its clients, so that slow or
// greedy clients cannot exhaust it: the size of a request head, the time to send it, the time a
// connection may stay silent (mid-body included), and the number of open connections.
import type { Server, ServerOptions } from 'node:http';
import { limitConnections } from './connection-limit.js';
import type { HeadLimits } from './parser-refusal.js';

export interface ServerLimits extends HeadLimits {
  idleTimeoutMs: number;
  maxConnections: number;
}

/**
 * How often Node looks for heads that took too long: it checks on a timer (30 s by default), so a
 * head is cut within a quarter of the timeout (and a second at most) after its time is up.
 */
export const headsCheckIntervalMs = (headersTimeoutMs: number): number => Math.min(1_000, Math.max(50, Math.floor(headersTimeoutMs / 4)));

/** The createServer options that carry the limits. */
export function limitedServerOptions(limits: ServerLimits): ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    // A 10 GiB upload may take long: no bound on a whole request; a stalled one is cut by the idle timeout.
    requestTimeout: 0,
    connectionsCheckingInterval: headsCheckIntervalMs(limits.headersTimeoutMs),
  };
}

/**
 * The idle timeout (no byte in either direction: a client that stops sending mid-body or stops
 * reading a download is cut; nothing in the gateway listens for 'timeout', so Node destroys the
 * socket) and the bound on connections, whose refusal `refusal` writes.
 */
export function applyServerLimits(server: Server, limits: ServerLimits, refusal: () => string): void {
  server.setTimeout(limits.idleTimeoutMs);
  limitConnections(server, limits.maxConnections, refusal);
}
