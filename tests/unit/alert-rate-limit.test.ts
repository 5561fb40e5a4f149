import { describe, expect, test } from 'vitest';
import { alertEvent, type AlertEvent, type AlertKind } from '../../gateway/alerts/alert-event.js';
import { AlertRateLimit } from '../../gateway/alerts/alert-rate-limit.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const ev = (event: AlertKind, subject: string, at: number, message = 'm'): AlertEvent =>
  alertEvent({ event, subject, message }, new Date(at), 'gw:1');

describe('alert rate limit', () => {
  test('one event per kind and subject per window; other kinds and subjects are not held back', () => {
    const limit = new AlertRateLimit(10_000);
    expect(limit.offer(ev('node_down', 'a:1', T0), T0)?.suppressed).toBe(0);
    expect(limit.offer(ev('node_down', 'a:1', T0 + 1_000), T0 + 1_000)).toBeUndefined();
    expect(limit.offer(ev('node_down', 'b:1', T0 + 1_000), T0 + 1_000)).toBeDefined();
    expect(limit.offer(ev('node_up', 'a:1', T0 + 2_000), T0 + 2_000)).toBeDefined();
    expect(limit.offer(ev('node_down', 'a:1', T0 + 9_999), T0 + 9_999)).toBeUndefined();
  });

  test('when the window ends, the last event held back goes out, counting the others', () => {
    const limit = new AlertRateLimit(10_000);
    limit.offer(ev('node_down', 'a:1', T0), T0);
    limit.offer(ev('node_down', 'a:1', T0 + 1_000, 'first repeat'), T0 + 1_000);
    limit.offer(ev('node_down', 'a:1', T0 + 2_000, 'second repeat'), T0 + 2_000);
    expect(limit.due(T0 + 9_999)).toEqual([]);
    const due = limit.due(T0 + 10_000);
    expect(due).toHaveLength(1);
    expect(due[0]).toMatchObject({ message: 'second repeat', suppressed: 1, at: new Date(T0 + 2_000).toISOString() });
    // That release opened a new window.
    expect(limit.offer(ev('node_down', 'a:1', T0 + 12_000), T0 + 12_000)).toBeUndefined();
    expect(limit.due(T0 + 20_000)).toHaveLength(1);
  });

  test('released repeats come oldest first (a flapping node ends on its latest state)', () => {
    const limit = new AlertRateLimit(10_000);
    limit.offer(ev('node_down', 'a:1', T0), T0);
    limit.offer(ev('node_up', 'a:1', T0 + 1_000), T0 + 1_000);
    limit.offer(ev('node_down', 'a:1', T0 + 2_000), T0 + 2_000);
    limit.offer(ev('node_up', 'a:1', T0 + 3_000), T0 + 3_000);
    expect(limit.due(T0 + 11_000).map((e) => e.event)).toEqual(['node_down', 'node_up']);
  });

  test('an event after a window whose repeat was never released carries the count', () => {
    const limit = new AlertRateLimit(10_000);
    limit.offer(ev('disk_fill', 'a:1', T0), T0);
    limit.offer(ev('disk_fill', 'a:1', T0 + 1_000), T0 + 1_000);
    limit.offer(ev('disk_fill', 'a:1', T0 + 2_000), T0 + 2_000);
    expect(limit.offer(ev('disk_fill', 'a:1', T0 + 30_000), T0 + 30_000)?.suppressed).toBe(2);
  });

  test('keys idle for a window are forgotten; window 0 holds nothing back', () => {
    const limit = new AlertRateLimit(1_000);
    for (let i = 0; i < 100; i++) limit.offer(ev('file_unreadable', `f${i}`, T0), T0);
    expect(limit.size).toBe(100);
    expect(limit.due(T0 + 1_000)).toEqual([]);
    expect(limit.size).toBe(0);
    const none = new AlertRateLimit(0);
    for (let i = 0; i < 3; i++) expect(none.offer(ev('node_down', 'a:1', T0), T0)).toBeDefined();
  });
});
