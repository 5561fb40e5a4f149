// GET /metrics: the gateway's metrics in the Prometheus text format. Open to anyone unless
// METRICS_AUTH=on, when it needs credentials with the read scope (authenticateRest asks for them
// before routing; requireScope checks the scope here).
import { Router } from 'express';
import { scrape } from '../metrics/registry.js';
import { requireScope } from './rest-auth.js';

export function metricsRouter(options: { metricsAuth: boolean }): Router {
  const router = Router();
  // requireScope turns away an anonymous caller, so the open route must not have it.
  const guard = options.metricsAuth ? [requireScope('read')] : [];
  router.get('/metrics', ...guard, async (_req, res) => {
    const { contentType, body } = await scrape();
    res.set('Content-Type', contentType).set('Cache-Control', 'no-store').send(body);
  });
  return router;
}
