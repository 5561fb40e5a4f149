import { describe, expect, test } from 'vitest';
import { ConfigError, loadGatewayConfig } from '../../gateway/config.js';
import { parseWebhookUrls } from '../../gateway/alerts/webhook-target.js';

const TOKEN = { CLUSTER_TOKEN: 'gateway-config-test-token' };

describe('alert configuration', () => {
  test('defaults: no webhook (log only), 90% fill, 30 min stall, 10 min repeat window, 30 s poll', () => {
    expect(loadGatewayConfig({ ...TOKEN }).alerts).toEqual({ webhooks: [], diskFill: 0.9, healStallMs: 1_800_000, repeatMs: 600_000, pollMs: 30_000 });
    const set = loadGatewayConfig({
      ...TOKEN,
      ALERT_WEBHOOK_URLS: ' http://127.0.0.1:9999/hook , https://alerts.example.com/x?key=s3cret ',
      ALERT_DISK_FILL: '0.75',
      ALERT_HEAL_STALL_MS: '60000',
      ALERT_REPEAT_MS: '0',
      ALERT_POLL_MS: '500',
    }).alerts;
    expect(set.webhooks.map((w) => [w.url, w.label])).toEqual([
      ['http://127.0.0.1:9999/hook', 'http://127.0.0.1:9999'],
      ['https://alerts.example.com/x?key=s3cret', 'https://alerts.example.com'],
    ]);
    expect([set.diskFill, set.healStallMs, set.repeatMs, set.pollMs]).toEqual([0.75, 60_000, 0, 500]);
  });

  test('refuses what cannot work, naming the setting', () => {
    const bad: Record<string, string>[] = [
      { ALERT_WEBHOOK_URLS: 'not a url' },
      { ALERT_WEBHOOK_URLS: 'http://127.0.0.1:1/ok,ftp://example.com/' },
      { ALERT_WEBHOOK_URLS: 'file:///etc/passwd' },
      { ALERT_WEBHOOK_URLS: Array.from({ length: 17 }, (_, i) => `http://h${i}/`).join(',') },
      { ALERT_DISK_FILL: '0' },
      { ALERT_DISK_FILL: '1.5' },
      { ALERT_DISK_FILL: '90%' },
      { ALERT_DISK_FILL: '-0.5' },
      { ALERT_HEAL_STALL_MS: '10' },
      { ALERT_REPEAT_MS: 'soon' },
      { ALERT_POLL_MS: '0' },
    ];
    for (const env of bad) {
      const name = Object.keys(env)[0]!;
      expect(() => loadGatewayConfig({ ...TOKEN, ...env }), JSON.stringify(env)).toThrow(ConfigError);
      expect(() => loadGatewayConfig({ ...TOKEN, ...env }), JSON.stringify(env)).toThrow(new RegExp(name));
    }
  });

  test('user:password in a URL becomes a Basic header, never part of the URL or the log label; duplicates count once', () => {
    const { targets, problem } = parseWebhookUrls('https://ops:p%40ss@hooks.example.com:8443/in#frag,https://ops:p%40ss@hooks.example.com:8443/in');
    expect(problem).toBeUndefined();
    expect(targets).toEqual([
      {
        url: 'https://hooks.example.com:8443/in',
        authorization: `Basic ${Buffer.from('ops:p@ss').toString('base64')}`,
        label: 'https://hooks.example.com:8443',
      },
    ]);
  });
});
