// /admin/consistency-check: start a check in the background (POST, ?repair=true to fix what it
// finds), read the last one (GET).
import { Router } from 'express';
import { CheckAlreadyRunning, type ConsistencyChecker } from '../cluster/consistency-check.js';
import type { ConsistencyStore } from '../metadata/consistency-store.js';
import { ApiError, badRequest, notFound } from './api-error.js';

function parseRepair(raw: unknown): boolean {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw badRequest('repair must be true or false');
}

export function consistencyRouter(checker: ConsistencyChecker, store: ConsistencyStore): Router {
  const router = Router();

  router.post('/admin/consistency-check', async (req, res) => {
    const repair = parseRepair(req.query.repair);
    try {
      const id = await checker.start(repair);
      res.status(202).json({ id, state: 'running', repair, message: 'check started; GET /admin/consistency-check shows its report when done' });
    } catch (err) {
      if (err instanceof CheckAlreadyRunning) throw new ApiError(409, 'CheckRunning', `${err.message}; GET /admin/consistency-check shows it`);
      throw err;
    }
  });

  router.get('/admin/consistency-check', async (_req, res) => {
    const last = await store.latest();
    if (!last) throw notFound('no consistency check has run yet: POST /admin/consistency-check starts one');
    res.json({
      id: last.id,
      state: last.state,
      repair: last.repair,
      started_at: last.startedAt.toISOString(),
      finished_at: last.finishedAt?.toISOString() ?? null,
      started_by: last.startedBy,
      report: last.report,
    });
  });

  return router;
}
