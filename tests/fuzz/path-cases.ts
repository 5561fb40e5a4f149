// Fuzz cases for the REST API's URLs and ids: every route with ids that are valid, near-valid,
// encoded, traversing, overlong (up to 100 KB) or not ids at all, under any method, in origin,
// absolute or asterisk form. Requests that could change the cluster are kept harmless: a DELETE
// never names a file of the fixture, and node ids under 1000 (the cluster's own nodes) are moved
// up by 1000 before they are sent. Pure.
import { EDGE_STRINGS, longRun, mutateText, percentEncoded } from './mutate.js';
import type { Rng } from './prng.js';

export interface PathContext {
  /** Ids of files the fixture uploaded (lower case). */
  fileIds: string[];
  /** Access key ids that exist. */
  keyIds: string[];
}

export interface PathCase {
  method: string;
  /** The request-target exactly as sent (may hold bytes no URL should). */
  target: string;
  /** Set when the case reads a fixture file whole: its index in `fileIds`. */
  readsFixture: number | null;
}

const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'DELETE', 'POST', 'PUT', 'PATCH', 'OPTIONS', 'TRACE', 'get', 'FOO', 'M-SEARCH', 'PROPFIND'];

const TRAVERSALS = [
  '../../../../etc/passwd', '..%2F..%2F..%2Fetc%2Fpasswd', '%2e%2e/%2e%2e/etc/passwd', '%252e%252e%252f', '..\\..\\windows',
  '%c0%ae%c0%ae/', '.%00./', '....//....//', '/%2e%2e', '..;/', '%2e', '.', '..',
];

/** A value for an id slot: the real thing, near it, encoded, traversing, long, or junk. */
function idLike(rng: Rng, real: string): string {
  switch (rng.int(10)) {
    case 0:
      return real;
    case 1:
      return real.toUpperCase();
    case 2:
      return mutateText(rng, real);
    case 3:
      return rng.pick(TRAVERSALS);
    case 4:
      return percentEncoded(rng.chance(0.5) ? real : rng.pick(EDGE_STRINGS));
    case 5:
      return longRun(rng, rng.chance(0.3) ? 100_000 : 2_000);
    case 6:
      return encodeURIComponent(rng.pick(EDGE_STRINGS).replace(/[\ud800-\udfff]/g, '')) || '%';
    case 7:
      return rng.pick(EDGE_STRINGS).replace(/[\s]/g, '');
    case 8:
      return `${real}${rng.pick(['/', '%2F', '%00', '.', ';x', '?', '#', '%20', '/..'])}${rng.chance(0.5) ? 'x' : ''}`;
    default:
      return rng.uuid();
  }
}

/** Express decodes path parameters with decodeURIComponent; what a node id slot would mean. */
function decodedParam(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

/** Node ids of the cluster (small numbers) are moved out of its range so nothing is drained or removed. */
function harmlessNodeId(raw: string): string {
  const decoded = decodedParam(raw)?.trim();
  if (decoded !== undefined && /^\d+$/.test(decoded) && Number(decoded) < 1000) return String(Number(decoded) + 1000);
  return raw;
}

export function pathCase(rng: Rng, ctx: PathContext): PathCase {
  const fixture = rng.int(ctx.fileIds.length);
  const fileId = ctx.fileIds[fixture]!;
  const key = rng.pick(ctx.keyIds);
  let method = rng.pick(METHODS);
  const template = rng.int(14);
  let readsFixture: number | null = null;
  let target: string;
  switch (template) {
    case 0:
    case 1:
    case 2: {
      const id = idLike(rng, fileId);
      target = `/files/${id}`;
      if (id === fileId && method === 'GET') readsFixture = fixture;
      break;
    }
    case 3:
      target = `/files/${idLike(rng, fileId)}/metadata`;
      break;
    case 4:
      target = `/files/${idLike(rng, fileId)}/${idLike(rng, 'metadata')}`;
      break;
    case 5:
      target = `/admin/keys/${idLike(rng, key)}`;
      break;
    case 6:
      target = `/admin/keys/${idLike(rng, key)}/grants/${idLike(rng, 'some-bucket')}`;
      break;
    case 7:
      method = rng.pick(['POST', 'POST', 'GET', 'DELETE']);
      target = `/admin/nodes/${harmlessNodeId(idLike(rng, String(rng.range(1, 6))))}/drain`;
      break;
    case 8:
      method = rng.pick(['DELETE', 'DELETE', 'GET', 'PUT']);
      target = `/admin/nodes/${harmlessNodeId(idLike(rng, String(rng.range(1, 6))))}`;
      break;
    case 9:
      target = `/${rng.pick(['x', 'files', 'health', 'admin', 'FILES', '.', ''])}/${rng.pick(TRAVERSALS)}/files/${fileId}`;
      break;
    case 10:
      target = rng.pick([`http://gateway/files/${fileId}`, `https://evil.example/files/${fileId}`, '*', `//files/${fileId}`, '/files/', '/files//', `/files/${fileId}/`, `/./files/${fileId}`, `/files/./${fileId}`, `files/${fileId}`, '']);
      break;
    case 11:
      target = `/${idLike(rng, 'health')}`;
      break;
    case 12:
      target = `/files/${idLike(rng, fileId)}?${rng.pick(['', '%', 'x=1', 'download=1&download=2', longRun(rng, 4_000), '%ZZ=%ZZ'])}`;
      break;
    default:
      target = `/${idLike(rng, 'files')}/${idLike(rng, fileId)}`;
  }
  // A DELETE never removes a fixture file, whatever spelling reached it: each segment of the path
  // is looked at as the router decodes it.
  const segments = target.split('?')[0]!.split('/').map((seg) => (decodedParam(seg) ?? seg).toLowerCase());
  if (method === 'DELETE' && ctx.fileIds.some((id) => segments.some((seg) => seg.includes(id)))) method = 'GET';
  if (readsFixture !== null && method !== 'GET') readsFixture = null;
  return { method, target, readsFixture };
}

export function pathRequest(c: PathCase): Buffer {
  return Buffer.from(`${c.method} ${c.target} HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n`, 'utf8');
}

export const describePathCase = (c: PathCase): string => `${c.method} ${JSON.stringify(c.target.length > 200 ? `${c.target.slice(0, 200)}...` : c.target)} (${c.target.length} characters)`;
