// The storage node's metrics endpoint: a plain HTTP server on METRICS_PORT that answers only
// GET (and HEAD) /metrics, in the Prometheus text format. It serves counts, never chunk data, and
// asks for no credentials: bind it where only the monitoring can reach it (it uses GRPC_HOST).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  port: number;
  stop(): Promise<void>;
}

export async function startMetricsServer(host: string, port: number, registry: Registry): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (status: number, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path !== '/metrics') return answer(404, 'only /metrics is served here\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, 'GET /metrics\n', { Allow: 'GET, HEAD' });
    registry.metrics().then(
      (text) => answer(200, text, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }),
      (err: unknown) => answer(500, `metrics could not be collected: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  server.maxConnections = 64; // a scraper or two, not a crowd
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // GRPC_HOST may be a bracketed IPv6 address; listen() takes it bare.
    server.listen(port, host.replace(/^\[(.*)\]$/, '$1'), resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
