// Requests signed by the AWS SDK's own signer (@smithy/signature-v4, as @aws-sdk/client-s3 configures
// it for S3: no double encoding of the path), with odd keys, odd query parameters and odd headers,
// both with the Authorization header and presigned. The verifier must accept every one of them and
// refuse each of them once any single character of what is signed is changed.
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { expect, test } from 'vitest';
import { authenticateRequest, type S3RequestHead } from '../../gateway/s3/auth/authenticate.js';
import { S3AuthError } from '../../gateway/s3/auth/s3-auth-error.js';

// A seeded generator, so that a failure can be replayed.
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEY_PIECES = ['a', 'Z', '0', ' ', '+', '=', '~', '!', '*', "'", '(', ')', '$', '&', ',', ':', ';', '@', '%', '#', '?', '[', ']', 'é', '日本', '🙂', '.', '-', '_', '\u00a0'];
const VALUE_PIECES = ['x', 'Y', '7', ' ', '+', '=', '~', '&', '/', '%', '?', 'ü', '✓', '.', '*'];
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

// How @aws-sdk/client-s3 writes key segments into the path.
const sdkEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
// How another client might: RFC 3986 sub-delimiters and ':' '@' left as they are, lower-case hex.
const looseEncode = (s: string) =>
  encodeURIComponent(s)
    .replace(/%(24|26|2B|2C|3A|3B|3D|40)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());

interface Case {
  head: S3RequestHead;
  secret: string;
  accessKeyId: string;
  now: number;
  /** Where the signature sits: the authorization header or the X-Amz-Signature parameter. */
  presigned: boolean;
}

async function randomCase(random: () => number, index: number): Promise<Case> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const text = (pieces: readonly string[], max: number) => Array.from({ length: Math.floor(random() * max) }, () => pick(pieces)).join('');
  const accessKeyId = `AK${Array.from({ length: 18 }, () => pick([...ALNUM.toUpperCase()])).join('')}`;
  const secret = Array.from({ length: 40 }, () => pick([...`${ALNUM}/+`])).join('');
  const region = pick(['us-east-1', 'eu-west-3', 'garage', 'local']);
  const signingDate = new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 365 * 86_400_000));
  const presigned = index % 2 === 1;
  const expiresIn = 1 + Math.floor(random() * 604_800);
  // The verifier's clock: within 14 minutes of the signing time, or before the presigned URL expires.
  const now = signingDate.getTime() + Math.floor(-14 * 60_000 + random() * (presigned ? expiresIn * 1000 : 28 * 60_000));

  const segments = ['bucket-' + index, ...Array.from({ length: 1 + Math.floor(random() * 4) }, () => text(KEY_PIECES, 8))];
  const signedPath = '/' + segments.map(sdkEncode).join('/');
  const sentPath = random() < 0.5 ? signedPath : '/' + segments.map(looseEncode).join('/');

  const query: Record<string, string | string[]> = {};
  for (let i = Math.floor(random() * 4); i > 0; i--) {
    const name = text(VALUE_PIECES, 6) || 'n';
    const value = random() < 0.3 ? '' : text(VALUE_PIECES, 10);
    const existing = query[name];
    query[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }

  const headers: Record<string, string> = {
    host: pick(['s3.local:9000', '127.0.0.1:8080', 'bucket.s3.example.com']),
    'x-amz-content-sha256': pick(['UNSIGNED-PAYLOAD', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']),
    'x-amz-meta-odd': `  ${text(VALUE_PIECES, 6)}   spaced\t out  `,
    'content-type': 'application/octet-stream',
    'user-agent': 'fuzz/1.0', // never signed by the SDK
  };
  if (random() < 0.5) headers['range'] = 'bytes=0-99';
  // A header sent on two lines: the receiver sees both values (req.headersDistinct); the signer their
  // join, each value trimmed as HTTP trims a field value.
  const repeated = random() < 0.5 ? [` first ${text(VALUE_PIECES, 3)}`, '  second  value '] : undefined;
  if (repeated && !presigned) headers['x-amz-meta-repeated'] = repeated.map((v) => v.trim()).join(',');

  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: secret },
    region,
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
  });
  const method = pick(['GET', 'PUT', 'HEAD', 'DELETE', 'POST']);
  const request = { method, protocol: 'https:', hostname: headers.host!, path: signedPath, query, headers };
  const signed = presigned
    ? await signer.presign(request, { signingDate, expiresIn, unsignableHeaders: new Set(['content-type']) })
    : await signer.sign(request, { signingDate });

  // The query as the client sends it: empty values sometimes without '=', spaces sometimes as '+'.
  const encodeValue = (v: string) => (random() < 0.5 ? encodeURIComponent(v) : encodeURIComponent(v).replace(/%20/g, '+'));
  const parts: string[] = [];
  for (const [name, value] of Object.entries(signed.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value as string]) {
      parts.push(v === '' && random() < 0.5 ? encodeValue(name) : `${encodeValue(name)}=${encodeValue(v)}`);
    }
  }
  const url = sentPath + (parts.length > 0 ? `?${parts.join('&')}` : '');
  const sentHeaders: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(signed.headers)) sentHeaders[name.toLowerCase()] = value;
  if (repeated && !presigned) sentHeaders['x-amz-meta-repeated'] = repeated;
  return { head: { method, url, headers: sentHeaders }, secret, accessKeyId, now, presigned };
}

