// Who a REST request comes from, once authenticated, and whether that is enough for a route. Pure.
import { can, type KeyPermissions } from './key-permissions.js';
import { scopeAllows, type Scope } from './rest-access.js';

/** The bucket whose grants say what an access key may do through the REST /files API. */
export const FILES_BUCKET_NAME = '.files';

export type RestCaller =
  /** AUTH=off: everyone may do everything (the published contract of a trusted network). */
  | { kind: 'trusted' }
  /** No credentials, on a route that needs none (probes, /metrics unless METRICS_AUTH). */
  | { kind: 'anonymous' }
  | { kind: 'token'; tokenId: number; scope: Scope }
  /** A SigV4 signature: the root key may do everything; another key what its grants on '.files' say. */
  | { kind: 'access-key'; accessKeyId: string; permissions: KeyPermissions }
  /**
   * The cluster token as a bearer token: a storage node announcing itself. It may register nodes
   * and nothing else; whoever holds the token can reach every chunk already, and a node registered
   * this way must still answer with the cluster token before the gateway takes it.
   */
  | { kind: 'cluster-node' };

/** Whether the request registers a storage node (POST /admin/nodes), the one thing a cluster node may do. */
export function isNodeRegistration(method: string, path: string): boolean {
  return method.toUpperCase() === 'POST' && path.toLowerCase().replace(/(.)\/$/, '$1') === '/admin/nodes';
}

export function callerMay(caller: RestCaller, needed: Scope, request: { registersNode: boolean } = { registersNode: false }): boolean {
  switch (caller.kind) {
    case 'trusted':
      return true;
    case 'anonymous':
      return false;
    case 'cluster-node':
      return request.registersNode;
    case 'token':
      return scopeAllows(caller.scope, needed);
    case 'access-key':
      if (caller.permissions.isRoot) return true;
      return needed !== 'admin' && can(caller.permissions, FILES_BUCKET_NAME, needed);
  }
}

/**
 * Whether the caller may read or write a bucket's entries through the REST API (GET
 * /buckets/{bucket}/entries, which the web console lists with). '.files' is the REST API's own
 * bucket: as for /files. An S3 bucket: an access key by its grants, as on the S3 API; a token only
 * with the admin scope (tokens are for the REST API's files; an admin token could grant itself a key).
 */
export function callerMayOnBucket(caller: RestCaller, bucket: string, access: 'read' | 'write'): boolean {
  if (bucket === FILES_BUCKET_NAME) return callerMay(caller, access);
  switch (caller.kind) {
    case 'trusted':
      return true;
    case 'access-key':
      return can(caller.permissions, bucket, access);
    case 'token':
      return caller.scope === 'admin';
    case 'anonymous':
    case 'cluster-node':
      return false;
  }
}

/** The caller as a message names it (never a secret). */
export function describeCaller(caller: RestCaller): string {
  switch (caller.kind) {
    case 'trusted':
      return 'anyone (AUTH=off)';
    case 'anonymous':
      return 'a request without credentials';
    case 'token':
      return `API token ${caller.tokenId} (scope ${caller.scope})`;
    case 'access-key':
      return `access key ${caller.accessKeyId}`;
    case 'cluster-node':
      return 'the cluster token';
  }
}
