// Fuzz cases for S3's authentication: requests signed by the SDK's signer with a right or wrong
// key, region, service or date (skewed, far past and future), in headers or as presigned URLs,
// then mutated (signature flipped, cut or re-cased, components dropped, doubled or reordered,
// credential scope parts changed, SignedHeaders without host or with headers not sent, x-amz-date
// and payload hashes changed or removed, the host, method, path or query changed after signing,
// other schemes, session tokens, two Authorization headers). Each mutation says whether it forges
// the request: a forged request must be refused, an untouched one accepted. Pure: the signing and
// sending happen in the test, from this plan.
import { EDGE_NUMBERS, mutateText } from './mutate.js';
import type { Rng } from './prng.js';

export type SigBase = 'list-buckets' | 'list-objects' | 'put' | 'head' | 'delete' | 'presigned-get';

export interface SigContext {
  bucket: string;
  /** A key that exists in the bucket (HEAD and presigned GET read it). */
  existingKey: string;
  region: string;
}

/** The request as it will go out, for mutations to change. */
export interface Outgoing {
  method: string;
  path: string;
  /** Presigned requests: the query parameters; others: extra ones. */
  query: Array<[string, string]>;
  headers: Array<[string, string]>;
}

export interface SigMutation {
  name: string;
  /** true: the request is no longer what was signed (must be refused); false: only its form changed; null: either. */
  forges: boolean | null;
  apply(o: Outgoing): void;
}

export type KeyKind = 'root' | 'unknown-id' | 'bad-id' | 'wrong-secret';

export interface SigCase {
  base: SigBase;
  method: string;
  path: string;
  query: Record<string, string>;
  body: Buffer;
  keyKind: KeyKind;
  region: string;
  service: string;
  /** Signing date relative to now. */
  dateOffsetMs: number;
  unsignedPayload: boolean;
  /** Presigned only: X-Amz-Expires. */
  expiresIn: number;
  mutations: SigMutation[];
  /** The signing itself (key, region, service, date) makes the request one that must be refused. */
  forgedBySigning: boolean;
}

/**
 * What a case must get once its mutations are applied: 'ok' a 2xx, 'denied' a refusal, 'any' no
 * more than the contract. `effective` are the mutations that changed the request (one that found
 * nothing to change forges nothing).
 */
export function sigExpectation(c: SigCase, effective: SigMutation[]): 'ok' | 'denied' | 'any' {
  if (c.forgedBySigning || effective.some((m) => m.forges === true)) return 'denied';
  return effective.some((m) => m.forges === null) ? 'any' : 'ok';
}

const MINUTE = 60_000;

const header = (o: Outgoing, name: string): [string, string] | undefined => o.headers.find(([n]) => n === name);
const setHeader = (o: Outgoing, name: string, value: string | null): void => {
  o.headers = o.headers.filter(([n]) => n !== name);
  if (value !== null) o.headers.push([name, value]);
};
/** Changes the Authorization header's value (no-op for presigned requests, which have none). */
const editAuthorization = (o: Outgoing, edit: (v: string) => string): void => {
  const h = header(o, 'authorization');
  if (h) h[1] = edit(h[1]);
};
const editParam = (o: Outgoing, name: string, edit: (v: string) => string | null): void => {
  const i = o.query.findIndex(([n]) => n === name);
  if (i < 0) return;
  const v = edit(o.query[i]![1]);
  if (v === null) o.query.splice(i, 1);
  else o.query[i]![1] = v;
};

/** A hex digit that differs from `c`. */
const otherHex = (c: string): string => (c === '0' ? '1' : '0');

