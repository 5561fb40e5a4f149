// Fuzz cases for POST /files: a multipart/form-data upload as raw bytes, well formed or mutated
// (truncated, wrong or missing boundary, lying Content-Length, broken chunking, huge or thousands
// of part headers, thousands of fields, a second file, bytes flipped in the framing), and how it
// is sent (in pieces, then waiting, half-closing or dropping the connection). A case that is well
// formed says what the gateway must answer. Pure.
import { createHash } from 'node:crypto';
import { mutateBytes, mutateText, EDGE_NUMBERS, EDGE_STRINGS } from './mutate.js';
import type { Rng } from './prng.js';
import type { RawRequest } from './http-exchange.js';

/** RFC 2046 boundary characters (a space too, but not last). */
const BCHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'()+_,-./:=?";
const SAFE_NAME = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._- ';

export type Expectation = { status: 201; size: number; sha256: string } | { status: 413 } | null;

export interface MultipartCase {
  request: RawRequest;
  /** The mutations applied, for the failure message. */
  mutations: string[];
  /** What a well-formed case must get: 201 with exactly this file, or 413; null when anything goes. */
  expected: Expectation;
  bodyBytes: number;
}

const MUTATIONS = [
  'truncate', 'cl-short', 'cl-long', 'cl-huge', 'cl-garbage', 'cl-twice', 'no-cl', 'chunked-broken', 'boundary-wrong',
  'boundary-missing', 'boundary-long', 'part-header-huge', 'part-headers-many', 'fields-many', 'framing-bytes',
  'lf-only', 'no-closing', 'second-file', 'wrong-field', 'nested', 'empty-body', 'filename-star', 'no-disposition',
  'content-type-odd', 'junk-after',
] as const;
type Mutation = (typeof MUTATIONS)[number];

interface Form {
  boundary: string;
  filename: string;
  /** Whether the filename and part Content-Type are ones the gateway must accept. */
  plainNames: boolean;
  partHeaders: string[];
  content: Buffer;
  fieldsBefore: string[];
  fieldsAfter: string[];
  preamble: string;
  epilogue: string;
}

function filename(rng: Rng): { name: string; plain: boolean } {
  switch (rng.int(6)) {
    case 0:
      return { name: mutateText(rng, 'report.pdf'), plain: false };
    case 1:
      return { name: rng.pick(EDGE_STRINGS) + rng.text(rng.range(0, 8), SAFE_NAME), plain: false };
    case 2:
      return { name: `${rng.pick(['é', '😀', 'ü', 'дата', '名前'])}-${rng.int(1000)}.txt`, plain: true };
    default: {
      const name = rng.text(rng.range(1, 40), SAFE_NAME).trim() || 'x';
      return { name, plain: true };
    }
  }
}

function field(rng: Rng, i: number): string {
  return `Content-Disposition: form-data; name="field${i}"\r\n\r\n${rng.text(rng.range(0, 30), SAFE_NAME)}`;
}

function content(rng: Rng, maxFileBytes: number, boundary: string): Buffer {
  const size = rng.weighted([
    [6, rng.size(4096)],
    [3, rng.size(300 * 1024)],
    [1, maxFileBytes - 2 + rng.int(5)], // at the limit: one byte under, exactly, over
  ]);
  const data = rng.bytes(size);
  if (rng.chance(0.2) && size > 100) {
    // Almost the delimiter inside the data: CRLF, dashes, the boundary less its last character
    // (and a byte after it that is not that character, or it would be the delimiter).
    const near = Buffer.from(`\r\n--${boundary.slice(0, -1)}`, 'latin1');
    const at = rng.int(size - near.length);
    near.copy(data, at);
    const after = at + near.length;
    if (data[after] === boundary.charCodeAt(boundary.length - 1)) data[after] = data[after]! ^ 1;
  }
  return data;
}

function form(rng: Rng, maxFileBytes: number, tag: string): Form {
  const boundary = (rng.chance(0.3) ? '----WebKitFormBoundary' : '') + rng.text(rng.range(1, 40), BCHARS);
  const name = filename(rng);
  if (name.plain) name.name = `${tag} ${name.name}`;
  const partType = rng.chance(0.8) ? 'application/octet-stream' : rng.pick(['text/plain; charset=utf-8', 'image/png', 'application/x-thing; a="b"']);
  return {
    boundary,
    filename: name.name,
    plainNames: name.plain,
    partHeaders: [`Content-Disposition: form-data; name="file"; filename="${name.name.replace(/"/g, '\\"')}"`, `Content-Type: ${partType}`],
    content: content(rng, maxFileBytes, boundary),
    fieldsBefore: Array.from({ length: rng.chance(0.2) ? rng.range(1, 3) : 0 }, (_, i) => field(rng, i)),
    fieldsAfter: Array.from({ length: rng.chance(0.2) ? rng.range(1, 3) : 0 }, (_, i) => field(rng, 10 + i)),
    preamble: rng.chance(0.1) ? 'This is the preamble.\r\n' : '',
    epilogue: rng.chance(0.1) ? 'This is the epilogue.' : '',
  };
}