function verify(c: Case, head: S3RequestHead = c.head) {
  return authenticateRequest(head, (id) => (id === c.accessKeyId ? c.secret : undefined), { now: c.now });
}

/** Replaces one letter or digit of `text` (outside %XX escapes, from position `from`) with another. */
function mutate(text: string, random: () => number, from = 0, hexOnly = false): string {
  const positions: number[] = [];
  for (let i = from; i < text.length; i++) {
    if (text[i] === '%') {
      i += 2;
      continue;
    }
    if ((hexOnly ? /[0-9a-f]/ : /[0-9A-Za-z]/).test(text[i]!)) positions.push(i);
  }
  if (positions.length === 0) return text;
  const at = positions[Math.floor(random() * positions.length)]!;
  const alphabet = hexOnly ? '0123456789abcdef' : ALNUM;
  let replacement = text[at]!;
  while (replacement === text[at]) replacement = alphabet[Math.floor(random() * alphabet.length)]!;
  return text.slice(0, at) + replacement + text.slice(at + 1);
}

test('requests signed by @smithy/signature-v4 verify, and none survives a one-character change', async () => {
  const random = prng(20250601);
  let checked = 0;
  for (let i = 0; i < 300; i++) {
    const c = await randomCase(random, i);
    const ok = await verify(c).catch((e: S3AuthError) => {
      throw new Error(`${e.code} ${JSON.stringify(c.head)}\n${e.details.CanonicalRequest ?? e.message}`);
    });
    expect(ok.kind, c.head.url).toBe('signed');
    expect(ok).toMatchObject({ accessKeyId: c.accessKeyId, via: c.presigned ? 'presigned' : 'header' });

    const { url, headers } = c.head;
    const query = url.indexOf('?');
    // Each variant, and the code it must get when only one code is right.
    const variants: Array<[S3RequestHead, string?]> = [];
    if (c.presigned) {
      const sig = url.indexOf('X-Amz-Signature=') + 'X-Amz-Signature='.length;
      variants.push([{ ...c.head, url: url.slice(0, sig) + mutate(url.slice(sig, sig + 64), random, 0, true) + url.slice(sig + 64) }, 'SignatureDoesNotMatch']);
    } else {
      const auth = headers['authorization'] as string;
      variants.push([{ ...c.head, headers: { ...headers, authorization: mutate(auth, random, auth.indexOf('Signature=') + 10, true) } }, 'SignatureDoesNotMatch']);
    }
    variants.push([{ ...c.head, url: mutate(query < 0 ? url : url.slice(0, query), random) + (query < 0 ? '' : url.slice(query)) }, 'SignatureDoesNotMatch']);
    if (query >= 0) variants.push([{ ...c.head, url: url.slice(0, query) + mutate(url.slice(query), random) }]);
    for (const name of Object.keys(headers)) {
      if (name === 'authorization' || name === 'user-agent' || (c.presigned && name !== 'host')) continue;
      const value = headers[name]!;
      const changed = Array.isArray(value) ? [mutate(value[0]!, random), ...value.slice(1)] : mutate(value, random);
      variants.push([{ ...c.head, headers: { ...headers, [name]: changed } }, name === 'x-amz-date' || name === 'x-amz-content-sha256' ? undefined : 'SignatureDoesNotMatch']);
    }
    for (const [variant, code] of variants) {
      const same = Object.keys(headers).every((name) => JSON.stringify(variant.headers[name]) === JSON.stringify(headers[name]));
      if (variant.url === url && same) continue; // nothing there to change
      const err = await verify(c, variant).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `${variant.url} ${JSON.stringify(variant.headers)}`).toBeInstanceOf(S3AuthError);
      if (code) expect((err as S3AuthError).code).toBe(code);
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(1000);
});

test('an unsigned x-amz-* header added to a signed request is refused', async () => {
  const c = await randomCase(prng(7), 0);
  await expect(verify(c)).resolves.toMatchObject({ kind: 'signed' });
  const err = await verify(c, { ...c.head, headers: { ...c.head.headers, 'x-amz-acl': 'public-read' } }).catch((e: S3AuthError) => e);
  expect(err).toMatchObject({ code: 'AccessDenied' });
});
