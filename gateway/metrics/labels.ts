// Label values of the gateway's metrics. Pure. Every label takes its value from a small fixed set,
// so that no request, file or path can add a time series: an unknown method is OTHER, a request
// that matched no route is `unmatched`, an SQL statement is known by its first keyword only.

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH']);

/** The HTTP method, or OTHER for any method outside the usual few. */
export function methodLabel(method: string | undefined): string {
  const m = (method ?? '').toUpperCase();
  return METHODS.has(m) ? m : 'OTHER';
}

/**
 * The status sent: the three-digit code when the response was sent whole, `aborted` when the
 * connection closed before (a client gone mid-download, a transfer cut after its first byte).
 */
export function statusLabel(finished: boolean, statusCode: number): string {
  if (!finished) return 'aborted';
  return Number.isInteger(statusCode) && statusCode >= 100 && statusCode <= 599 ? String(statusCode) : 'other';
}

/**
 * The REST route of a request: the pattern express matched (`/files/:fileId`, never the file id
 * itself), or `unmatched` for a request no route took (a 404 for an unknown path, a 401 given by
 * authentication before routing).
 */
export function routeLabel(route: unknown): string {
  const path = (route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : 'unmatched';
}

const STATEMENTS = new Set(['select', 'insert', 'update', 'delete', 'with', 'begin', 'commit', 'rollback']);

/** An SQL statement's kind: its first keyword when it is one of the usual few, else `other`. */
export function statementLabel(text: string): string {
  const first = /^\s*([a-z]+)/i.exec(text)?.[1]?.toLowerCase() ?? '';
  return STATEMENTS.has(first) ? first : 'other';
}
