// Who may call what on the REST API. Pure.
//
// Scopes are ordered: a write token may also read, an admin token may do everything. Every route
// names the scope it needs where it is declared (see http/rest-auth.ts); the only requests that need
// no credentials are the probes, so that orchestrators and load balancers need no secret, /metrics
// unless METRICS_AUTH asks for a token, and the web console's page (/console and the files under
// it), which holds no data: what it fetches needs credentials.

export type Scope = 'read' | 'write' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

const PROBES = new Set(['/health', '/livez', '/readyz']);

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** Whether a token of scope `held` may do what needs `needed`. */
export function scopeAllows(held: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(held) >= SCOPES.indexOf(needed);
}

/** The console's page and its files: /console, /console/ and below (no `..`: the file server refuses it anyway). */
function isConsolePath(p: string): boolean {
  return p === '/console' || (p.startsWith('/console/') && !p.split('/').includes('..'));
}

/**
 * Whether a request may go on without credentials. `path` is req.path (no query). Routing matches
 * paths regardless of case and a trailing slash, so this does too; anything else needs credentials,
 * also unknown routes, so that a stranger cannot map them.
 */
export function isOpenRequest(method: string, path: string, options: { metricsAuth: boolean }): boolean {
  const m = method.toUpperCase();
  if (m !== 'GET' && m !== 'HEAD') return false;
  const p = path.toLowerCase().replace(/(.)\/$/, '$1');
  return PROBES.has(p) || (p === '/metrics' && !options.metricsAuth) || isConsolePath(p);
}
