// What counts as a failed call to a node in the gateway's metrics: an error status, but not a call
// the gateway cancelled itself, nor an answer such as NOT_FOUND from a deletion; no series at all
// for an address being probed before it is registered (node 0); and the totals samplers read.
import { EventEmitter } from 'node:events';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nodeCallTotals, observeNodeCall } from '../../gateway/metrics/node-metrics.js';
import { bytesDownloaded, bytesUploaded, httpTotals, observeRequest } from '../../gateway/metrics/http-metrics.js';
import { registry } from '../../gateway/metrics/registry.js';
import { parseExposition, sumOf } from '../helpers/prometheus-text.js';

async function afterCall(nodeId: number, call: string, code: number, answers?: number[]): Promise<{ calls: number; errors: number }> {
  const before = parseExposition(await registry.metrics());
  const emitter = new EventEmitter();
  observeNodeCall(nodeId, call, emitter as never, answers);
  emitter.emit('status', { code });
  const after = parseExposition(await registry.metrics());
  const labels = { node: String(nodeId), call };
  return {
    calls: sumOf(after, 'objstore_node_call_duration_seconds_count', labels) - sumOf(before, 'objstore_node_call_duration_seconds_count', labels),
    errors: sumOf(after, 'objstore_node_call_errors_total', labels) - sumOf(before, 'objstore_node_call_errors_total', labels),
  };
}

describe('observeNodeCall', () => {
  it('times every call and counts error statuses', async () => {
    expect(await afterCall(7, 'GetChunk', status.OK)).toEqual({ calls: 1, errors: 0 });
    expect(await afterCall(7, 'GetChunk', status.UNAVAILABLE)).toEqual({ calls: 1, errors: 1 });
    expect(await afterCall(7, 'GetChunk', status.NOT_FOUND)).toEqual({ calls: 1, errors: 1 });
    expect(await afterCall(7, 'PutChunk', status.DATA_LOSS)).toEqual({ calls: 1, errors: 1 });
  });

  it('a call the gateway cancelled, or a status named as an answer, is no error', async () => {
    expect(await afterCall(7, 'GetChunk', status.CANCELLED)).toEqual({ calls: 1, errors: 0 });
    expect(await afterCall(7, 'DeleteChunk', status.NOT_FOUND, [status.NOT_FOUND])).toEqual({ calls: 1, errors: 0 });
    expect(await afterCall(7, 'DeleteChunk', status.UNAVAILABLE, [status.NOT_FOUND])).toEqual({ calls: 1, errors: 1 });
  });

  it('an address probed before registration (node 0) adds no series', async () => {
    expect(await afterCall(0, 'HealthCheck', status.UNAVAILABLE)).toEqual({ calls: 0, errors: 0 });
    expect(parseExposition(await registry.metrics()).samples.some((s) => s.labels.node === '0')).toBe(false);
  });
});

describe('totals for samplers', () => {
  it('nodeCallTotals: per node and call, the calls, their summed seconds and errors so far', async () => {
    const before = (await nodeCallTotals()).find((t) => t.node === 9 && t.call === 'HealthCheck') ?? { count: 0, seconds: 0, errors: 0 };
    for (const code of [status.OK, status.OK, status.UNAVAILABLE]) {
      const e = new EventEmitter();
      observeNodeCall(9, 'HealthCheck', e as never);
      e.emit('status', { code });
    }
    const after = (await nodeCallTotals()).find((t) => t.node === 9 && t.call === 'HealthCheck')!;
    expect(after.count - before.count).toBe(3);
    expect(after.errors - before.errors).toBe(1);
    expect(after.seconds).toBeGreaterThanOrEqual(before.seconds);
  });

  it('httpTotals: bytes each way, requests, and the 5xx among them', async () => {
    const before = await httpTotals();
    for (const statusCode of [200, 404, 503, 500]) {
      const res = Object.assign(new EventEmitter(), { writableFinished: true, statusCode });
      observeRequest('rest', { method: 'GET' } as IncomingMessage, res as unknown as ServerResponse, () => '/files/:fileId');
      res.emit('close');
    }
    bytesUploaded(1000);
    bytesDownloaded(250);
    const after = await httpTotals();
    expect({
      requests: after.requests - before.requests,
      errors: after.errors - before.errors,
      uploadBytes: after.uploadBytes - before.uploadBytes,
      downloadBytes: after.downloadBytes - before.downloadBytes,
    }).toEqual({ requests: 4, errors: 2, uploadBytes: 1000, downloadBytes: 250 });
  });
});
