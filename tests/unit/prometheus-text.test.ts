// The test helper that reads /metrics: what prom-client writes, it reads back exactly; what is not
// the text format, it refuses.
import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { parseExposition, sumOf, valueOf } from '../helpers/prometheus-text.js';

describe('parseExposition', () => {
  it("reads back prom-client's counters, gauges and histograms, escaped label values included", async () => {
    const registry = new Registry();
    const c = new Counter({ name: 't_requests_total', help: 'requests', labelNames: ['route', 'status'], registers: [registry] });
    const g = new Gauge({ name: 't_queue', help: 'queue', registers: [registry] });
    const h = new Histogram({ name: 't_duration_seconds', help: 'd', labelNames: ['op'], buckets: [0.1, 1], registers: [registry] });
    c.inc({ route: '/files/:fileId', status: '404' }, 3);
    c.inc({ route: 'a "quoted"\\ path\nwith a newline', status: '200' });
    g.set(Number.NaN);
    h.observe({ op: 'x' }, 0.05);
    h.observe({ op: 'x' }, 5);
    const e = parseExposition(await registry.metrics());
    expect(e.types.get('t_requests_total')).toBe('counter');
    expect(e.types.get('t_duration_seconds')).toBe('histogram');
    expect(valueOf(e, 't_requests_total', { route: '/files/:fileId', status: '404' })).toBe(3);
    expect(valueOf(e, 't_requests_total', { route: 'a "quoted"\\ path\nwith a newline' })).toBe(1);
    expect(sumOf(e, 't_requests_total')).toBe(4);
    expect(Number.isNaN(valueOf(e, 't_queue'))).toBe(true);
    expect(valueOf(e, 't_duration_seconds_bucket', { op: 'x', le: '0.1' })).toBe(1);
    expect(valueOf(e, 't_duration_seconds_bucket', { op: 'x', le: '+Inf' })).toBe(2);
    expect(valueOf(e, 't_duration_seconds_count', { op: 'x' })).toBe(2);
    expect(valueOf(e, 't_duration_seconds_sum', { op: 'x' })).toBeCloseTo(5.05);
  });

  it('refuses what is not the text format', () => {
    expect(() => parseExposition('t_x{a="1" 2')).toThrow();
    expect(() => parseExposition('t_x{a=1} 2')).toThrow();
    expect(() => parseExposition('t_x twelve')).toThrow();
    expect(() => parseExposition('{a="1"} 2')).toThrow();
    expect(() => parseExposition('t_x{a="\\q"} 1')).toThrow();
    expect(() => parseExposition('# TYPE t_x thing')).toThrow();
    expect(() => valueOf(parseExposition('t_x{a="1"} 1\nt_x{a="2"} 1'), 't_x')).toThrow(/2 samples/);
  });
});
