// GET /whoami: who the credentials of this request belong to and what they may do, so that a client
// (the web console) can show what its user may do before trying. Any caller with valid credentials
// may ask (AUTH=off: everyone, as "trusted"); it tells a caller only about itself, never a secret.
import { Router } from 'express';
import type { RestCaller } from '../auth/rest-caller.js';
import { callerMay } from '../auth/rest-caller.js';

export function whoamiJson(caller: RestCaller) {
  const admin = callerMay(caller, 'admin');
  switch (caller.kind) {
    case 'access-key':
      return {
        caller: 'access-key',
        access_key_id: caller.accessKeyId,
        admin,
        is_root: caller.permissions.isRoot,
        grants: caller.permissions.grants.map((g) => ({ bucket: g.bucket, read: g.read, write: g.write })),
      };
    case 'token':
      return { caller: 'token', token_id: caller.tokenId, scope: caller.scope, admin };
    default:
      return { caller: caller.kind, admin };
  }
}

export function whoamiRouter(): Router {
  const router = Router();
  router.get('/whoami', (_req, res) => {
    res.json(whoamiJson((res.locals.caller as RestCaller | undefined) ?? { kind: 'anonymous' }));
  });
  return router;
}
