// /admin/tokens: API tokens of the REST API (create with a scope, list, show, revoke).
import express, { Router } from 'express';
import type { ApiTokens } from '../auth/api-tokens.js';
import { ApiError, notFound } from './api-error.js';
import { tokenJson } from './file-json.js';
import { parseNewTokenBody, parseTokenId } from './request-parsing.js';

export function tokensRouter(tokens: ApiTokens): Router {
  const router = Router();

  router.post('/admin/tokens', express.json({ limit: '16kb' }), async (req, res) => {
    const { name, scope } = parseNewTokenBody(req.body);
    const { info, token } = await tokens.create(name, scope);
    // The token is in this answer and nowhere else, ever: only its hash is stored.
    res.status(201).json({ ...tokenJson(info), token });
  });

  router.get('/admin/tokens', async (req, res) => {
    res.json({ tokens: (await tokens.list(req.query.revoked === 'true')).map(tokenJson) });
  });

  router.get('/admin/tokens/:id', async (req, res) => {
    const id = parseTokenId(String(req.params.id));
    const token = await tokens.get(id);
    if (!token) throw notFound(`API token ${id} does not exist`);
    res.json(tokenJson(token));
  });

  router.delete('/admin/tokens/:id', async (req, res) => {
    const id = parseTokenId(String(req.params.id));
    const result = await tokens.revoke(id);
    if (result.outcome === 'unknown') throw notFound(`API token ${id} does not exist`);
    if (result.outcome === 'root') {
      throw new ApiError(409, 'RootTokenProtected', `token ${id} is the root token and is not revoked this way: set API_TOKEN (or replace DATA_DIR/api.token) and restart the gateway`);
    }
    res.json({ message: result.outcome === 'revoked' ? 'token revoked' : 'token was revoked already', ...tokenJson(result.token) });
  });

  return router;
}
