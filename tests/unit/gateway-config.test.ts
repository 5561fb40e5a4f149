import { describe, expect, test } from 'vitest';
import { ConfigError, loadGatewayConfig } from '../../gateway/config.js';

describe('gateway configuration', () => {
  test('defaults: k = 4, m = 2, 1 MiB units, write quorum k + 1', () => {
    const c = loadGatewayConfig({});
    expect([c.dataUnits, c.parityUnits, c.stripeUnit, c.writeQuorum]).toEqual([4, 2, 1024 * 1024, 5]);
    expect(loadGatewayConfig({ PARITY_UNITS: '0' }).writeQuorum).toBe(4);
    expect(loadGatewayConfig({ DATA_UNITS: '6', PARITY_UNITS: '3', WRITE_QUORUM: '9' }).writeQuorum).toBe(9);
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
    ];
    for (const env of bad) {
      const name = Object.keys(env)[0]!;
      expect(() => loadGatewayConfig(env), name).toThrow(ConfigError);
      expect(() => loadGatewayConfig(env), name).toThrow(name === 'STRIPE_WIDTH' ? /DATA_UNITS/ : new RegExp(name));
    }
  });
});
