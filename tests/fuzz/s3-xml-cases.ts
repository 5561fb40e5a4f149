// Fuzz cases for the XML bodies of S3 requests (signed properly, so they reach the parsers):
// CompleteMultipartUpload, DeleteObjects, PutBucketCors, CreateBucket and PutBucketVersioning
// configurations, near the valid documents or far from them: numbers at their edges, parts out of
// order, wrong ETags, thousands of elements, deep nesting, entities (numeric references to NUL and
// surrogates, a DOCTYPE that expands), CDATA, comments, BOMs, other encodings, cut or flipped
// bytes, and Content-MD5 right, wrong or malformed. A valid document says what it must get. Pure.
import { createHash } from 'node:crypto';
import { EDGE_NUMBERS, EDGE_STRINGS, longRun, mutateBytes, mutateText } from './mutate.js';
import type { Rng } from './prng.js';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export type XmlTarget = 'complete' | 'delete' | 'cors' | 'create-bucket' | 'versioning';

export interface XmlContext {
  /** ETags (without quotes) of parts 1..n, the same in every upload the fuzz suite opens. */
  partEtags: string[];
  /** Keys of objects that exist in the bucket of the DeleteObjects cases. */
  keys: string[];
  region: string;
}

export interface XmlCase {
  target: XmlTarget;
  body: Buffer;
  /** The Content-MD5 header to send, if any. */
  contentMd5: string | null;
  /** The status a valid document must get; null when the case may be refused. */
  expect: number | null;
  /** CompleteMultipartUpload: the part numbers named, when the document is valid. */
  parts: number[] | null;
  mutations: string[];
}

/** A value for a text element: mostly plausible, sometimes entities, edges, long runs. */
function text(rng: Rng, plausible: string): { value: string; plain: boolean } {
  return rng.weighted<() => { value: string; plain: boolean }>([
    [6, () => ({ value: plausible, plain: true })],
    [1, () => ({ value: mutateText(rng, plausible).replace(/[<&]/g, (c) => (c === '<' ? '&lt;' : '&amp;')), plain: false })],
    [1, () => ({ value: rng.pick(['&#0;', '&#x0;', '&#xD800;', '&#x1F600;', '&#65535;', '&#x110000;', '&#13;&#10;', '&lt;&gt;&amp;&quot;&apos;', '&nbsp;', '&unknown;', '&#;', '<![CDATA[x]]>', '<!-- c -->', '<?pi x?>']), plain: false })],
    [1, () => ({ value: rng.pick(EDGE_STRINGS).replace(/[<&]/g, '') || ' ', plain: false })],
    [1, () => ({ value: `${plausible}${rng.pick(['\u0000', '\u0001', '\u001f', '\u007f', '\ufffe', '\uffff', '\u0085'])}`, plain: false })],
    [1, () => ({ value: longRun(rng, 3_000).replace(/[<&]/g, 'x'), plain: false })],
  ])();
}

