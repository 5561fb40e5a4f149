// GET /admin/history against a real gateway: the bytes of an upload and a download show up in the
// rates of the steps they fell in, with requests, the heal queue and each node's fill and latency.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { api, downloadSha256, uploadBuffer } from './helpers/raw-upload.js';

const STEP_MS = 300;
let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster({ gatewayEnv: { HISTORY_STEP_MS: String(STEP_MS) } });
});

afterAll(async () => {
  await c?.destroy();
});

describe('/admin/history', () => {
  it('accounts for the bytes moved, step by step, with node fill and latency', async () => {
    const size = 8 * 1024 * 1024;
    const up = await uploadBuffer(c.gatewayUrl, randomBytes(size));
    expect(up.status, up.text).toBe(201);
    expect((await downloadSha256(`${c.gatewayUrl}/files/${up.json.file_id}`)).bytes).toBe(size);
    await new Promise((r) => setTimeout(r, 3 * STEP_MS)); // the steps that hold them have ended

    const r = await api(`${c.gatewayUrl}/admin/history`);
    expect(r.status, r.text).toBe(200);
    expect(r.json.step_seconds).toBe(STEP_MS / 1000);
    const points = r.json.points as any[];
    expect(points.length).toBeGreaterThanOrEqual(2);
    const times = points.map((p) => Date.parse(p.t));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Rates times each step's length add up to what moved (rates are rounded to 0.01/s).
    const total = (key: string) => points.reduce((a, p) => a + p[key] * p.seconds, 0);
    expect(Math.round(total('upload_bytes_per_second'))).toBe(size);
    expect(Math.round(total('download_bytes_per_second'))).toBe(size);
    expect(Math.round(total('requests_per_second'))).toBeGreaterThanOrEqual(2);
    expect(points.every((p) => p.errors_per_second === 0)).toBe(true);
    const last = points.at(-1)!;
    expect(last.heal_queue_files).toBe(0);
    expect(last.nodes).toHaveLength(6);
    expect(last.nodes.every((n: { fill: number }) => n.fill > 0 && n.fill < 1)).toBe(true);
    // Health checks run every 500 ms: over the last steps each node has a measured latency.
    const latencies = points.slice(-6).flatMap((p) => p.nodes.map((n: { latency_ms: number | null }) => n.latency_ms)).filter((v: number | null) => v !== null);
    expect(latencies.length).toBeGreaterThan(0);
    expect(latencies.every((v: number) => v >= 0 && v < 5_000)).toBe(true);
  });
});