function bodyOf(f: Form): Buffer {
  const d = `--${f.boundary}`;
  const parts = [
    ...f.fieldsBefore.map((p) => Buffer.from(`${d}\r\n${p}\r\n`, 'utf8')),
    Buffer.from(`${d}\r\n${f.partHeaders.join('\r\n')}\r\n\r\n`, 'utf8'),
    f.content,
    Buffer.from('\r\n', 'latin1'),
    ...f.fieldsAfter.map((p) => Buffer.from(`${d}\r\n${p}\r\n`, 'utf8')),
    Buffer.from(`${d}--\r\n${f.epilogue}`, 'utf8'),
  ];
  return Buffer.concat([Buffer.from(f.preamble, 'latin1'), ...parts]);
}

/** A chunked encoding of `body`, in random chunk sizes. */
function chunked(rng: Rng, body: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    const n = Math.min(body.length - at, 1 + rng.size(100_000));
    out.push(Buffer.from(`${n.toString(16)}\r\n`, 'latin1'), body.subarray(at, at + n), Buffer.from('\r\n', 'latin1'));
    at += n;
  }
  out.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(out);
}

/** Splits `bytes` into 1..5 pieces at random points. */
function pieces(rng: Rng, bytes: Buffer): Buffer[] {
  const cuts = Array.from({ length: rng.int(5) }, () => rng.int(bytes.length + 1)).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(bytes.subarray(at, c));
    at = c;
  }
  return out.filter((p) => p.length > 0);
}

