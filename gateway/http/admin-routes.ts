// /admin/nodes: register a storage node at run time (by hand or announced by the node), list nodes
// with health and fill, remove an empty node.
import express, { Router } from 'express';
import { parseNodeAddress } from '../../proto/node-address.js';
import { NodeRefused, NodeUnauthenticated, type NodeRegistry } from '../cluster/node-registry.js';
import { ApiError, badRequest, notFound } from './api-error.js';
import { nodeJson } from './file-json.js';
import { parseNodeId } from './request-parsing.js';

export interface MembershipHooks {
  /** A new node was registered (the rebalancer starts). */
  joined(address: string): void;
  /** Chunks and bytes the metadata places on each node. */
  holdings(): Promise<Map<number, { chunks: number; bytes: number }>>;
}

export function adminRouter(registry: NodeRegistry, hooks: MembershipHooks): Router {
  const router = Router();

  router.post('/admin/nodes', express.json({ limit: '16kb' }), async (req, res) => {
    const raw: unknown = (req.body as { address?: unknown } | undefined)?.address;
    if (typeof raw !== 'string') throw badRequest('body must be JSON {"address": "host:port"}');
    const { address, problem } = parseNodeAddress(raw);
    if (problem !== undefined) throw new ApiError(400, 'InvalidNodeAddress', `address: ${problem}`);
    try {
      const { node, created } = await registry.register(address);
      res.status(created ? 201 : 200).json(nodeJson(node));
      if (created) hooks.joined(address);
    } catch (err) {
      if (err instanceof NodeRefused) throw new ApiError(400, 'NodeUnreachable', err.message);
      if (err instanceof NodeUnauthenticated) throw new ApiError(400, 'NodeUnauthenticated', err.message);
      throw err;
    }
  });

  router.get('/admin/nodes', async (_req, res) => {
    const holdings = await hooks.holdings();
    res.json({ nodes: registry.list().map((n) => ({ ...nodeJson(n), chunks: holdings.get(n.id)?.chunks ?? 0, chunk_bytes: holdings.get(n.id)?.bytes ?? 0 })) });
  });

  router.delete('/admin/nodes/:id', async (req, res) => {
    const id = parseNodeId(String(req.params.id));
    const result = await registry.remove(id);
    if (result === 'unknown') throw notFound(`storage node ${id} is not registered`);
    if ('chunks' in result) {
      throw new ApiError(409, 'NodeNotEmpty', `node ${id} still holds ${result.chunks} chunks; drain it first`);
    }
    if ('referencedBy' in result) {
      throw new ApiError(409, 'NodeInUse', `node ${id} is still referenced by ${result.referencedBy}; try again once that work is done`);
    }
    res.json({ message: 'node removed', id, address: result.removed.address });
  });

  return router;
}
