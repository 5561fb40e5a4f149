import { describe, expect, test } from 'vitest';
import { ConfigError, loadGatewayConfig } from '../../gateway/config.js';

/** Every valid configuration needs a cluster token (or AUTH=off). */
const TOKEN = { CLUSTER_TOKEN: 'gateway-config-test-token' };

describe('gateway configuration', () => {
  test('defaults: k = 4, m = 2, 1 MiB units, write quorum k + 1', () => {
    const c = loadGatewayConfig({ ...TOKEN });
    expect([c.dataUnits, c.parityUnits, c.stripeUnit, c.writeQuorum]).toEqual([4, 2, 1024 * 1024, 5]);
    expect(loadGatewayConfig({ ...TOKEN, PARITY_UNITS: '0' }).writeQuorum).toBe(4);
    expect(loadGatewayConfig({ ...TOKEN, DATA_UNITS: '6', PARITY_UNITS: '3', WRITE_QUORUM: '9' }).writeQuorum).toBe(9);
  });

  test('binds to loopback unless told otherwise; limits on clients with their defaults', () => {
    const c = loadGatewayConfig({ ...TOKEN });
    expect(c.host).toBe('127.0.0.1');
    expect(loadGatewayConfig({ ...TOKEN, HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect([c.idleTimeoutMs, c.headersTimeoutMs, c.maxHeaderBytes, c.maxConnections, c.maxUploads]).toEqual([120_000, 20_000, 16_384, 1_000, 64]);
    const set = loadGatewayConfig({ ...TOKEN, HEADERS_TIMEOUT_MS: '1500', MAX_HEADER_BYTES: '8192', MAX_CONNECTIONS: '20', MAX_UPLOADS: '2' });
    expect([set.headersTimeoutMs, set.maxHeaderBytes, set.maxConnections, set.maxUploads]).toEqual([1_500, 8_192, 20, 2]);
  });

  test('refuses what cannot work, naming the setting', () => {
    const bad: Record<string, string>[] = [
      { STRIPE_WIDTH: '6' },
      { DATA_UNITS: '0' },
      { DATA_UNITS: '25' },
      { PARITY_UNITS: '7' },
      { STRIPE_UNIT: '100000' }, // not a multiple of the 64 KiB block
      { WRITE_QUORUM: '3' }, // below k
      { WRITE_QUORUM: '7' }, // above k + m
      { DB_POOL_SIZE: 'many' },
      { STORAGE_NODES: '127.0.0.1:50051,http://x:1/' },
      { STORAGE_NODES: `${'h'.repeat(300)}:1` },
      { HOST: '127.0.0.1 8080' },
      { HEADERS_TIMEOUT_MS: '0' },
      { HEADERS_TIMEOUT_MS: 'soon' },
      { MAX_HEADER_BYTES: '1000' }, // too small for a signed S3 request
      { MAX_HEADER_BYTES: '2000000' },
      { MAX_CONNECTIONS: '0' },
      { MAX_UPLOADS: '0' },
      { MAX_UPLOADS: '-1' },
    ];
    for (const env of bad) {
      const name = Object.keys(env)[0]!;
      expect(() => loadGatewayConfig(env), name).toThrow(ConfigError);
      expect(() => loadGatewayConfig(env), name).toThrow(name === 'STRIPE_WIDTH' ? /DATA_UNITS/ : new RegExp(name));
    }
  });
});
