import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { authOffWarning, isLoopbackHost, parseClusterAuth } from '../../proto/cluster-auth-setting.js';
import { bearerValue, ClusterTokenCheck, clusterTokenProblem, presentedToken } from '../../proto/cluster-token.js';
import { ConfigError, loadGatewayConfig } from '../../gateway/config.js';
import { ConfigError as NodeConfigError, loadNodeConfig } from '../../storage-node/config.js';

const token = randomBytes(32).toString('base64url');

describe('cluster token: what may be one', () => {
  test('16 to 1024 printable ASCII characters without spaces', () => {
    for (const good of ['0123456789abcdef', token, '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', 'x'.repeat(1024)]) {
      expect(clusterTokenProblem(good), good).toBeUndefined();
    }
    const bad: Array<[string, RegExp]> = [
      ['', /0 characters long; it needs at least 16/],
      ['0123456789abcde', /15 characters long/],
      ['x'.repeat(1025), /at most 1024/],
      ['0123456789 abcdef', /without spaces/],
      ['0123456789abcdef\t', /printable ASCII/],
      ['0123456789abcdefé', /printable ASCII/],
      ['0123456789abcdef\n', /printable ASCII/],
    ];
    for (const [value, problem] of bad) expect(clusterTokenProblem(value), JSON.stringify(value)).toMatch(problem);
  });
});

