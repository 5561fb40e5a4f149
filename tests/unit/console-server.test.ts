// The gateway's side of the web console: which origin is the console's (the S3 API answers it with
// CORS), the console page's security headers, which requests are open, who may list a bucket's
// entries through the REST API, what /whoami says, and the entry listing's query and cursors.
import { describe, expect, test } from 'vitest';
import { isOpenRequest } from '../../gateway/auth/rest-access.js';
import { callerMayOnBucket, type RestCaller } from '../../gateway/auth/rest-caller.js';
import { consoleSecurityHeaders } from '../../gateway/http/console-routes.js';
import { decodeEntryCursor, encodeEntryCursor, parseEntryQuery } from '../../gateway/http/entry-query.js';
import { InvalidInput } from '../../gateway/http/request-parsing.js';
import { whoamiJson } from '../../gateway/http/whoami-route.js';
import { consoleCorsHeaders, consolePreflightHeaders, hostnameOf, isConsoleOrigin } from '../../gateway/s3/console-cors.js';

describe("the console's origin", () => {
  const http = { scheme: 'http' as const, port: 8080 };

  test('is the gateway scheme, the host the request went to, and the REST port', () => {
    expect(isConsoleOrigin('http://127.0.0.1:8080', '127.0.0.1:9000', http)).toBe(true);
    expect(isConsoleOrigin('http://store.lan:8080', 'STORE.lan:9000', http)).toBe(true);
    expect(isConsoleOrigin('http://[::1]:8080', '[::1]:9000', http)).toBe(true);
    expect(isConsoleOrigin('https://store.lan', 'store.lan:9000', { scheme: 'https', port: 443 })).toBe(true);
    expect(isConsoleOrigin('http://store.lan', 'store.lan:9000', { scheme: 'http', port: 80 })).toBe(true);
  });

  test('is nothing else', () => {
    for (const [origin, host] of [
      ['http://127.0.0.1:8081', '127.0.0.1:9000'], // another port
      ['https://127.0.0.1:8080', '127.0.0.1:9000'], // another scheme
      ['http://localhost:8080', '127.0.0.1:9000'], // another name for the host
      ['http://evil.example:8080', '127.0.0.1:9000'],
      ['http://127.0.0.1.evil.example:8080', '127.0.0.1:9000'],
      ['http://user@127.0.0.1:8080', '127.0.0.1:9000'],
      ['http://127.0.0.1:8080/path', '127.0.0.1:9000'],
      ['null', '127.0.0.1:9000'],
      ['not a url', '127.0.0.1:9000'],
      ['http://127.0.0.1:8080', undefined],
      [undefined, '127.0.0.1:9000'],
    ] as const) {
      expect(isConsoleOrigin(origin, host, http), `${origin} ${host}`).toBe(false);
    }
  });

  test('host names of Host headers', () => {
    expect(hostnameOf('Example.COM:9000')).toBe('example.com');
    expect(hostnameOf('example.com')).toBe('example.com');
    expect(hostnameOf('[::1]:9000')).toBe('[::1]');
    expect(hostnameOf('[::1')).toBeNull();
    expect(hostnameOf(':9000')).toBeNull();
    expect(hostnameOf(undefined)).toBeNull();
  });

  test('gets every method, the headers it asks for (tokens only), and reads the headers it needs', () => {
    const pre = consolePreflightHeaders('http://h:8080', 'Authorization, x-amz-date,x-amz-content-sha256, content-type, bad header, ');
    expect(pre['Access-Control-Allow-Origin']).toBe('http://h:8080');
    expect(pre['Access-Control-Allow-Methods']).toBe('GET, HEAD, PUT, POST, DELETE');
    expect(pre['Access-Control-Allow-Headers']).toBe('authorization, x-amz-date, x-amz-content-sha256, content-type');
    expect(pre.Vary).toContain('Origin');
    expect(consolePreflightHeaders('http://h:8080', undefined)['Access-Control-Allow-Headers']).toBeUndefined();
    const actual = consoleCorsHeaders('http://h:8080');
    expect(actual['Access-Control-Allow-Origin']).toBe('http://h:8080');
    expect(actual['Access-Control-Expose-Headers']).toMatch(/ETag.*x-amz-request-id/);
    expect(actual['Access-Control-Allow-Credentials']).toBeUndefined(); // signatures, never cookies
  });
});

