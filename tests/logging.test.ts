// Structured logs of real processes: JSON lines with time, level, role and node id; one request's
// id (X-Request-Id, given or made) in the gateway's answer, in its log and in the nodes' logs (they
// log every call at debug); the launcher shows the lines readable for a person; LOG_LEVEL checked.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { spawnNode } from './helpers/processes.js';
import { api, captureOutput, rawUpload } from './helpers/raw-upload.js';

let c: TestCluster;
let gatewayLog: () => string;
let nodeLogs: Array<() => string>;

beforeAll(async () => {
  c = await startTestCluster({ nodeEnv: { LOG_LEVEL: 'debug' } });
  gatewayLog = captureOutput(c.gateway.child, 2_000_000);
  nodeLogs = c.nodes.map((n) => captureOutput(n.child, 2_000_000));
});

afterAll(async () => {
  await c?.destroy();
});

const records = (text: string): Array<Record<string, any>> =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, any>);

/** The records of `output` once `enough` says they are all there: lines cross a pipe after the answer. */
async function recordsOnce(output: () => string, enough: (rs: Array<Record<string, any>>) => boolean): Promise<Array<Record<string, any>>> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const rs = records(output());
    if (enough(rs) || Date.now() > deadline) return rs;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('log lines', () => {
  it('are JSON with time, level, role and pid; a node names itself', async () => {
    await api(`${c.gatewayUrl}/health`);
    const gateway = await recordsOnce(gatewayLog, (rs) => rs.some((r) => r.path === '/health'));
    expect(gateway.length).toBeGreaterThan(0);
    for (const r of gateway) {
      expect(r).toMatchObject({ role: 'gateway', pid: c.gateway.child.pid });
      expect(Date.parse(r.time), JSON.stringify(r)).not.toBeNaN();
      expect(['debug', 'info', 'warn', 'error']).toContain(r.level);
      expect(typeof r.msg).toBe('string');
    }
    const health = gateway.find((r) => r.msg === 'request' && r.path === '/health');
    expect(health).toMatchObject({ api: 'rest', method: 'GET', route: '/health', status: 200 });
    expect(health!.ms).toBeGreaterThanOrEqual(0);
  });

  it("one request's id is in the answer, the gateway's log and every node it called", async () => {
    const id = `trace-${randomBytes(6).toString('hex')}`;
    const up = await rawUpload({ url: c.gatewayUrl, blocks: [randomBytes(3 * 1024 * 1024 + 5)], declaredSize: 3 * 1024 * 1024 + 5, headers: { 'X-Request-Id': id }, timeoutMs: 60_000 });
    expect(up.status, up.text).toBe(201);
    expect(up.headers!['x-request-id']).toBe(id);
    const access = (await recordsOnce(gatewayLog, (rs) => rs.some((r) => r.reqId === id))).find((r) => r.msg === 'request' && r.reqId === id);
    expect(access).toMatchObject({ method: 'POST', route: '/files', status: 201 });
    // Six chunks (4 data, 2 parity), one PutChunk on each node, each logged with the id.
    const calls = (await Promise.all(nodeLogs.map((l) => recordsOnce(l, (rs) => rs.some((r) => r.reqId === id))))).flatMap((rs) =>
      rs.filter((r) => r.msg === 'rpc' && r.reqId === id),
    );
    expect(calls.map((r) => r.rpc)).toEqual(Array(6).fill('PutChunk'));
    expect(new Set(calls.map((r) => r.node)).size).toBe(6);
    expect(calls.every((r) => r.role === 'storage-node' && r.code === 'OK')).toBe(true);

    const down = await fetch(`${c.gatewayUrl}/files/${up.json.file_id}`, { headers: { 'X-Request-Id': `${id}-get` } });
    await down.arrayBuffer();
    expect(down.headers.get('x-request-id')).toBe(`${id}-get`);
    await new Promise((r) => setTimeout(r, 500)); // the nodes' lines cross their pipes
    const reads = nodeLogs.flatMap((l) => records(l()).filter((r) => r.reqId === `${id}-get`));
    expect(reads.length).toBeGreaterThanOrEqual(4); // the data chunks at least
    expect(reads.every((r) => r.rpc === 'GetChunk')).toBe(true);
  });

  it('without a usable X-Request-Id the gateway makes one; S3 requests log theirs too', async () => {
    for (const given of [undefined, 'has spaces', 'x'.repeat(129)]) {
      const r = await api(`${c.gatewayUrl}/files`, { headers: given === undefined ? {} : { 'X-Request-Id': given } });
      const made = r.headers['x-request-id']!;
      expect(made).toMatch(/^[0-9a-f-]{36}$/);
      expect((await recordsOnce(gatewayLog, (rs) => rs.some((l) => l.reqId === made))).some((l) => l.reqId === made && l.msg === 'request')).toBe(true);
    }
    const s3 = await fetch(`${c.s3Url}/`);
    const s3Id = s3.headers.get('x-amz-request-id')!;
    await s3.arrayBuffer();
    expect((await recordsOnce(gatewayLog, (rs) => rs.some((l) => l.reqId === s3Id))).find((l) => l.reqId === s3Id)).toMatchObject({ api: 's3', msg: 'request', status: 403 });
  });

  it('the launcher shows them one readable line each, named by process', () => {
    const lines = c.output().split('\n').filter((l) => l.startsWith('[gateway]') && l.includes('INFO: request'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^\[gateway\] \[\d\d:\d\d:\d\d\] INFO: request \{.*"method":"/);
  });
});

describe('LOG_LEVEL', () => {
  it('a bad value stops a gateway and a node with a configuration error (exit 2)', async () => {
    for (const script of ['dist/gateway/main.js', 'dist/storage-node/main.js']) {
      const failed = await spawnNode(script, { LOG_LEVEL: 'loud', CLUSTER_TOKEN: randomUUID(), GRPC_PORT: '0', PORT: '0', S3_PORT: '0' }, /never/).then(
        () => null,
        (err: Error) => err.message,
      );
      expect(failed, script).toMatch(/exited with 2 before it was ready/);
      expect(failed, script).toMatch(/LOG_LEVEL="loud" must be one of fatal, error, warn, info, debug, trace, silent/);
    }
  });
});
