// Who may call what on the REST API: token format and hashing, bearer parsing, open probes, scopes,
// and what a SigV4 access key or the cluster token may do.
import { describe, expect, it } from 'vitest';
import { apiTokenProblem, generateApiToken, hashApiToken, parseBearer, shownPrefix, TOKEN_PREFIX } from '../../gateway/auth/api-token-format.js';
import { isOpenRequest, isScope, scopeAllows } from '../../gateway/auth/rest-access.js';
import { callerMay, isNodeRegistration, type RestCaller } from '../../gateway/auth/rest-caller.js';

describe('API tokens', () => {
  it('are "ost_" and 43 base62 characters, all different, and valid as API_TOKEN', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateApiToken()));
    expect(tokens.size).toBe(1000);
    for (const t of tokens) {
      expect(t).toMatch(/^ost_[A-Za-z0-9]{43}$/);
      expect(apiTokenProblem(t)).toBeUndefined();
    }
  });

  it('are generated from the random bytes given (rejection sampling keeps base62 unbiased)', () => {
    const zeros = generateApiToken((n) => Buffer.alloc(n, 0));
    expect(zeros).toBe(`${TOKEN_PREFIX}${'A'.repeat(43)}`);
    // Bytes from 248 up would favour the first characters: skipped, so the first draw (all 255) gives
    // nothing and the second (all 1) gives 'B's.
    let draws = 0;
    const skipping = generateApiToken((n) => Buffer.alloc(n, draws++ === 0 ? 255 : 1));
    expect(skipping).toBe(`${TOKEN_PREFIX}${'B'.repeat(43)}`);
    expect(draws).toBe(2);
  });

  it('are stored as their SHA-256; listings show only a short start', () => {
    const t = 'ost_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';
    expect(hashApiToken('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'); // FIPS 180-2 vector
    expect(hashApiToken(t)).toHaveLength(32);
    expect(hashApiToken(t).equals(hashApiToken(`${t}x`))).toBe(false);
    expect(shownPrefix(t)).toBe('ost_abcdef');
    expect(shownPrefix('my-own-very-long-operator-chosen-token-value')).toBe('my-o');
  });

  it('API_TOKEN must be 32..256 printable characters without spaces', () => {
    expect(apiTokenProblem('short')).toMatch(/32 to 256 characters/);
    expect(apiTokenProblem('x'.repeat(257))).toMatch(/32 to 256/);
    expect(apiTokenProblem(`${'x'.repeat(31)} y`)).toMatch(/printable ASCII/);
    expect(apiTokenProblem(`${'x'.repeat(31)}é`)).toMatch(/printable ASCII/);
    expect(apiTokenProblem('x'.repeat(32))).toBeUndefined();
  });
});

describe('the Authorization header', () => {
  it('gives a bearer token, another scheme, or nothing', () => {
    expect(parseBearer(undefined)).toEqual({ kind: 'none' });
    expect(parseBearer('')).toEqual({ kind: 'none' });
    expect(parseBearer('Bearer abc')).toEqual({ kind: 'bearer', token: 'abc' });
    expect(parseBearer('bearer abc')).toEqual({ kind: 'bearer', token: 'abc' });
    expect(parseBearer('Basic dXNlcjpwYXNz')).toEqual({ kind: 'other', scheme: 'Basic' });
    expect(parseBearer('AWS4-HMAC-SHA256 Credential=AKID/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00')).toMatchObject({
      kind: 'other',
      scheme: 'AWS4-HMAC-SHA256',
    });
  });

  it('a bearer header of another shape is malformed, not a token', () => {
    for (const h of ['Bearer', 'Bearer ', 'Bearer  abc', 'Bearer abc def', 'Bearer abc\t', `Bearer ${'x'.repeat(513)}`, 'Bearer é']) {
      expect(parseBearer(h), h).toEqual({ kind: 'malformed' });
    }
  });
});

