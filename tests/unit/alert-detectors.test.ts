import { describe, expect, test } from 'vitest';
import { alertEvent, SEVERITY } from '../../gateway/alerts/alert-event.js';
import { DiskFillAlarm, diskFill } from '../../gateway/alerts/disk-fill-alarm.js';
import { HealStallDetector } from '../../gateway/alerts/heal-stall.js';
import { nodeTransition } from '../../gateway/alerts/node-transition.js';
import { Reachability } from '../../gateway/alerts/reachability.js';
import { retryDelayMs, worthRetrying } from '../../gateway/alerts/retry-schedule.js';
import { MAX_NAMED_FILES, UnreadableReads } from '../../gateway/alerts/unreadable-reads.js';

describe('alert events', () => {
  test('the JSON shape: severity from the kind, ISO time, the sender, no repeats', () => {
    const e = alertEvent({ event: 'node_down', subject: '127.0.0.1:50051', message: 'down', details: { node_id: 3 } }, new Date(0), 'h:42');
    expect(e).toEqual({
      event: 'node_down',
      severity: 'warning',
      subject: '127.0.0.1:50051',
      message: 'down',
      at: '1970-01-01T00:00:00.000Z',
      gateway: 'h:42',
      suppressed: 0,
      details: { node_id: 3 },
    });
    expect(SEVERITY.database_unreachable).toBe('critical');
    expect(SEVERITY.node_up).toBe('info');
  });
});

describe('node transitions', () => {
  test('down, dead and back are events; starts and space changes are not', () => {
    expect(nodeTransition('healthy', 'down')).toBe('node_down');
    expect(nodeTransition('unknown', 'down')).toBe('node_down'); // down since the gateway started
    expect(nodeTransition('low_space', 'down')).toBe('node_down');
    expect(nodeTransition('down', 'dead')).toBe('node_dead');
    expect(nodeTransition('down', 'healthy')).toBe('node_up');
    expect(nodeTransition('dead', 'low_space')).toBe('node_up');
    expect(nodeTransition('unknown', 'healthy')).toBeUndefined();
    expect(nodeTransition('healthy', 'low_space')).toBeUndefined();
    expect(nodeTransition('down', 'down')).toBeUndefined();
    expect(nodeTransition('dead', 'down')).toBeUndefined(); // a dead node's next failed probe
  });
});

describe('disk fill', () => {
  test('the share in use, unknown without figures', () => {
    expect(diskFill(1000, 250)).toBe(0.75);
    expect(diskFill(null, 10)).toBeUndefined();
    expect(diskFill(0, 0)).toBeUndefined();
  });

  test('rings when the fill passes the threshold upward, again only after it fell clearly below', () => {
    const alarm = new DiskFillAlarm(0.9);
    expect(alarm.observe('a', 0.5)).toBe(false);
    expect(alarm.observe('a', 0.9)).toBe(true);
    expect(alarm.observe('a', 0.95)).toBe(false);
    expect(alarm.observe('a', 0.89)).toBe(false); // within the hysteresis: not re-armed
    expect(alarm.observe('a', 0.91)).toBe(false);
    expect(alarm.observe('a', 0.85)).toBe(false);
    expect(alarm.observe('a', 0.92)).toBe(true);
    expect(alarm.observe('b', 0.99)).toBe(true); // already full when first seen
    alarm.keepOnly(new Set(['a']));
    expect(alarm.observe('b', 0.99)).toBe(true);
  });
});

describe('heal queue stall', () => {
  test('rings once when a non-empty queue neither shrinks nor heals for the stall time', () => {
    const d = new HealStallDetector(10_000);
    expect(d.observe({ files: 0, completed: 0 }, 0)).toBe(false);
    expect(d.observe({ files: 5, completed: 0 }, 1_000)).toBe(false); // newly queued: the clock starts
    expect(d.observe({ files: 5, completed: 0 }, 10_999)).toBe(false);
    expect(d.observe({ files: 7, completed: 0 }, 11_000)).toBe(true); // growing is no progress
    expect(d.stalledForMs(11_000)).toBe(10_000);
    expect(d.observe({ files: 7, completed: 0 }, 30_000)).toBe(false); // once per stall
  });

  test('progress re-arms it: a smaller queue, or chunks healed while new ones came', () => {
    const d = new HealStallDetector(10_000);
    d.observe({ files: 5, completed: 0 }, 0);
    expect(d.observe({ files: 5, completed: 0 }, 10_000)).toBe(true);
    expect(d.observe({ files: 4, completed: 0 }, 11_000)).toBe(false);
    expect(d.observe({ files: 4, completed: 3 }, 20_000)).toBe(false); // healed, the same length
    expect(d.observe({ files: 4, completed: 3 }, 29_999)).toBe(false);
    expect(d.observe({ files: 4, completed: 3 }, 30_000)).toBe(true);
    expect(d.observe({ files: 0, completed: 9 }, 31_000)).toBe(false);
    expect(d.observe({ files: 2, completed: 9 }, 32_000)).toBe(false);
    expect(d.observe({ files: 2, completed: 9 }, 42_000)).toBe(true);
  });
});

describe('database reachability', () => {
  test('unreachable after N failures in a row, back at the first good probe, each edge once', () => {
    const r = new Reachability(2);
    expect(r.record(false)).toBeUndefined();
    expect(r.record(true)).toBeUndefined(); // one failure is not an outage
    expect(r.record(false)).toBeUndefined();
    expect(r.record(false)).toBe('unreachable');
    expect(r.reachable).toBe(false);
    expect(r.record(false)).toBeUndefined();
    expect(r.record(true)).toBe('back');
    expect(r.record(true)).toBeUndefined();
  });
});

describe('webhook retries', () => {
  test('exponential backoff, capped, and a bounded number of attempts', () => {
    const s = { attempts: 5, baseMs: 1_000, maxMs: 3_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, s))).toEqual([undefined, 1_000, 2_000, 3_000, 3_000, undefined]);
  });

  test('no answer, 408, 429 and 5xx are retried; a refusal or a redirect is not', () => {
    expect([undefined, 408, 429, 500, 503].map(worthRetrying)).toEqual([true, true, true, true, true]);
    expect([400, 401, 404, 301].map(worthRetrying)).toEqual([false, false, false, false]);
  });
});

describe('unreadable reads', () => {
  test('gathered between two takes, with a bounded list of file ids', () => {
    const reads = new UnreadableReads();
    expect(reads.take()).toBeUndefined();
    for (let i = 0; i < 50; i++) reads.record(`f${i % 30}`, `why ${i}`);
    const batch = reads.take()!;
    expect(batch.reads).toBe(50);
    expect(batch.fileIds).toHaveLength(MAX_NAMED_FILES);
    expect(batch.firstMessage).toBe('why 0');
    expect(reads.take()).toBeUndefined();
  });
});
