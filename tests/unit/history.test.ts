// The in-memory history of GET /admin/history: rates from cumulative counters, a bounded window.
import { describe, expect, it } from 'vitest';
import { History, type Reading } from '../../gateway/ops/history.js';

const reading = (uploadBytes: number, downloadBytes = 0, requests = 0, errors = 0, heal: number | null = 0): Reading => ({
  counters: { uploadBytes, downloadBytes, requests, errors },
  healQueueFiles: heal,
  nodes: [{ id: 1, address: 'n1', fill: 0.5, latencyMs: 2 }],
});

describe('History', () => {
  it('turns counter growth into per-second rates, one point per step after the first reading', () => {
    const h = new History(10_000, 360);
    h.record(0, reading(0));
    expect(h.list()).toEqual([]);
    h.record(10_000, reading(100 * 1024 * 1024, 50, 20, 1, 3));
    h.record(20_000, reading(100 * 1024 * 1024, 150, 30, 1, 0));
    const [a, b] = h.list();
    expect(a).toMatchObject({ t: '1970-01-01T00:00:10.000Z', seconds: 10, upload_bytes_per_second: 10_485_760, download_bytes_per_second: 5, requests_per_second: 2, errors_per_second: 0.1, heal_queue_files: 3 });
    expect(b).toMatchObject({ upload_bytes_per_second: 0, download_bytes_per_second: 10, requests_per_second: 1, errors_per_second: 0, heal_queue_files: 0 });
    expect(b!.nodes).toEqual([{ id: 1, address: 'n1', fill: 0.5, latency_ms: 2 }]);
  });

  it('keeps the last `capacity` points, oldest first; a counter that goes down counts from zero', () => {
    const h = new History(1_000, 3);
    for (let i = 0; i <= 5; i++) h.record(i * 1_000, reading(i * 10));
    expect(h.list().map((p) => p.t)).toEqual(['1970-01-01T00:00:03.000Z', '1970-01-01T00:00:04.000Z', '1970-01-01T00:00:05.000Z']);
    h.record(6_000, reading(7));
    expect(h.list().at(-1)!.upload_bytes_per_second).toBe(7);
    h.record(6_000, reading(100)); // no time passed: no point
    expect(h.list()).toHaveLength(3);
  });
});