describe('cluster token: reading it from a call and comparing it', () => {
  test('exactly one "Bearer <token>" value; the scheme in any case', () => {
    expect(presentedToken([bearerValue(token)])).toBe(token);
    expect(presentedToken([`bearer ${token}`])).toBe(token);
    expect(presentedToken([`BEARER ${token}`])).toBe(token);
    expect(presentedToken([])).toBeUndefined();
    expect(presentedToken([token])).toBeUndefined(); // no scheme
    expect(presentedToken([`Basic ${token}`])).toBeUndefined();
    expect(presentedToken([`Bearer${token}`])).toBeUndefined();
    expect(presentedToken([bearerValue(token), bearerValue(token)])).toBeUndefined(); // two values: refused
    expect(presentedToken([Buffer.from(bearerValue(token))])).toBeUndefined(); // binary metadata
    expect(presentedToken(['Bearer '])).toBe(''); // empty, which no check accepts
  });

  test('only the exact token matches, whatever the length of the wrong one', () => {
    const check = new ClusterTokenCheck(token);
    expect(check.matches(token)).toBe(true);
    const wrong = [
      undefined,
      '',
      token.slice(0, -1), // a prefix
      `${token}x`, // longer
      `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, // same length, last character differs
      token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(),
      ` ${token}`,
      randomBytes(32).toString('base64url'), // same length, another token
      'x'.repeat(10_000),
    ];
    for (const w of wrong) expect(check.matches(w), String(w).slice(0, 60)).toBe(false);
    // Another check is independent of this one.
    expect(new ClusterTokenCheck(`${token}x`).matches(`${token}x`)).toBe(true);
    expect(new ClusterTokenCheck(`${token}x`).matches(token)).toBe(false);
  });
});

describe('AUTH and CLUSTER_TOKEN', () => {
  test('auth is on by default and then needs a token; AUTH=off makes it optional', () => {
    expect(parseClusterAuth({ CLUSTER_TOKEN: token }, 'gateway')).toEqual({ auth: { enabled: true, token } });
    expect(parseClusterAuth({ CLUSTER_TOKEN: `  ${token}\n`, AUTH: ' ON ' }, 'gateway')).toEqual({ auth: { enabled: true, token } });
    expect(parseClusterAuth({ AUTH: 'off' }, 'storage node')).toEqual({ auth: { enabled: false, token: undefined } });
    expect(parseClusterAuth({ AUTH: 'OFF', CLUSTER_TOKEN: token }, 'storage node')).toEqual({ auth: { enabled: false, token } });
    expect(parseClusterAuth({ AUTH: '', CLUSTER_TOKEN: token }, 'gateway').auth?.enabled).toBe(true);
  });

  test('without a token and without AUTH=off: one line that says what to set', () => {
    for (const env of [{}, { CLUSTER_TOKEN: '' }, { CLUSTER_TOKEN: '   ' }, { AUTH: 'on' }]) {
      const { problem } = parseClusterAuth(env, 'storage node');
      expect(problem, JSON.stringify(env)).toMatch(/^CLUSTER_TOKEN is not set: set it to the cluster's shared token .*or set AUTH=off/);
      expect(problem).not.toContain('\n');
    }
    expect(parseClusterAuth({}, 'gateway').problem).toMatch(/sent on every call to the storage nodes/);
    expect(parseClusterAuth({}, 'storage node').problem).toMatch(/required on every call to this node/);
  });

  test('a bad token or AUTH value is refused, even with AUTH=off, without echoing the token', () => {
    const short = 'secret-but-short';
    expect(parseClusterAuth({ CLUSTER_TOKEN: short.slice(0, 10) }, 'gateway').problem).toMatch(/^CLUSTER_TOKEN is 10 characters long/);
    expect(parseClusterAuth({ CLUSTER_TOKEN: short.slice(0, 10), AUTH: 'off' }, 'gateway').problem).toMatch(/^CLUSTER_TOKEN/);
    const spaced = 'a secret with spaces in it';
    const problem = parseClusterAuth({ CLUSTER_TOKEN: spaced }, 'storage node').problem!;
    expect(problem).toMatch(/^CLUSTER_TOKEN may hold only printable ASCII characters, without spaces/);
    expect(problem).not.toContain(spaced);
    for (const value of ['no', 'false', '0', 'disabled']) {
      expect(parseClusterAuth({ AUTH: value, CLUSTER_TOKEN: token }, 'gateway').problem).toMatch(/^AUTH=.* must be "on" \(the default\) or "off"/);
    }
  });

  test('AUTH=off on an address beyond loopback is warned about; loopback or auth on is not', () => {
    const off = { enabled: false, token: undefined } as const;
    const on = { enabled: true, token } as const;
    for (const host of ['0.0.0.0', '::', '10.0.0.7', 'storage-node-1', '[2001:db8::1]']) {
      expect(authOffWarning(off, host, 'GRPC_HOST', 'anyone can call it'), host).toMatch(
        new RegExp(`^WARNING: AUTH=off and GRPC_HOST=${host.replace(/[[\].]/g, '\\$&')} is not a loopback address: anyone can call it`),
      );
      expect(authOffWarning(on, host, 'GRPC_HOST', 'x')).toBeUndefined();
    }
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', 'node.localhost', '::1', '[::1]']) {
      expect(isLoopbackHost(host), host).toBe(true);
      expect(authOffWarning(off, host, 'HOST', 'x'), host).toBeUndefined();
    }
  });

  test('the node and gateway configurations carry it, and refuse to load without it', () => {
    expect(loadNodeConfig({ CLUSTER_TOKEN: token }).auth).toEqual({ enabled: true, token });
    expect(loadNodeConfig({ AUTH: 'off' }).auth).toEqual({ enabled: false, token: undefined });
    expect(() => loadNodeConfig({})).toThrow(NodeConfigError);
    expect(() => loadNodeConfig({})).toThrow(/^CLUSTER_TOKEN is not set/);
    expect(loadGatewayConfig({ CLUSTER_TOKEN: token }).clusterAuth).toEqual({ enabled: true, token });
    expect(loadGatewayConfig({ AUTH: 'off' }).clusterAuth).toEqual({ enabled: false, token: undefined });
    expect(() => loadGatewayConfig({})).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ AUTH: 'sometimes', CLUSTER_TOKEN: token })).toThrow(/^AUTH=/);
  });
});