function completeDoc(rng: Rng, ctx: XmlContext, mutations: string[]): { xml: string; valid: boolean; parts: number[] } {
  const n = ctx.partEtags.length;
  // A valid choice: parts ascending, any subset but the empty one.
  let numbers = Array.from({ length: n }, (_, i) => i + 1).filter(() => rng.chance(0.7));
  if (numbers.length === 0) numbers = [1 + rng.int(n)];
  let valid = true;
  const parts = numbers.map((p) => ({ number: String(p), etag: `"${ctx.partEtags[p - 1]}"` }));
  if (rng.chance(0.3)) {
    valid = false;
    const what = rng.pick(['order', 'duplicate', 'etag', 'unquoted', 'number', 'missing', 'thousands', 'unknown-part']);
    mutations.push(`parts:${what}`);
    if (what === 'order') parts.reverse();
    if (what === 'duplicate') parts.push({ ...parts[0]! });
    if (what === 'etag') parts[rng.int(parts.length)]!.etag = `"${mutateText(rng, ctx.partEtags[0]!)}"`;
    if (what === 'unquoted') {
      parts.forEach((p) => (p.etag = p.etag.replace(/"/g, '')));
      valid = parts.length > 1 ? parts.every((p, i) => i === 0 || Number(p.number) > Number(parts[i - 1]!.number)) : true;
    }
    if (what === 'number') parts[rng.int(parts.length)]!.number = rng.pick(EDGE_NUMBERS);
    if (what === 'missing') (parts[rng.int(parts.length)] as { number?: string }).number = undefined;
    if (what === 'thousands') for (let i = 0; i < rng.pick([1_000, 10_000, 20_000]); i++) parts.push({ number: String(n + 1 + i), etag: '"0"' });
    if (what === 'unknown-part') parts.push({ number: String(n + 1 + rng.int(9_000)), etag: `"${ctx.partEtags[0]}"` });
  }
  const body = parts.map((p) => `<Part>${p.number === undefined ? '' : `<PartNumber>${p.number}</PartNumber>`}<ETag>${p.etag.replace(/"/g, rng.chance(0.5) ? '"' : '&quot;')}</ETag></Part>`).join('');
  return { xml: `<CompleteMultipartUpload xmlns="${S3_XMLNS}">${body}</CompleteMultipartUpload>`, valid, parts: numbers };
}

function deleteDoc(rng: Rng, ctx: XmlContext, mutations: string[]): { xml: string; valid: boolean } {
  let valid = true;
  const count = rng.weighted([[8, rng.range(1, 10)], [1, rng.pick([999, 1_000, 1_001, 5_000])], [1, 0]]);
  if (count === 0 || count > 1_000) valid = false;
  const objects: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = rng.chance(0.5) ? { value: rng.pick(ctx.keys), plain: true } : text(rng, `fuzz/${rng.int(1_000)}`);
    if (!key.plain) valid = false;
    const version = rng.chance(0.05) ? `<VersionId>${rng.pick(['null', '1', ''])}</VersionId>` : '';
    objects.push(`<Object><Key>${key.value}</Key>${version}</Object>`);
  }
  if (rng.chance(0.05)) {
    objects.push(`<Object><Key>${'k'.repeat(rng.pick([1_024, 1_025, 5_000]))}</Key></Object>`);
    valid = false;
    mutations.push('long key');
  }
  const quiet = rng.chance(0.3) ? `<Quiet>${rng.pick(['true', 'false', 'TRUE', ' true ', 'yes', ''])}</Quiet>` : '';
  return { xml: `<Delete xmlns="${S3_XMLNS}">${quiet}${objects.join('')}</Delete>`, valid };
}

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];

function corsDoc(rng: Rng, mutations: string[]): { xml: string; valid: boolean } {
  let valid = true;
  const count = rng.weighted([[8, rng.range(1, 3)], [1, rng.pick([0, 100, 101])]]);
  if (count === 0 || count > 100) valid = false;
  const rules: string[] = [];
  for (let i = 0; i < count; i++) {
    const elements: string[] = [];
    const origin = rng.chance(0.8) ? { value: rng.pick(['*', 'https://example.com', 'http://*.example.com', 'null']), plain: true } : text(rng, 'https://a.example');
    if (!origin.plain) valid = false;
    elements.push(`<AllowedOrigin>${origin.value}</AllowedOrigin>`);
    const methods = rng.chance(0.85) ? rng.shuffle([...METHODS]).slice(0, rng.range(1, 5)) : [rng.pick(['get', 'PATCH', 'OPTIONS', '', '*', 'GET '])];
    if (!methods.every((m) => METHODS.includes(m))) valid = false;
    elements.push(...methods.map((m) => `<AllowedMethod>${m}</AllowedMethod>`));
    if (rng.chance(0.5)) {
      const header = rng.chance(0.8) ? { value: rng.pick(['*', 'x-amz-*', 'Content-Type', 'authorization']), plain: true } : text(rng, 'x-custom');
      if (!header.plain) valid = false;
      elements.push(`<AllowedHeader>${header.value}</AllowedHeader>`);
    }
    if (rng.chance(0.3)) {
      const exposed = rng.chance(0.8) ? { value: 'ETag', plain: true } : text(rng, 'x-amz-request-id');
      if (!exposed.plain) valid = false;
      elements.push(`<ExposeHeader>${exposed.value}</ExposeHeader>`);
    }
    if (rng.chance(0.4)) {
      const age = rng.chance(0.7) ? String(rng.int(86_400)) : rng.pick(EDGE_NUMBERS);
      if (!/^\d+$/.test(age)) valid = false;
      elements.push(`<MaxAgeSeconds>${age}</MaxAgeSeconds>`);
    }
    if (rng.chance(0.3)) {
      const id = text(rng, `rule-${i}`);
      if (!id.plain) valid = false;
      elements.push(`<ID>${id.value}</ID>`);
    }
    if (rng.chance(0.05)) {
      elements.length = 0; // a rule without origin or method
      valid = false;
      mutations.push('empty rule');
    }
    rules.push(`<CORSRule>${rng.shuffle(elements).join('')}</CORSRule>`);
  }
  return { xml: `<CORSConfiguration xmlns="${S3_XMLNS}">${rules.join('')}</CORSConfiguration>`, valid };
}

function createBucketDoc(rng: Rng, ctx: XmlContext): { xml: string; valid: boolean } {
  const location = rng.weighted<() => { value: string; plain: boolean }>([
    [2, () => ({ value: ctx.region, plain: true })],
    [1, () => ({ value: rng.pick(['eu-west-1', 'EU', 'us-east-2']), plain: false })],
    [1, () => ({ ...text(rng, ctx.region), plain: false })],
  ])();
  return { xml: `<CreateBucketConfiguration xmlns="${S3_XMLNS}"><LocationConstraint>${location.value}</LocationConstraint></CreateBucketConfiguration>`, valid: location.plain };
}

function versioningDoc(rng: Rng): { xml: string; valid: boolean } {
  const status = rng.pick(['Suspended', 'Enabled', '', 'enabled', 'Off']);
  return { xml: `<VersioningConfiguration xmlns="${S3_XMLNS}"><Status>${status}</Status></VersioningConfiguration>`, valid: status === 'Suspended' };
}

/** Mutations of the document as a whole: its bytes. */
function mutateDocument(rng: Rng, xml: string, mutations: string[]): Buffer {
  const what = rng.pick(['bytes', 'cut', 'doctype-bomb', 'doctype-external', 'nested', 'wide-unknown', 'bom', 'declaration', 'comment', 'cdata', 'two-roots', 'attributes', 'prefix', 'empty', 'not-xml']);
  mutations.push(`doc:${what}`);
  if (what === 'bytes') return mutateBytes(rng, Buffer.from(xml, 'utf8'));
  return Buffer.from(mutatedText(rng, xml, what), 'utf8');
}

function mutatedText(rng: Rng, xml: string, what: string): string {
  const root = /<(\w+)/.exec(xml.replace(/^<\?xml[^>]*\?>\s*/, ''))?.[1] ?? 'Root';
  switch (what) {
    case 'cut':
      return xml.slice(0, rng.int(xml.length));
    case 'doctype-bomb': {
      // Entities that expand exponentially ("billion laughs").
      const levels = Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('');
      return `<?xml version="1.0"?><!DOCTYPE ${root} [<!ENTITY l0 "lol">${levels}]>${xml.replace(/<Key>|<AllowedOrigin>|<ETag>/, (t) => `${t}&l9;`)}`;
    }
    case 'doctype-external':
      return `<?xml version="1.0"?><!DOCTYPE ${root} [<!ENTITY x SYSTEM "file:///etc/passwd">]>${xml.replace(/<Key>|<AllowedOrigin>|<ETag>/, (t) => `${t}&x;`)}`;
    case 'nested': {
      const depth = rng.pick([100, 1_000, 10_000]);
      return xml.replace(`</${root}>`, `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</${root}>`);
    }
    case 'wide-unknown':
      return xml.replace(`</${root}>`, `${'<Unknown>x</Unknown>'.repeat(rng.pick([10, 10_000]))}</${root}>`);
    case 'bom':
      return `\ufeff${xml}`;
    case 'declaration':
      return `<?xml version="1.0" encoding="${rng.pick(['UTF-8', 'UTF-16', 'ISO-8859-1', 'x'])}"?>${xml}`;
    case 'comment':
      return xml.replace('><', '><!-- a comment --><');
    case 'cdata':
      return xml.replace(/(<(Key|ETag|AllowedOrigin|PartNumber)>)([^<]*)/, '$1<![CDATA[$3]]>');
    case 'two-roots':
      return xml + xml;
    case 'attributes':
      return xml.replace(/<(\w+)>/, '<$1 a="1" b=\'2\'>');
    case 'prefix':
      return xml.replace(new RegExp(`<(/?)${root}`, 'g'), `<$1s3:${root}`);
    case 'empty':
      return rng.pick(['', ' ', `<${root}/>`, `<${root}></${root}>`]);
    default:
      return rng.pick(['{"json": true}', 'not xml at all', '<', '<<>>', '\u0000\u0000']);
  }
}

export function xmlCase(rng: Rng, ctx: XmlContext): XmlCase {
  const target = rng.weighted<XmlTarget>([[4, 'complete'], [3, 'delete'], [3, 'cors'], [1, 'create-bucket'], [1, 'versioning']]);
  const mutations: string[] = [];
  let doc: { xml: string; valid: boolean; parts?: number[] };
  if (target === 'complete') doc = completeDoc(rng, ctx, mutations);
  else if (target === 'delete') doc = deleteDoc(rng, ctx, mutations);
  else if (target === 'cors') doc = corsDoc(rng, mutations);
  else if (target === 'create-bucket') doc = createBucketDoc(rng, ctx);
  else doc = versioningDoc(rng);
  let xml = doc.xml;
  let valid = doc.valid;
  if (rng.chance(0.1)) xml = `<?xml version="1.0" encoding="UTF-8"?>\n${xml.replace(/></g, '>\n  <')}`; // pretty, as SDKs send it
  let body: Buffer = Buffer.from(xml, 'utf8');
  if (rng.chance(0.35)) {
    body = mutateDocument(rng, xml, mutations);
    valid = false;
  }
  let contentMd5: string | null = null;
  if (rng.chance(0.2)) {
    const right = createHash('md5').update(body).digest('base64');
    contentMd5 = rng.pick([right, right, createHash('md5').update('other').digest('base64'), 'not-base64', '', right.toLowerCase()]);
    if (contentMd5 !== right) valid = false;
    mutations.push('content-md5');
  }
  return { target, body, contentMd5, expect: valid ? 200 : null, parts: target === 'complete' && valid ? doc.parts! : null, mutations };
}

export const describeXmlCase = (c: XmlCase): string =>
  `${c.target} [${c.mutations.join(', ') || 'valid'}] md5 ${c.contentMd5 === null ? 'none' : JSON.stringify(c.contentMd5)}, ${c.body.length} bytes: ${JSON.stringify(c.body.toString('utf8').slice(0, 240))}`;
