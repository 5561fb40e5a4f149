// /admin/nodes: register a storage node at run time, list nodes with health and fill.
import express, { Router } from 'express';
import { parseNodeAddress } from '../config.js';
import type { NodeRegistry } from '../cluster/node-registry.js';
import { badRequest } from './api-error.js';
import { nodeJson } from './file-json.js';

export function adminRouter(registry: NodeRegistry): Router {
  const router = Router();

  router.post('/admin/nodes', express.json({ limit: '16kb' }), async (req, res) => {
    const raw: unknown = (req.body as { address?: unknown } | undefined)?.address;
    const address = typeof raw === 'string' ? parseNodeAddress(raw) : null;
    if (!address) throw badRequest('body must be JSON {"address": "host:port"}');
    const { node, created } = await registry.register(address);
    res.status(created ? 201 : 200).json(nodeJson(node));
  });

  router.get('/admin/nodes', (_req, res) => {
    res.json({ nodes: registry.list().map(nodeJson) });
  });

  return router;
}
