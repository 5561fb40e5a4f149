// GET /admin/redundancy: how redundant the stored files are, the heal queue and the scrubber.
import { Router } from 'express';
import type { RepairStore, ScrubRun } from '../metadata/repair-store.js';

function scrubJson(run: ScrubRun | null, totalChunks: number) {
  if (!run) return null;
  return {
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    chunks_checked: run.chunksChecked,
    bytes_checked: run.bytesChecked,
    problems_found: run.problemsFound,
    // Of the chunks there are now; files added during a pass can take it past 100%.
    progress: run.finishedAt ? 1 : totalChunks === 0 ? 0 : Math.min(1, run.chunksChecked / totalChunks),
  };
}

export function repairRouter(repair: RepairStore): Router {
  const router = Router();
  router.get('/admin/redundancy', async (_req, res) => {
    const [report, scrub] = await Promise.all([repair.redundancy(), repair.scrubRuns()]);
    res.json({
      ...report,
      scrub: { current: scrubJson(scrub.current, scrub.totalChunks), last: scrubJson(scrub.last, scrub.totalChunks) },
    });
  });
  return router;
}
