// GET /admin/history: the last hour of throughput, requests, errors, heal queue and per-node fill
// and latency at a fixed step (gateway/ops/history.ts), oldest first.
import { Router } from 'express';
import type { History } from '../ops/history.js';

export function historyRouter(history: History): Router {
  const router = Router();
  router.get('/admin/history', (_req, res) => {
    res.json({ step_seconds: history.stepMs / 1000, points: history.list() });
  });
  return router;
}
