// GET /admin/status: the whole system on one page (gateway/ops/system-status.ts).
import { Router } from 'express';

export function statusRouter(status: () => Promise<unknown>): Router {
  const router = Router();
  router.get('/admin/status', async (_req, res) => {
    res.json(await status());
  });
  return router;
}
