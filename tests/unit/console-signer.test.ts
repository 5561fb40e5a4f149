// The console signs its requests in the browser (gateway/console/lib/signer.ts); here the gateway's
// own verifier checks what it signs: header signatures with UNSIGNED-PAYLOAD for uploads of any
// size, keys with characters that need encoding, query parameters, presigned download links; a
// wrong secret, a changed path or an expired link are refused.
import { expect, test } from 'vitest';
import { encodeKeyPath, RequestSigner } from '../../gateway/console/lib/signer.js';
import { authenticateRequest } from '../../gateway/s3/auth/authenticate.js';

const KEY = { accessKeyId: 'AKCONSOLE0000000TEST', secretAccessKey: 'c0ns0leSecretKeyForTheUnitTestsOnly12345' };
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const signer = new RequestSigner(KEY, 'us-east-1', () => new Date(NOW));
const lookup = (id: string) => (id === KEY.accessKeyId ? KEY.secretAccessKey : undefined);

/** What the server sees: the path and query as sent, the headers the browser sends (Host included). */
function head(method: string, url: URL, headers: Record<string, string>) {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method, url: url.pathname + url.search, headers: { ...lower, host: url.host } };
}

test('keys are percent-encoded as SigV4 wants: every byte but A-Z a-z 0-9 - . _ ~, slashes kept', () => {
  expect(encodeKeyPath("a b/c+d!e'(f)*g~h.i_j-k")).toBe('a%20b/c%2Bd%21e%27%28f%29%2Ag~h.i_j-k');
  expect(encodeKeyPath('dir/日本/🙂.txt')).toBe('dir/%E6%97%A5%E6%9C%AC/%F0%9F%99%82.txt');
});

test('header signatures verify, with an unsigned payload, on odd keys, ports and queries', async () => {
  const cases: [string, string, Record<string, string>][] = [
    ['PUT', `http://127.0.0.1:9000/team-photos/${encodeKeyPath("a b/c+d!e'(f)*/日本.txt")}`, { 'content-type': 'image/png' }],
    ['GET', 'http://localhost:9000/', {}],
    ['DELETE', 'https://store.example/b/k', {}], // the default port: no port in Host
    ['GET', 'http://[::1]:8080/buckets/.files/entries?sort=name&prefix=a%20b&limit=50', {}],
    ['POST', 'http://127.0.0.1:8080/files', {}],
  ];
  for (const [method, raw, extra] of cases) {
    const url = new URL(raw);
    const headers = await signer.headers(method, url, extra);
    expect(headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(Object.keys(headers).map((h) => h.toLowerCase())).not.toContain('host');
    const auth = await authenticateRequest(head(method, url, headers), lookup, { region: 'us-east-1', now: NOW });
    expect(auth, raw).toMatchObject({ kind: 'signed', accessKeyId: KEY.accessKeyId, payload: { kind: 'unsigned' } });
  }
});

test('a wrong secret, another path, or a clock 20 minutes off is refused', async () => {
  const url = new URL('http://127.0.0.1:9000/b/file.txt');
  const headers = await signer.headers('GET', url);
  await expect(authenticateRequest(head('GET', url, headers), () => 'x'.repeat(40), { region: 'us-east-1', now: NOW })).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
  await expect(authenticateRequest(head('GET', new URL('http://127.0.0.1:9000/b/other.txt'), headers), lookup, { region: 'us-east-1', now: NOW })).rejects.toMatchObject({
    code: 'SignatureDoesNotMatch',
  });
  await expect(authenticateRequest(head('GET', url, headers), lookup, { region: 'us-east-1', now: NOW + 20 * 60_000 })).rejects.toMatchObject({ code: 'RequestTimeTooSkewed' });
});

test('presigned download links verify until they expire, the content disposition included', async () => {
  const url = new URL(`http://127.0.0.1:9000/b/${encodeKeyPath('photos/été 2026.jpg')}`);
  url.searchParams.set('response-content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent('été 2026.jpg')}`);
  const link = new URL(await signer.presign(url, 900));
  expect(link.searchParams.get('X-Amz-Expires')).toBe('900');
  expect(link.searchParams.get('response-content-disposition')).toBe(`attachment; filename*=UTF-8''${encodeURIComponent('été 2026.jpg')}`);
  const auth = await authenticateRequest({ method: 'GET', url: link.pathname + link.search, headers: { host: link.host } }, lookup, { region: 'us-east-1', now: NOW + 60_000 });
  expect(auth).toMatchObject({ kind: 'signed', via: 'presigned', accessKeyId: KEY.accessKeyId });
  await expect(
    authenticateRequest({ method: 'GET', url: link.pathname + link.search, headers: { host: link.host } }, lookup, { region: 'us-east-1', now: NOW + 901_000 }),
  ).rejects.toMatchObject({ code: 'AccessDenied' });
  // The REST API takes the same links for /files downloads.
  const file = new URL(await signer.presign(new URL('http://127.0.0.1:8080/files/0b6e4f2c-7d7e-4c55-9e3a-3f0c2a9d4b11'), 900));
  expect(await authenticateRequest({ method: 'GET', url: file.pathname + file.search, headers: { host: file.host } }, lookup, { region: 'us-east-1', now: NOW })).toMatchObject({
    kind: 'signed',
  });
});