function headerMutations(rng: Rng): SigMutation[] {
  const credentialPart = rng.int(5);
  return [
    { name: 'signature-flip', forges: true, apply: (o) => editAuthorization(o, (v) => v.replace(/Signature=([0-9a-f])/, (_, c: string) => `Signature=${otherHex(c)}`)) },
    { name: 'signature-upper', forges: false, apply: (o) => editAuthorization(o, (v) => v.replace(/Signature=([0-9a-f]+)/, (_, s: string) => `Signature=${s.toUpperCase()}`)) },
    { name: 'signature-cut', forges: true, apply: (o) => editAuthorization(o, (v) => v.replace(/Signature=([0-9a-f]+)/, (_, s: string) => `Signature=${s.slice(0, rng.int(64))}`)) },
    { name: 'signature-long', forges: true, apply: (o) => editAuthorization(o, (v) => `${v}${rng.pick(['0', 'ff', 'g'])}`) },
    { name: 'drop-component', forges: true, apply: (o) => editAuthorization(o, (v) => v.replace(new RegExp(`,?\\s*${rng.pick(['Credential', 'SignedHeaders', 'Signature'])}=[^,]*`), '')) },
    { name: 'double-component', forges: true, apply: (o) => editAuthorization(o, (v) => `${v}, ${/Credential=[^,]*/.exec(v)?.[0] ?? 'Credential=x'}`) },
    { name: 'separators', forges: false, apply: (o) => editAuthorization(o, (v) => v.replace(/, /g, rng.pick([',', ' ', ' , ', ',\t']))) },
    { name: 'component-order', forges: false, apply: (o) => editAuthorization(o, (v) => { const [scheme, ...rest] = v.split(' '); return `${scheme} ${rest.join(' ').split(', ').reverse().join(', ')}`; }) },
    { name: 'scheme', forges: true, apply: (o) => editAuthorization(o, (v) => v.replace('AWS4-HMAC-SHA256', rng.pick(['AWS4-HMAC-SHA512', 'aws4-hmac-sha256', 'AWS4-ECDSA-P256-SHA256', 'AWS', 'Bearer', '', 'AWS4-HMAC-SHA256AWS4-HMAC-SHA256']))) },
    {
      name: `credential-part-${credentialPart}`,
      forges: true,
      apply: (o) =>
        editAuthorization(o, (v) =>
          v.replace(/Credential=([^,\s]*)/, (_, cred: string) => {
            const parts = cred.split('/');
            parts[credentialPart] = mutateText(rng, parts[credentialPart] ?? '').replace(/[\s,]/g, '') || 'x';
            if (parts.join('/') === cred) parts[credentialPart] += 'x';
            return `Credential=${parts.join('/')}`;
          }),
        ),
    },
    { name: 'credential-slashes', forges: true, apply: (o) => editAuthorization(o, (v) => v.replace(/Credential=/, `Credential=${rng.pick(['/', '//', 'a/b/c/d/e/f/'])}`)) },
    { name: 'signed-headers-no-host', forges: true, apply: (o) => editAuthorization(o, (v) => v.replace(/SignedHeaders=([^,\s]*)/, (_, h: string) => `SignedHeaders=${h.split(';').filter((n) => n !== 'host').join(';') || 'x-amz-date'}`)) },
    { name: 'signed-headers-absent', forges: true, apply: (o) => editAuthorization(o, (v) => v.replace(/SignedHeaders=/, 'SignedHeaders=x-not-sent;')) },
    { name: 'signed-headers-upper', forges: null, apply: (o) => editAuthorization(o, (v) => v.replace(/SignedHeaders=([^,\s]*)/, (_, h: string) => `SignedHeaders=${h.toUpperCase()}`)) },
    { name: 'signed-headers-many', forges: true, apply: (o) => editAuthorization(o, (v) => v.replace(/SignedHeaders=/, `SignedHeaders=${Array.from({ length: rng.pick([100, 2_000]) }, (_, i) => `x-h${i}`).join(';')};`)) },
    { name: 'signed-headers-junk', forges: true, apply: (o) => editAuthorization(o, (v) => v.replace(/SignedHeaders=/, `SignedHeaders=${rng.pick([';', ';;', 'host;;', 'ho st;', '\u00e9;'])}`)) },
    { name: 'authorization-text', forges: null, apply: (o) => editAuthorization(o, (v) => mutateText(rng, v).replace(/[\r\n\u0000]/g, '')) },
    { name: 'authorization-other', forges: true, apply: (o) => setHeader(o, 'authorization', rng.pick(['AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=', 'AWS4-ECDSA-P256-SHA256 Credential=x', 'Bearer token', '', 'AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=' + '0'.repeat(64)])) },
    { name: 'authorization-twice', forges: true, apply: (o) => o.headers.push(['authorization', header(o, 'authorization')?.[1] ?? 'AWS4-HMAC-SHA256']) },
    { name: 'date-removed', forges: true, apply: (o) => setHeader(o, 'x-amz-date', null) },
    { name: 'date-second-later', forges: true, apply: (o) => { const h = header(o, 'x-amz-date'); if (h) h[1] = h[1].replace(/(\d)Z$/, (_, d: string) => `${(Number(d) + 1) % 10}Z`); } },
    { name: 'date-malformed', forges: true, apply: (o) => setHeader(o, 'x-amz-date', rng.pick(['20261301T000000Z', '20260230T000000Z', '2026-12-01T00:00:00Z', 'now', ...EDGE_NUMBERS.slice(0, 8)])) },
    { name: 'date-header-too', forges: false, apply: (o) => o.headers.push(['date', new Date(0).toUTCString()]) },
    {
      name: 'payload-hash-changed',
      forges: true,
      apply: (o) => setHeader(o, 'x-amz-content-sha256', rng.pick(['0'.repeat(64), 'UNSIGNED-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'junk'].filter((v) => v !== header(o, 'x-amz-content-sha256')?.[1]))),
    },
    { name: 'payload-hash-removed', forges: true, apply: (o) => setHeader(o, 'x-amz-content-sha256', null) },
    { name: 'host-changed', forges: true, apply: (o) => setHeader(o, 'host', rng.pick(['evil.example', '127.0.0.1:1', 'bucket.s3.local'])) },
    { name: 'method-changed', forges: true, apply: (o) => (o.method = o.method === 'GET' ? 'DELETE' : 'GET') },
    { name: 'path-changed', forges: true, apply: (o) => (o.path = `${o.path}${o.path.endsWith('/') ? '' : '/'}x`) },
    { name: 'query-added', forges: true, apply: (o) => o.query.push([rng.pick(['prefix', 'max-keys', 'acl', 'x']), '1']) },
    { name: 'security-token', forges: true, apply: (o) => o.headers.push(['x-amz-security-token', 'FwoGZXIvYXdzE']) },
    { name: 'presign-params-too', forges: true, apply: (o) => o.query.push(['X-Amz-Algorithm', 'AWS4-HMAC-SHA256']) },
    { name: 'unsigned-amz-header', forges: true, apply: (o) => o.headers.push(['x-amz-meta-unsigned', 'x']) },
  ];
}

function presignMutations(rng: Rng): SigMutation[] {
  return [
    { name: 'expires', forges: true, apply: (o) => editParam(o, 'X-Amz-Expires', () => rng.pick(['0', '-1', '604801', '99999999999999999999', 'abc', ''])) },
    { name: 'signature-flip', forges: true, apply: (o) => editParam(o, 'X-Amz-Signature', (v) => `${otherHex(v[0]!)}${v.slice(1)}`) },
    { name: 'signature-cut', forges: true, apply: (o) => editParam(o, 'X-Amz-Signature', (v) => v.slice(0, rng.int(64))) },
    { name: 'param-dropped', forges: true, apply: (o) => editParam(o, rng.pick(['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature']), () => null) },
    { name: 'param-doubled', forges: true, apply: (o) => { const p = rng.pick(o.query); o.query.push([p[0], p[1]]); } },
    { name: 'credential', forges: true, apply: (o) => editParam(o, 'X-Amz-Credential', (v) => mutateText(rng, v) || 'x') },
    { name: 'date', forges: true, apply: (o) => editParam(o, 'X-Amz-Date', (v) => rng.pick([v.replace(/^\d{4}/, '2001'), '20261301T000000Z', mutateText(rng, v) || 'x'])) },
    { name: 'algorithm', forges: true, apply: (o) => editParam(o, 'X-Amz-Algorithm', () => rng.pick(['AWS4-HMAC-SHA512', '', 'aws4-hmac-sha256'])) },
    { name: 'authorization-too', forges: true, apply: (o) => o.headers.push(['authorization', 'AWS4-HMAC-SHA256 Credential=x']) },
    { name: 'query-added', forges: true, apply: (o) => o.query.push(['response-content-type', 'text/html']) },
    { name: 'security-token', forges: true, apply: (o) => o.query.push(['X-Amz-Security-Token', 'x']) },
  ];
}

export function sigCase(rng: Rng, ctx: SigContext, index: number): SigCase {
  const base = rng.weighted<SigBase>([[2, 'list-buckets'], [2, 'list-objects'], [3, 'put'], [2, 'head'], [1, 'delete'], [2, 'presigned-get']]);
  const key = `sig/${index}`;
  const req: { method: string; path: string; query: Record<string, string> } = {
    'list-buckets': { method: 'GET', path: '/', query: {} },
    'list-objects': { method: 'GET', path: `/${ctx.bucket}`, query: { 'list-type': '2', prefix: 'sig/' } },
    put: { method: 'PUT', path: `/${ctx.bucket}/${key}`, query: {} },
    head: { method: 'HEAD', path: `/${ctx.bucket}/${ctx.existingKey}`, query: {} },
    delete: { method: 'DELETE', path: `/${ctx.bucket}/sig/${rng.int(index + 1)}`, query: {} },
    'presigned-get': { method: 'GET', path: `/${ctx.bucket}/${ctx.existingKey}`, query: {} },
  }[base];

  // How it is signed: right, or with a scope, date or key that must not be accepted. A header
  // signature may be 15 minutes off the server's clock; a presigned URL is good from its date (15
  // minutes' grace) until it expires.
  const presigned = base === 'presigned-get';
  let forgedBySigning = true;
  const variant = rng.weighted<() => { keyKind: KeyKind; region: string; service: string; dateOffsetMs: number }>([
    [6, () => ((forgedBySigning = false), { keyKind: 'root', region: ctx.region, service: 's3', dateOffsetMs: presigned ? -rng.int(MINUTE / 2) : rng.range(-10, 10) * MINUTE })],
    [1, () => ({ keyKind: 'root', region: rng.pick(['eu-west-1', 'US-EAST-1', 'us-east-1 ', 'x'.repeat(300), '*']), service: 's3', dateOffsetMs: 0 })],
    [1, () => ({ keyKind: 'root', region: ctx.region, service: rng.pick(['s4', 'S3', 'iam', 'sts']), dateOffsetMs: 0 })],
    [1, () => ({ keyKind: 'root', region: ctx.region, service: 's3', dateOffsetMs: rng.pick(presigned ? [20, 24 * 60 * 8] : [-16, 16, -24 * 60, 24 * 60 * 365, -24 * 60 * 365 * 50]) * MINUTE })],
    [1, () => ({ keyKind: rng.pick(['unknown-id', 'bad-id', 'wrong-secret'] as const), region: ctx.region, service: 's3', dateOffsetMs: 0 })],
  ])();
  let expiresIn = 0;
  if (presigned) {
    expiresIn = rng.pick([120, 3_600, 604_800]); // at least 90 s left when sent
    if (!forgedBySigning && rng.chance(0.1)) {
      // Expired: signed two hours ago for one.
      variant.dateOffsetMs = -2 * 60 * MINUTE;
      expiresIn = 3_600;
      forgedBySigning = true;
    }
  }
  const catalogue = presigned ? presignMutations(rng) : headerMutations(rng);
  const mutations = rng.chance(0.65) ? Array.from({ length: rng.range(1, 2) }, () => rng.pick(catalogue)) : [];
  return {
    base,
    method: req.method,
    path: req.path,
    query: req.query,
    body: base === 'put' ? Buffer.from(`hello ${index}`) : Buffer.alloc(0),
    ...variant,
    unsignedPayload: !presigned && rng.chance(0.2),
    expiresIn,
    mutations,
    forgedBySigning,
  };
}

export const describeSigCase = (c: SigCase): string =>
  `${c.base} ${c.method} ${c.path} key ${c.keyKind}, region ${JSON.stringify(c.region.slice(0, 40))}, service ${c.service}, ` +
  `date ${c.dateOffsetMs / MINUTE} min, ${c.unsignedPayload ? 'UNSIGNED-PAYLOAD, ' : ''}${c.expiresIn ? `expires ${c.expiresIn} s, ` : ''}` +
  `mutations [${c.mutations.map((m) => m.name).join(', ')}]${c.forgedBySigning ? ', forged by its signing' : ''}`;
