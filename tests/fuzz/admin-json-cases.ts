// Fuzz cases for the JSON bodies of the admin API: POST /admin/keys, PUT and DELETE
// /admin/keys/{id}/grants/{bucket} and POST /admin/nodes, with bodies near the valid ones or any
// JSON (deep, wide, huge numbers, unicode, prototype names, duplicate keys), then mutated as text,
// sent with odd or missing media types, charsets and content codings (a gzip bomb among them).
// A node address is never one that would make the gateway look up a name or reach a process
// outside the test cluster: any address it would accept is replaced by a harmless loopback one. Pure.
import { gzipSync, deflateSync, brotliCompressSync } from 'node:zlib';
import { parseNodeAddress } from '../../proto/node-address.js';
import { EDGE_NUMBERS, EDGE_STRINGS, longRun, mutateText } from './mutate.js';
import type { Rng } from './prng.js';

export interface AdminContext {
  keyIds: string[];
  /** Addresses a registration may name: the cluster's own nodes and ports known to be closed. */
  harmlessAddresses: string[];
}

export interface AdminCase {
  method: string;
  path: string;
  headers: string[];
  body: Buffer;
  /** The JSON text before any content coding, for the failure message. */
  text: string;
  /** The statuses a well-formed request may get (the route's documented answers); null: anything but a 5xx. */
  expect: number[] | null;
  /** After the body: wait for the answer, or end the client's side first (a body shorter than announced). */
  then: 'wait' | 'half-close';
}

/** What each route answers a body it takes: success, or a refusal that depends on the state, not the body. */
const DOCUMENTED: Record<string, number[]> = {
  'new-key': [201],
  grant: [200],
  'revoke-grant': [200, 404],
  node: [200, 400],
};

/** Any JSON value, `depth` levels deep at most. */
function anyJson(rng: Rng, depth: number): unknown {
  const kind = depth <= 0 ? rng.int(5) : rng.int(7);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 1e308, -1e-308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER]);
    case 3:
      return rng.pick(EDGE_STRINGS);
    case 4:
      return longRun(rng, 3_000);
    case 5:
      return Array.from({ length: rng.size(50) }, () => anyJson(rng, depth - 1));
    default:
      return Object.fromEntries(Array.from({ length: rng.size(20) }, () => [rng.pick([...EDGE_STRINGS, 'name', 'read', 'write', 'address']), anyJson(rng, depth - 1)]));
  }
}

/** Deeply nested arrays or objects as text (JSON.stringify would not nest this far cheaply). */
function deepText(rng: Rng): string {
  const depth = rng.pick([100, 1_000, 5_000]);
  return rng.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

type Route = 'new-key' | 'grant' | 'revoke-grant' | 'node';

function nearValid(rng: Rng, route: Route, ctx: AdminContext): { value: unknown; exact: boolean } {
  switch (route) {
    case 'new-key':
      return rng.chance(0.6)
        ? { value: { name: rng.text(rng.range(0, 40), 'abcdefghij klmnop-_.') }, exact: true }
        : { value: { name: anyJson(rng, 1), ...(rng.chance(0.3) ? { [rng.pick(EDGE_STRINGS)]: 1 } : {}) }, exact: false };
    case 'grant':
      return rng.chance(0.5)
        ? { value: { read: rng.chance(0.5), write: rng.chance(0.5) }, exact: true }
        : { value: { read: anyJson(rng, 1), write: anyJson(rng, 1), ...(rng.chance(0.3) ? { admin: true } : {}) }, exact: false };
    case 'node':
      return rng.chance(0.5)
        ? { value: { address: rng.pick(ctx.harmlessAddresses) }, exact: true }
        : { value: { address: rng.chance(0.5) ? mutateText(rng, rng.pick(ctx.harmlessAddresses)) : anyJson(rng, 1) }, exact: false };
    default:
      return { value: undefined, exact: true };
  }
}

/** Only loopback literals on ports known to be harmless may reach the gateway's registration probe. */
function harmless(address: string, ctx: AdminContext): boolean {
  const parsed = parseNodeAddress(address);
  return parsed.problem !== undefined || ctx.harmlessAddresses.includes(parsed.address);
}

/** The body text with any acceptable node address swapped for a harmless one. */
function defuse(text: string, ctx: AdminContext): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text; // the gateway refuses it too
  }
  const address = (value as { address?: unknown } | null)?.address;
  if (typeof address !== 'string' || harmless(address, ctx)) return text;
  return JSON.stringify({ ...(value as object), address: ctx.harmlessAddresses[0] });
}

let bomb: Buffer | undefined;
/** 64 MiB of zeros in about 64 KB of gzip. */
const gzipBomb = (): Buffer => (bomb ??= gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 }));

