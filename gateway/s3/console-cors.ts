// Cross-origin access of the web console to the S3 API. The console is served by the REST API
// (GET /console/) on another port of the same host, and calls the S3 API from the browser with
// requests it signs itself (SigV4), so the S3 server lets the console's origin make any request and
// read any answer, errors included, whatever the bucket's own CORS rules say. The signature still
// decides what a request may do: CORS only lets the page read the answers. Pure.

/** Where the console is served: the REST API's scheme and port. */
export interface ConsoleSite {
  scheme: 'http' | 'https';
  port: number;
}

/** Answer headers the console reads (Content-Length for downloads, ETag after an upload, ids for errors). */
const EXPOSED = ['ETag', 'Content-Length', 'Content-Type', 'Content-Disposition', 'Last-Modified', 'Retry-After', 'x-amz-request-id', 'x-amz-id-2', 'x-amz-version-id'];
const METHODS = 'GET, HEAD, PUT, POST, DELETE';
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** The host name of a Host header (without the port; IPv6 addresses keep their brackets), lower case. */
export function hostnameOf(host: string | undefined): string | null {
  if (!host) return null;
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(0, end + 1) : null;
  }
  const colon = h.indexOf(':');
  const name = colon < 0 ? h : h.slice(0, colon);
  return name === '' ? null : name;
}

/**
 * Whether `origin` is the console's: the gateway's scheme, the host name this request was sent to
 * (the page and the S3 API are reached under one name), and the REST API's port.
 */
export function isConsoleOrigin(origin: string | undefined, host: string | undefined, site: ConsoleSite): boolean {
  if (!origin || origin === 'null') return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== `${site.scheme}:` || url.username || url.password || (url.pathname !== '/' && url.pathname !== '')) return false;
  if (origin.replace(/\/$/, '') !== url.origin) return false; // nothing but scheme://host[:port]
  const port = url.port === '' ? (site.scheme === 'https' ? 443 : 80) : Number(url.port);
  const hostname = hostnameOf(host);
  return hostname !== null && url.hostname === hostname && port === site.port;
}

/** Headers of every answer to the console's origin (actual requests, errors included). */
export function consoleCorsHeaders(origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Expose-Headers': EXPOSED.join(', '),
    Vary: 'Origin',
  };
}

/** The answer to the console's preflight: any S3 method, the headers it asks for. */
export function consolePreflightHeaders(origin: string, requestHeaders: string | undefined): Record<string, string> {
  // Header names are tokens; anything else asked for is left out (the browser then refuses it).
  const asked = (requestHeaders ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => /^[a-z0-9!#$%&'*+.^_`|~-]{1,100}$/.test(h));
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': METHODS,
    ...(asked.length ? { 'Access-Control-Allow-Headers': asked.join(', ') } : {}),
    'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_SECONDS),
    Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
}
