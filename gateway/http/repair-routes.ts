// Self-repair and data movement: GET /admin/redundancy (how redundant the files are, the heal queue,
// the scrubber), POST /admin/nodes/{id}/drain, POST /admin/rebalance.
import { Router } from 'express';
import type { NodeRegistry } from '../cluster/node-registry.js';
import type { Rebalancer } from '../cluster/rebalancer.js';
import type { Metadata } from '../metadata/metadata.js';
import type { RepairStore, ScrubRun } from '../metadata/repair-store.js';
import { notFound } from './api-error.js';
import { parseNodeId } from './request-parsing.js';

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

export function repairRouter(deps: {
  repair: RepairStore;
  metadata: Metadata;
  registry: NodeRegistry;
  rebalancer: Rebalancer;
  queued: () => void;
}): Router {
  const { repair, metadata, registry, rebalancer } = deps;
  const router = Router();

  router.post('/admin/nodes/:id/drain', async (req, res) => {
    const id = parseNodeId(String(req.params.id));
    const node = await metadata.setDraining(id);
    if (!node) throw notFound(`storage node ${id} is not registered`);
    registry.markDraining(node.id);
    const files = await repair.queueNodeChunks(node.id, `node ${node.address} draining`, 'move');
    deps.queued();
    const held = (await metadata.nodeHoldings()).get(node.id);
    res.status(202).json({
      message: `node ${node.id} is draining: it takes no new chunks, and its chunks are being moved to other nodes`,
      id: node.id,
      address: node.address,
      files_queued: files,
      chunks_left: held?.chunks ?? 0,
    });
  });

  router.post('/admin/rebalance', async (_req, res) => {
    const round = await rebalancer.start('requested');
    res.status(202).json({
      message: round.running ? 'a rebalance is running already' : round.queued > 0 ? 'rebalancing' : 'nothing to move',
      moves_queued: round.queued,
      spread_bytes: round.spread,
      mean_bytes: Math.round(round.mean),
    });
  });

  router.get('/admin/redundancy', async (_req, res) => {
    const [report, scrub] = await Promise.all([repair.redundancy(), repair.scrubRuns()]);
    res.json({
      ...report,
      scrub: { current: scrubJson(scrub.current, scrub.totalChunks), last: scrubJson(scrub.last, scrub.totalChunks) },
    });
  });
  return router;
}
