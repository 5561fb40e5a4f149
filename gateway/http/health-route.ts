// Probes, open to everyone. /health: 200 "healthy" when the database answers and every chunk of a
// new file can be placed, 200 "degraded" while uploads still reach their write quorum, else 503 with
// the reason. /readyz: the same verdict without details (200 or 503), for load balancers. /livez:
// 200 while the process answers at all, for restarting a hung process (it asks nothing of others).
import { Router } from 'express';
import type { Metadata } from '../metadata/metadata.js';
import type { NodeRegistry } from '../cluster/node-registry.js';

const DB_CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref()),
  ]);
}

export function healthRouter(metadata: Metadata, registry: NodeRegistry, nodes: { full: number; quorum: number }): Router {
  const router = Router();
  router.get('/livez', (_req, res) => {
    res.json({ status: 'alive' });
  });
  router.get('/readyz', async (_req, res) => {
    const { reasons } = await check();
    res.status(reasons.length ? 503 : 200).json(reasons.length ? { status: 'not ready', reason: reasons.join('; ') } : { status: 'ready' });
  });
  async function check(): Promise<{ database: string; healthy: number; reasons: string[] }> {
    let database = 'ok';
    try {
      await withTimeout(metadata.ping(), DB_CHECK_TIMEOUT_MS);
    } catch (err) {
      database = `unreachable: ${(err as Error).message}`;
    }
    const healthy = registry.healthyCount();
    const reasons = [
      ...(database === 'ok' ? [] : ['the metadata database is unreachable']),
      ...(healthy >= nodes.quorum ? [] : [`${healthy} healthy storage nodes, at least ${nodes.quorum} needed to store a file`]),
    ];
    return { database, healthy, reasons };
  }
  router.get('/health', async (_req, res) => {
    const { database, healthy, reasons } = await check();
    const status = reasons.length ? 'unhealthy' : healthy >= nodes.full ? 'healthy' : 'degraded';
    res.status(reasons.length ? 503 : 200).json({
      status,
      storage_servers: healthy,
      required_storage_servers: nodes.full,
      write_quorum: nodes.quorum,
      database,
      ...(reasons.length ? { reason: reasons.join('; ') } : {}),
      ...(status === 'degraded'
        ? { reason: `${healthy} of ${nodes.full} storage nodes healthy: new files are stored with less redundancy` }
        : {}),
    });
  });
  return router;
}
