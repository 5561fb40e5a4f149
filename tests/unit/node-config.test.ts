import { describe, expect, test } from 'vitest';
import { hostname } from 'node:os';
import { bindWarning, ConfigError, loadNodeConfig as loadWithoutToken } from '../../storage-node/config.js';

/** Every valid configuration needs a cluster token (or AUTH=off); tested in cluster-token.test.ts. */
const loadNodeConfig = (env: NodeJS.ProcessEnv): ReturnType<typeof loadWithoutToken> =>
  loadWithoutToken({ CLUSTER_TOKEN: 'node-config-test-token', ...env });

describe('storage node configuration: joining a gateway', () => {
  test('no JOIN_URL: no announcing', () => {
    expect(loadNodeConfig({}).join).toBeNull();
  });

  test('binds to loopback unless told otherwise; the default node id stays the machine name', () => {
    const c = loadNodeConfig({ GRPC_PORT: '50053' });
    expect(c.host).toBe('127.0.0.1');
    expect(c.nodeId).toBe(`${hostname()}-50053`);
    expect(loadNodeConfig({ GRPC_HOST: '0.0.0.0', GRPC_PORT: '50053' }).nodeId).toBe(`${hostname()}-50053`);
    // A specific address names the node, as before.
    expect(loadNodeConfig({ GRPC_HOST: '10.0.0.7', GRPC_PORT: '50053' }).nodeId).toBe('10.0.0.7-50053');
    expect(loadNodeConfig({ GRPC_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  test('a node on loopback announcing to another machine is warned about, not refused', () => {
    expect(bindWarning(loadNodeConfig({}))).toBeNull();
    expect(bindWarning(loadNodeConfig({ JOIN_URL: 'http://127.0.0.1:8080' }))).toBeNull();
    expect(bindWarning(loadNodeConfig({ JOIN_URL: 'http://gateway:8080', GRPC_HOST: '0.0.0.0', ADVERTISE_ADDRESS: 'node-7:50057' }))).toBeNull();
    expect(bindWarning(loadNodeConfig({ JOIN_URL: 'http://gateway:8080', ADVERTISE_ADDRESS: 'node-7:50057' }))).toMatch(/loopback only.*GRPC_HOST/);
    // Without ADVERTISE_ADDRESS it is refused, and the message names both settings.
    expect(() => loadNodeConfig({ JOIN_URL: 'http://gateway:8080' })).toThrow(/ADVERTISE_ADDRESS.*GRPC_HOST/);
  });

  test('JOIN_URL with the defaults: 127.0.0.1 and the bound port, every 5 s', () => {
    expect(loadNodeConfig({ JOIN_URL: 'http://127.0.0.1:8080/' }).join).toEqual({
      url: 'http://127.0.0.1:8080',
      advertiseAddress: undefined,
      advertiseHost: '127.0.0.1',
      intervalMs: 5000,
    });
    // A specific bind address is what the gateway is told.
    const bound = loadNodeConfig({ JOIN_URL: 'http://gateway:8080', GRPC_HOST: '10.0.0.7' }).join!;
    expect(bound.advertiseHost).toBe('10.0.0.7');
    expect(loadNodeConfig({ JOIN_URL: 'http://localhost:8080', GRPC_HOST: '::1' }).join!.advertiseHost).toBe('[::1]');
  });

  test('ADVERTISE_ADDRESS and ANNOUNCE_INTERVAL_MS are taken, in canonical form', () => {
    const join = loadNodeConfig({
      JOIN_URL: 'https://gw.example:8443/store',
      ADVERTISE_ADDRESS: 'Storage-Node-7:50057',
      ANNOUNCE_INTERVAL_MS: '1000',
    }).join!;
    expect(join).toMatchObject({ url: 'https://gw.example:8443/store', advertiseAddress: 'storage-node-7:50057', intervalMs: 1000 });
  });

  test('refuses what cannot work, naming the setting', () => {
    const bad: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{ JOIN_URL: 'gateway:8080' }, /JOIN_URL.*http/],
      [{ JOIN_URL: 'not a url' }, /JOIN_URL.*not a URL/],
      [{ JOIN_URL: 'ftp://x:21' }, /JOIN_URL.*http/],
      [{ JOIN_URL: 'http://x:8080/?a=1', ADVERTISE_ADDRESS: 'n:1' }, /JOIN_URL.*query/],
      [{ JOIN_URL: 'http://127.0.0.1:8080', ADVERTISE_ADDRESS: 'http://n:1' }, /ADVERTISE_ADDRESS.*scheme/],
      [{ JOIN_URL: 'http://127.0.0.1:8080', ADVERTISE_ADDRESS: 'n' }, /ADVERTISE_ADDRESS.*no port/],
      [{ ADVERTISE_ADDRESS: `${'h'.repeat(10_000)}:1` }, /ADVERTISE_ADDRESS.*characters long/],
      [{ JOIN_URL: 'http://127.0.0.1:8080', ANNOUNCE_INTERVAL_MS: '0' }, /ANNOUNCE_INTERVAL_MS.*out of range/],
      [{ JOIN_URL: 'http://127.0.0.1:8080', ANNOUNCE_INTERVAL_MS: 'often' }, /ANNOUNCE_INTERVAL_MS/],
      // A gateway on another machine cannot reach this node at 127.0.0.1.
      [{ JOIN_URL: 'http://gateway:8080' }, /ADVERTISE_ADDRESS/],
      [{ JOIN_URL: 'http://10.0.0.1:8080', GRPC_HOST: '127.0.0.1' }, /ADVERTISE_ADDRESS/],
    ];
    for (const [env, message] of bad) {
      expect(() => loadNodeConfig(env), JSON.stringify(env).slice(0, 80)).toThrow(ConfigError);
      expect(() => loadNodeConfig(env), JSON.stringify(env).slice(0, 80)).toThrow(message);
    }
    expect(loadNodeConfig({ JOIN_URL: 'http://gateway:8080', ADVERTISE_ADDRESS: 'node-7:50057' }).join!.advertiseAddress).toBe('node-7:50057');
  });
});

describe('storage node configuration: METRICS_PORT', () => {
  test('unset or empty: no metrics server; 0: any free port; a port: that port', () => {
    expect(loadNodeConfig({}).metricsPort).toBeNull();
    expect(loadNodeConfig({ METRICS_PORT: ' ' }).metricsPort).toBeNull();
    expect(loadNodeConfig({ METRICS_PORT: '0' }).metricsPort).toBe(0);
    expect(loadNodeConfig({ METRICS_PORT: '9101', GRPC_PORT: '50051' }).metricsPort).toBe(9101);
    // Both on any free port is fine: the system gives two different ones.
    expect(loadNodeConfig({ METRICS_PORT: '0', GRPC_PORT: '0' }).metricsPort).toBe(0);
  });

  test('refused: not a port, out of range, or the gRPC port', () => {
    for (const [env, message] of [
      [{ METRICS_PORT: 'http' }, /METRICS_PORT.*not a whole number/],
      [{ METRICS_PORT: '65536' }, /METRICS_PORT.*out of range/],
      [{ METRICS_PORT: '-1' }, /METRICS_PORT/],
      [{ METRICS_PORT: '50051', GRPC_PORT: '50051' }, /METRICS_PORT=50051 is also GRPC_PORT/],
    ] as const) {
      expect(() => loadNodeConfig(env), JSON.stringify(env)).toThrow(ConfigError);
      expect(() => loadNodeConfig(env), JSON.stringify(env)).toThrow(message);
    }
  });
});