export function adminCase(rng: Rng, ctx: AdminContext): AdminCase {
  const route = rng.weighted<Route>([[3, 'new-key'], [3, 'grant'], [1, 'revoke-grant'], [3, 'node']]);
  const plainPath = rng.chance(0.8);
  const key = plainPath ? rng.pick(ctx.keyIds) : mutateText(rng, rng.pick(ctx.keyIds));
  const bucket = plainPath ? `fuzz-bucket-${rng.int(5)}` : encodeURIComponent(mutateText(rng, 'fuzz-bucket').replace(/[\ud800-\udfff]/g, ''));
  const [method, path] = {
    'new-key': ['POST', '/admin/keys'],
    grant: ['PUT', `/admin/keys/${key}/grants/${bucket}`],
    'revoke-grant': ['DELETE', `/admin/keys/${key}/grants/${bucket}`],
    node: ['POST', '/admin/nodes'],
  }[route] as [string, string];

  const shape = rng.weighted<() => { text: string; exact: boolean }>([
    [5, () => {
      const v = nearValid(rng, route, ctx);
      return { text: v.value === undefined ? '' : JSON.stringify(v.value), exact: v.exact };
    }],
    [2, () => ({ text: JSON.stringify(anyJson(rng, 4)) ?? 'null', exact: false })],
    [1, () => ({ text: deepText(rng), exact: false })],
    [1, () => ({ text: `{"name":"a","name":${JSON.stringify(rng.pick(EDGE_STRINGS))},"read":true,"read":1}`, exact: false })],
    [1, () => ({ text: rng.pick(['', ' ', 'null', '[]', '{}', '"x"', '1', 'true', '{', '}', '{"a":1,}', "{'name':'x'}", '\ufeff{}', '{"name":"\\ud800"}', '{"name":"\\u0000"}']), exact: false })],
  ])();
  let text = defuse(shape.text, ctx);
  let mutated = false;
  if (rng.chance(0.25)) {
    text = defuse(mutateText(rng, text), ctx);
    mutated = true;
  }
  let body: Buffer = Buffer.from(text, 'utf8');
  const headers = ['Host: gateway'];
  let plainHeaders = true;
  const type = rng.weighted([[7, 'application/json'], [1, 'application/json; charset=utf-8'], [1, rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/merge-patch+json', 'APPLICATION/JSON', ''])]]);
  if (type !== 'application/json' && type !== 'application/json; charset=utf-8') plainHeaders = false;
  if (type !== '') headers.push(`Content-Type: ${type}`);
  if (rng.chance(0.12)) {
    plainHeaders = false;
    const coding = rng.pick(['gzip', 'deflate', 'br', 'identity', 'compress', 'gzip, gzip', 'bomb', 'broken-gzip']);
    if (coding === 'bomb') {
      body = gzipBomb();
      headers.push('Content-Encoding: gzip');
    } else {
      if (coding === 'gzip') body = gzipSync(body);
      if (coding === 'deflate') body = deflateSync(body);
      if (coding === 'br') body = brotliCompressSync(body);
      if (coding === 'broken-gzip') body = gzipSync(body).subarray(0, 12);
      headers.push(`Content-Encoding: ${coding === 'broken-gzip' ? 'gzip' : coding}`);
    }
  }
  let then: AdminCase['then'] = 'wait';
  if (rng.chance(0.1)) {
    plainHeaders = false;
    headers.push('Transfer-Encoding: chunked');
    body = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
  } else {
    const declared = rng.chance(0.03) ? rng.pick(EDGE_NUMBERS) : String(body.length);
    if (declared !== String(body.length)) plainHeaders = false;
    // A body shorter than announced would leave the server waiting for the rest: the client ends its side.
    if (/^\s*\d+\s*$/.test(declared) && Number(declared) > body.length) then = 'half-close';
    headers.push(`Content-Length: ${declared}`);
  }
  const wellFormed = shape.exact && !mutated && plainHeaders && plainPath && text === shape.text;
  return { method, path, headers, body, text, expect: wellFormed ? DOCUMENTED[route]! : null, then };
}

export function adminRequest(c: AdminCase): Buffer {
  return Buffer.concat([Buffer.from(`${c.method} ${c.path} HTTP/1.1\r\n${[...c.headers, 'Connection: close'].join('\r\n')}\r\n\r\n`, 'utf8'), c.body]);
}

export const describeAdminCase = (c: AdminCase): string =>
  `${c.method} ${c.path} [${c.headers.slice(1).join('; ')}] ${c.text.length > 200 ? `${JSON.stringify(c.text.slice(0, 200))}...` : JSON.stringify(c.text)}`;