describe('the console page', () => {
  test('may load only its own files and talk only to the two APIs of this gateway', () => {
    const h = consoleSecurityHeaders('store.lan:8080', { scheme: 'https', s3Port: 9000 });
    expect(h['Content-Security-Policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https://store.lan:9000; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
    expect(h['X-Frame-Options']).toBe('DENY');
    expect(consoleSecurityHeaders(undefined, { scheme: 'http', s3Port: 9000 })['Content-Security-Policy']).toContain("connect-src 'self';");
  });

  test('and its files are open (GET and HEAD); nothing else becomes open', () => {
    const open = (method: string, path: string) => isOpenRequest(method, path, { metricsAuth: true });
    for (const p of ['/console', '/console/', '/console/console.js', '/console/config.json', '/Console/Index.html']) {
      expect(open('GET', p), p).toBe(true);
      expect(open('HEAD', p), p).toBe(true);
      expect(open('POST', p), p).toBe(false);
    }
    for (const p of ['/consoles', '/console.js', '/console/../admin/keys', '/whoami', '/buckets/.files/entries']) expect(open('GET', p), p).toBe(false);
  });
});

describe("a bucket's entries through the REST API", () => {
  const key = (grants: { bucket: string; read: boolean; write: boolean }[], isRoot = false): RestCaller => ({
    kind: 'access-key',
    accessKeyId: 'K',
    permissions: { isRoot, grants },
  });

  test('an access key by its grants, on S3 buckets and on .files alike', () => {
    const k = key([
      { bucket: 'photos', read: true, write: false },
      { bucket: '.files', read: true, write: true },
    ]);
    expect(callerMayOnBucket(k, 'photos', 'read')).toBe(true);
    expect(callerMayOnBucket(k, 'photos', 'write')).toBe(false);
    expect(callerMayOnBucket(k, 'other', 'read')).toBe(false);
    expect(callerMayOnBucket(k, '.files', 'write')).toBe(true);
    expect(callerMayOnBucket(key([], true), 'anything', 'write')).toBe(true);
  });

  test('a token by its scope on .files; on S3 buckets only as admin', () => {
    const token = (scope: 'read' | 'write' | 'admin'): RestCaller => ({ kind: 'token', tokenId: 1, scope });
    expect(callerMayOnBucket(token('read'), '.files', 'read')).toBe(true);
    expect(callerMayOnBucket(token('read'), '.files', 'write')).toBe(false);
    expect(callerMayOnBucket(token('write'), 'photos', 'read')).toBe(false);
    expect(callerMayOnBucket(token('admin'), 'photos', 'write')).toBe(true);
  });

  test('AUTH=off lets everyone; without credentials, or with the cluster token, nobody', () => {
    expect(callerMayOnBucket({ kind: 'trusted' }, 'photos', 'write')).toBe(true);
    expect(callerMayOnBucket({ kind: 'anonymous' }, '.files', 'read')).toBe(false);
    expect(callerMayOnBucket({ kind: 'cluster-node' }, 'photos', 'read')).toBe(false);
  });
});

describe('/whoami', () => {
  test('tells a caller who it is and what it may do, never a secret', () => {
    expect(whoamiJson({ kind: 'access-key', accessKeyId: 'K', permissions: { isRoot: false, grants: [{ bucket: 'b', read: true, write: false }] } })).toEqual({
      caller: 'access-key',
      access_key_id: 'K',
      admin: false,
      is_root: false,
      grants: [{ bucket: 'b', read: true, write: false }],
    });
    expect(whoamiJson({ kind: 'access-key', accessKeyId: 'R', permissions: { isRoot: true, grants: [] } })).toMatchObject({ admin: true, is_root: true });
    expect(whoamiJson({ kind: 'token', tokenId: 3, scope: 'write' })).toEqual({ caller: 'token', token_id: 3, scope: 'write', admin: false });
    expect(whoamiJson({ kind: 'trusted' })).toEqual({ caller: 'trusted', admin: true });
    expect(whoamiJson({ kind: 'cluster-node' })).toEqual({ caller: 'cluster-node', admin: false });
  });
});

describe('the entry listing query', () => {
  const id = '0b6e4f2c-7d7e-4c55-9e3a-3f0c2a9d4b11';

  test('defaults: newest first, 50 a page, no prefix', () => {
    expect(parseEntryQuery({})).toEqual({ prefix: '', sort: 'date', limit: 50, after: null });
    expect(parseEntryQuery({ sort: 'name', prefix: 'a/b ', limit: '1000' })).toEqual({ prefix: 'a/b ', sort: 'name', limit: 1000, after: null });
  });

  test('cursors round-trip, and belong to their order', () => {
    for (const p of [
      { sort: 'date' as const, micros: '1796140000000000', id },
      { sort: 'date' as const, micros: '-5', id },
      { sort: 'name' as const, name: 'été/🙂 "x", y', id },
    ]) {
      const cursor = encodeEntryCursor(p);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeEntryCursor(cursor)).toEqual(p);
      expect(parseEntryQuery({ sort: p.sort, cursor }).after).toEqual(p);
    }
    const dateCursor = encodeEntryCursor({ sort: 'date', micros: '1', id });
    expect(() => parseEntryQuery({ sort: 'name', cursor: dateCursor })).toThrow(/sorted by date, not by name/);
  });

  test('refuses what it did not make, and bad values', () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const bad of ['', '!!', 'abc', b64(['d', '1']), b64(['d', '1e5', id]), b64(['d', '99999999999999999999', id]), b64(['n', '', id]), b64(['n', 'x', 'not-a-uuid']), b64(['x', '1', id]), b64({})]) {
      expect(decodeEntryCursor(bad), bad).toBeNull();
    }
    const refuse = (q: Record<string, unknown>, message: RegExp) => expect(() => parseEntryQuery(q)).toThrow(message);
    refuse({ cursor: 'abc' }, /cursor is not one this server issued/);
    refuse({ sort: 'size' }, /sort must be "date"/);
    refuse({ limit: '0' }, /limit must be a whole number from 1 to 1000/);
    refuse({ limit: '1001' }, /limit/);
    refuse({ prefix: ['a', 'b'] }, /prefix must be given once/);
    refuse({ prefix: 'x'.repeat(1025) }, /prefix is longer than 1024/);
    refuse({ prefix: 'a\u0000' }, /U\+0000/);
    refuse({ page: '1' }, /unknown query parameter "page"/);
    expect(() => parseEntryQuery({ sort: 'size' })).toThrow(InvalidInput);
  });
});