/** `tag` starts every plain filename, so a stored file names the case that sent it. */
export function multipartCase(rng: Rng, options: { maxFileBytes: number; tag: string }): MultipartCase {
  const f = form(rng, options.maxFileBytes, options.tag);
  const mutations: Mutation[] = rng.chance(0.3) ? [] : Array.from({ length: rng.range(1, 3) }, () => rng.pick(MUTATIONS));
  const has = (m: Mutation): boolean => mutations.includes(m);

  // Mutations of the form itself.
  if (has('boundary-long')) f.boundary = rng.text(rng.range(71, 300), BCHARS);
  if (has('part-header-huge')) f.partHeaders.push(`X-Huge: ${'h'.repeat(rng.range(1_000, 300_000))}`);
  if (has('part-headers-many')) f.partHeaders.push(...Array.from({ length: rng.range(51, 3_000) }, (_, i) => `X-H${i}: v`));
  if (has('fields-many')) f.fieldsBefore.push(...Array.from({ length: rng.range(21, 5_000) }, (_, i) => field(rng, 100 + i)));
  if (has('second-file')) f.fieldsAfter.push(`Content-Disposition: form-data; name="${rng.pick(['file', 'other'])}"; filename="${options.tag} two.bin"\r\n\r\nsecond`);
  if (has('wrong-field')) f.partHeaders[0] = f.partHeaders[0]!.replace('name="file"', `name="${rng.pick(['upload', 'File', '', 'file ', 'fil\u00e9'])}"`);
  if (has('nested')) f.partHeaders[1] = 'Content-Type: multipart/mixed; boundary=inner';
  if (has('filename-star')) f.partHeaders[0] = `Content-Disposition: form-data; name="file"; filename*=UTF-8''${mutateText(rng, '%E2%82%AC%20rates.txt')}`;
  if (has('no-disposition')) f.partHeaders.shift();
  if (has('content-type-odd')) f.partHeaders[f.partHeaders.length - 1] = `Content-Type: ${rng.pick([...EDGE_STRINGS, 'x'.repeat(300), 'text/\u0001plain'])}`;

  let body = bodyOf(f);
  if (has('no-closing')) body = body.subarray(0, body.lastIndexOf(`--${f.boundary}--`));
  if (has('lf-only')) body = Buffer.from(body.toString('latin1').replace(/\r\n(?=(--|Content-|\r\n|X-))/g, '\n'), 'latin1');
  if (has('framing-bytes')) {
    // Flip bytes where the framing is (the head of the body, or its tail), not in the file's data.
    const headLength = Math.min(body.length, body.indexOf('\r\n\r\n') + 4);
    body = rng.chance(0.5)
      ? Buffer.concat([mutateBytes(rng, body.subarray(0, headLength)), body.subarray(headLength)])
      : Buffer.concat([body.subarray(0, Math.max(0, body.length - 60)), mutateBytes(rng, body.subarray(Math.max(0, body.length - 60)))]);
  }
  if (has('empty-body')) body = Buffer.alloc(0);
  if (has('junk-after')) body = Buffer.concat([body, Buffer.from('GARBAGE \u0000\r\n\r\n', 'latin1')]);
  const wholeLength = body.length;
  let sent = body;
  if (has('truncate')) sent = body.subarray(0, rng.int(body.length + 1));

  // The head: Content-Type, length framing.
  // RFC 2045: a parameter value holding a tspecial ("()<>@,;:\\\"/[]?=") must be quoted.
  const quote = /[()<>@,;:\\"/[\]?=]/.test(f.boundary) || rng.chance(0.2);
  let contentType = `multipart/form-data; boundary=${quote ? `"${f.boundary}"` : f.boundary}`;
  if (has('boundary-wrong')) contentType = `multipart/form-data; boundary=${mutateText(rng, f.boundary)}`;
  if (has('boundary-missing')) {
    contentType = rng.pick(['multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary=""', 'multipart/mixed; boundary=x', 'application/octet-stream', 'text/plain', '', `MULTIPART/FORM-DATA; BOUNDARY=${f.boundary}`, `multipart/form-data; charset=utf-8`]);
  }
  const headers: string[] = ['Host: gateway'];
  if (contentType !== '') headers.push(`Content-Type: ${contentType}`);
  if (has('boundary-missing') && rng.chance(0.3)) headers.push(`Content-Type: multipart/form-data; boundary=${f.boundary}`);
  let then: RawRequest['then'] = 'wait';
  /** Bytes after which the request is whole as the server frames it (a drop always comes before). */
  let whole = Infinity;
  const useChunked = has('chunked-broken') || (!has('no-cl') && rng.chance(0.1));
  if (useChunked) {
    headers.push('Transfer-Encoding: chunked');
    let encoded = chunked(rng, sent);
    if (has('truncate')) {
      encoded = encoded.subarray(0, encoded.length - 5); // no last chunk: the body never ends
      then = 'half-close';
    }
    if (has('chunked-broken')) {
      encoded = rng.chance(0.5) ? mutateBytes(rng, encoded.subarray(0, Math.min(encoded.length, 200))) : Buffer.concat([Buffer.from(`${rng.pick(EDGE_NUMBERS)}\r\n`, 'latin1'), encoded]);
      then = 'half-close';
    }
    sent = encoded;
    whole = encoded.length - 5;
  } else if (!has('no-cl')) {
    let declared = String(wholeLength);
    if (has('cl-short') && wholeLength > 0) declared = String(wholeLength - rng.range(1, wholeLength));
    if (has('cl-long')) declared = String(wholeLength + rng.range(1, 100_000));
    if (has('cl-huge')) declared = rng.pick(['10737418241', '10737418240', '9007199254740993', '18446744073709551615', '99999999999999999999']);
    if (has('cl-garbage')) declared = rng.pick([...EDGE_NUMBERS, `${wholeLength}, ${wholeLength}`, `${wholeLength} ${wholeLength}`]);
    headers.push(`Content-Length: ${declared}`);
    if (has('cl-twice')) headers.push(`Content-Length: ${rng.pick([String(wholeLength), String(wholeLength + 1)])}`);
    // A body shorter than announced leaves the server waiting: the client ends its side.
    if (sent.length < Number(declared) || !/^\d+$/.test(declared)) then = 'half-close';
    whole = /^\d+$/.test(declared) ? Math.min(sent.length, Number(declared)) : 0;
  } else {
    whole = 0;
  }
  if (rng.chance(0.05)) headers.push('Expect: 100-continue');
  headers.push('Connection: close');
  const head = Buffer.from(`POST /files HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`, 'utf8');
  const request: RawRequest = { pieces: [head, ...pieces(rng, sent)], then, pauseMs: rng.chance(0.1) ? rng.range(1, 20) : 0 };
  if (rng.chance(0.05)) {
    // A client that goes away mid-request: before its request is whole, so nothing may be stored.
    const all = Buffer.concat(request.pieces);
    request.pieces = [all.subarray(0, rng.int(Math.max(1, Math.min(all.length, head.length + whole))))];
    request.then = 'drop';
    mutations.push('drop' as Mutation);
  }

  // The early size check reads the file as the form's last part (see multipart-head.ts): fields
  // after a file at the limit may refuse it, as documented, so such a case has no expectation.
  const nearLimitWithTail = (f.fieldsAfter.length > 0 || f.epilogue !== '') && f.content.length > options.maxFileBytes - 2_000;
  const wellFormed = mutations.length === 0 && f.plainNames && !nearLimitWithTail;
  let expected: Expectation = null;
  if (wellFormed) {
    expected =
      f.content.length > options.maxFileBytes
        ? { status: 413 }
        : { status: 201, size: f.content.length, sha256: createHash('sha256').update(f.content).digest('hex') };
  }
  return { request, mutations, expected, bodyBytes: sent.length };
}

export function describeMultipartCase(c: MultipartCase): string {
  const head = c.request.pieces[0]!.toString('utf8').replace(/\r\n/g, ' | ');
  return `[${c.mutations.join(', ') || 'well formed'}] ${c.bodyBytes} body bytes, then ${c.request.then}; head: ${head}`;
}
