// /health: 200 when the database answers and enough nodes are healthy to store a file, else 503.
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

export function healthRouter(metadata: Metadata, registry: NodeRegistry, requiredNodes: number): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    let database = 'ok';
    try {
      await withTimeout(metadata.ping(), DB_CHECK_TIMEOUT_MS);
    } catch (err) {
      database = `unreachable: ${(err as Error).message}`;
    }
    const healthy = registry.healthyCount();
    const reasons = [
      ...(database === 'ok' ? [] : ['the metadata database is unreachable']),
      ...(healthy >= requiredNodes ? [] : [`${healthy} healthy storage nodes, ${requiredNodes} needed to store a file`]),
    ];
    res.status(reasons.length ? 503 : 200).json({
      status: reasons.length ? 'unhealthy' : 'healthy',
      storage_servers: healthy,
      required_storage_servers: requiredNodes,
      database,
      ...(reasons.length ? { reason: reasons.join('; ') } : {}),
    });
  });
  return router;
}