describe('open requests', () => {
  const open = (method: string, path: string, metricsAuth = false) => isOpenRequest(method, path, { metricsAuth });

  it('are the probes, read with GET or HEAD, in any case and with a trailing slash, as routing matches them', () => {
    for (const p of ['/health', '/livez', '/readyz', '/HEALTH', '/Livez/', '/readyz/']) {
      expect(open('GET', p), p).toBe(true);
      expect(open('HEAD', p), p).toBe(true);
      expect(open('POST', p), p).toBe(false);
      expect(open('DELETE', p), p).toBe(false);
    }
  });

  it('/metrics is open unless METRICS_AUTH is on', () => {
    expect(open('GET', '/metrics')).toBe(true);
    expect(open('GET', '/metrics', true)).toBe(false);
  });

  it('nothing else is open, also not what merely looks like a probe', () => {
    for (const p of ['/', '/files', '/files/x', '/admin/nodes', '/health/x', '/healthz', '//health', '/health//', '/%68ealth', '/nope']) {
      expect(open('GET', p), p).toBe(false);
    }
  });
});

describe('scopes', () => {
  it('are ordered: read < write < admin', () => {
    expect(scopeAllows('read', 'read')).toBe(true);
    expect(scopeAllows('read', 'write')).toBe(false);
    expect(scopeAllows('read', 'admin')).toBe(false);
    expect(scopeAllows('write', 'read')).toBe(true);
    expect(scopeAllows('write', 'write')).toBe(true);
    expect(scopeAllows('write', 'admin')).toBe(false);
    expect(scopeAllows('admin', 'read')).toBe(true);
    expect(scopeAllows('admin', 'admin')).toBe(true);
    expect(isScope('admin')).toBe(true);
    expect(isScope('root')).toBe(false);
    expect(isScope(undefined)).toBe(false);
  });
});

describe('callers', () => {
  const key = (grants: Array<{ bucket: string; read: boolean; write: boolean }>, isRoot = false): RestCaller => ({
    kind: 'access-key',
    accessKeyId: 'AKID',
    permissions: { isRoot, grants },
  });

  it('an access key may do on /files what its grant on ".files" says; only the root key may administer', () => {
    const reader = key([{ bucket: '.files', read: true, write: false }]);
    expect(callerMay(reader, 'read')).toBe(true);
    expect(callerMay(reader, 'write')).toBe(false);
    const writer = key([{ bucket: '.files', read: false, write: true }]);
    expect(callerMay(writer, 'write')).toBe(true);
    expect(callerMay(writer, 'read')).toBe(false);
    const elsewhere = key([{ bucket: 'photos', read: true, write: true }]);
    expect(callerMay(elsewhere, 'read')).toBe(false);
    expect(callerMay(key([{ bucket: '.files', read: true, write: true }]), 'admin')).toBe(false);
    expect(callerMay(key([], true), 'admin')).toBe(true);
  });

  it('the cluster token may register a node and nothing else; AUTH=off may do everything; no credentials nothing', () => {
    const node: RestCaller = { kind: 'cluster-node' };
    expect(callerMay(node, 'admin', { registersNode: true })).toBe(true);
    expect(callerMay(node, 'admin', { registersNode: false })).toBe(false);
    expect(callerMay(node, 'read')).toBe(false);
    expect(callerMay({ kind: 'trusted' }, 'admin')).toBe(true);
    expect(callerMay({ kind: 'anonymous' }, 'read')).toBe(false);
    expect(callerMay({ kind: 'token', tokenId: 1, scope: 'write' }, 'read')).toBe(true);
    expect(callerMay({ kind: 'token', tokenId: 1, scope: 'write' }, 'admin')).toBe(false);
  });

  it('a node registration is POST /admin/nodes exactly', () => {
    expect(isNodeRegistration('POST', '/admin/nodes')).toBe(true);
    expect(isNodeRegistration('post', '/ADMIN/nodes/')).toBe(true);
    expect(isNodeRegistration('GET', '/admin/nodes')).toBe(false);
    expect(isNodeRegistration('POST', '/admin/nodes/1/drain')).toBe(false);
    expect(isNodeRegistration('DELETE', '/admin/nodes/1')).toBe(false);
    expect(isNodeRegistration('POST', '/admin/keys')).toBe(false);
  });
});
