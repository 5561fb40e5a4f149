// /admin/keys: S3 access keys (create, list, show, revoke) and their bucket grants.
import express, { Router } from 'express';
import type { AccessKeys } from '../auth/access-keys.js';
import { ApiError, notFound } from './api-error.js';
import { keyJson } from './file-json.js';
import { parseAccessKeyId, parseGrantBody, parseGrantBucket, parseNewKeyBody } from './request-parsing.js';

const ROOT_ROTATION =
  'set S3_ROOT_ACCESS_KEY and S3_ROOT_SECRET_KEY and restart the gateway to replace it (the old root key is then revoked)';

export function keysRouter(keys: AccessKeys): Router {
  const router = Router();
  const json = express.json({ limit: '16kb' });
  const unknownKey = (id: string): ApiError => notFound(`access key ${id} does not exist`);

  router.post('/admin/keys', json, async (req, res) => {
    const { name } = parseNewKeyBody(req.body);
    const key = await keys.create({ name });
    // The secret is in this answer and nowhere else, ever.
    res.status(201).json({ ...keyJson(key), secret_access_key: key.secret });
  });

  router.get('/admin/keys', async (_req, res) => {
    res.json({ keys: (await keys.list()).map(keyJson) });
  });

  router.get('/admin/keys/:id', async (req, res) => {
    const id = parseAccessKeyId(String(req.params.id));
    const key = await keys.get(id);
    if (!key) throw unknownKey(id);
    res.json(keyJson(key));
  });

  router.delete('/admin/keys/:id', async (req, res) => {
    const id = parseAccessKeyId(String(req.params.id));
    const result = await keys.revoke(id);
    if (result.outcome === 'unknown') throw unknownKey(id);
    if (result.outcome === 'root') {
      throw new ApiError(409, 'RootKeyProtected', `${id} is the S3 root key and is not revoked this way: ${ROOT_ROTATION}`);
    }
    const message = result.outcome === 'revoked' ? 'key revoked' : 'key was revoked already';
    res.json({ message, ...keyJson(result.key) });
  });

  router.put('/admin/keys/:id/grants/:bucket', json, async (req, res) => {
    const id = parseAccessKeyId(String(req.params.id));
    const bucket = parseGrantBucket(String(req.params.bucket));
    const access = parseGrantBody(req.body);
    const result = await keys.grant(id, bucket, access);
    if (result.outcome === 'unknown') throw unknownKey(id);
    if (result.outcome === 'revoked') throw new ApiError(409, 'KeyRevoked', `access key ${id} is revoked; grants cannot be given to it`);
    if (result.outcome === 'root') throw new ApiError(409, 'KeyIsRoot', `access key ${id} is the root key, which may do everything already`);
    res.json(keyJson(result.key));
  });

  router.delete('/admin/keys/:id/grants/:bucket', async (req, res) => {
    const id = parseAccessKeyId(String(req.params.id));
    const bucket = parseGrantBucket(String(req.params.bucket));
    const result = await keys.revokeGrant(id, bucket);
    if (result.outcome === 'unknown') throw unknownKey(id);
    if (result.outcome === 'no-grant') throw notFound(`access key ${id} holds no grant on bucket ${bucket}`);
    res.json(keyJson(result.key));
  });

  return router;
}
