// Alerts by webhook, against real processes and a real HTTP receiver on loopback: a node killed
// and started again, a disk over the threshold, a heal queue that cannot drain, files unreadable,
// the database stopped and started; retries, the rate limit, and a webhook that never answers
// holding back neither the data path nor the gateway's stop. Every wait is a poll with a deadline.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { alertEvent } from '../dist/gateway/alerts/alert-event.js';
import { WebhookSender } from '../dist/gateway/alerts/webhook-sender.js';
import { parseWebhookUrls } from '../dist/gateway/alerts/webhook-target.js';
import { startEmbeddedDatabase } from '../dist/gateway/metadata/embedded-database.js';
import { startLocalCluster } from '../dist/scripts/local-cluster.js';
import { freePort } from './bench/bench-support.js';
import { undoAfterEach } from './helpers/cleanup.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { ClusterNodes } from './helpers/cluster-nodes.js';
import { MiB, api, download, pollUntil, uploadBuffer, waitFor } from './helpers/raw-upload.js';
import { startWebhookReceiver, type ReceivedPost, type WebhookReceiver } from './helpers/webhook-receiver.js';

const target = (url: string) => parseWebhookUrls(url).targets[0]!;
const event = (subject: string) => alertEvent({ event: 'node_down', subject, message: `test ${subject}` }, new Date(), 'test:1');
const fast = { timeoutMs: 500, retry: { attempts: 3, baseMs: 100, maxMs: 1_000 }, queueLimit: 3 };

describe('webhook sender (in this process, a real HTTP receiver)', () => {
  const undo = undoAfterEach();

  it('retries with backoff: 500, 500, then 200 gets the same event on the third attempt', async () => {
    const hook = await startWebhookReceiver((n) => (n <= 2 ? 500 : 200));
    undo.push(() => hook.close());
    const sender = new WebhookSender(target(hook.url), fast);
    undo.push(() => sender.stop());
    const e = event('a');
    sender.send(e);
    const third = await hook.waitFor((p) => p.n === 3, 5_000);
    expect(third?.answer).toBe(200);
    expect(hook.posts.map((p) => p.body)).toEqual([e, e, e]);
    const [p1, p2, p3] = hook.posts as [ReceivedPost, ReceivedPost, ReceivedPost];
    expect(p2.receivedAt - p1.receivedAt).toBeGreaterThanOrEqual(90);
    expect(p3.receivedAt - p2.receivedAt).toBeGreaterThanOrEqual(190); // doubled
    expect(await waitFor(async () => hook.posts.length > 3, 500, 50)).toBe(false); // delivered: no fourth
  });

  it('gives up after the attempts allowed, and at once on a refusal (4xx)', async () => {
    const down = await startWebhookReceiver(() => 503);
    undo.push(() => down.close());
    const refusing = await startWebhookReceiver(() => 400);
    undo.push(() => refusing.close());
    const senders = [new WebhookSender(target(down.url), fast), new WebhookSender(target(refusing.url), fast)];
    undo.push(() => senders.forEach((s) => s.stop()));
    for (const s of senders) s.send(event('b'));
    await waitFor(async () => down.posts.length >= 3, 5_000, 50);
    expect(await waitFor(async () => down.posts.length > 3 || refusing.posts.length > 1, 1_500, 50)).toBe(false);
    expect([down.posts.length, refusing.posts.length]).toEqual([3, 1]);
  });

  it('a webhook that never answers: send returns at once, the queue stays bounded (newest kept), stop cuts the POST', async () => {
    const hook = await startWebhookReceiver(() => 'hang');
    undo.push(() => hook.close());
    const sender = new WebhookSender(target(hook.url), { ...fast, timeoutMs: 60_000 });
    undo.push(() => sender.stop());
    const started = performance.now();
    for (let i = 0; i < 10; i++) sender.send(event(`e${i}`));
    expect(performance.now() - started).toBeLessThan(50);
    await hook.waitFor((p) => p.n === 1, 5_000);
    expect(hook.hanging()).toBe(1);
    expect(sender.waiting).toBe(3); // e7, e8, e9 (e0 is being posted)
    expect(hook.posts[0]!.body.subject).toBe('e0');
    sender.stop();
    expect(await waitFor(async () => hook.hanging() === 0, 2_000, 20)).toBe(true);
    expect(await waitFor(async () => hook.posts.length > 1, 500, 50)).toBe(false);
  });

  it('a POST with no answer within the timeout is retried', async () => {
    const hook = await startWebhookReceiver((n) => (n === 1 ? 'hang' : 200));
    undo.push(() => hook.close());
    const sender = new WebhookSender(target(hook.url), { ...fast, timeoutMs: 300 });
    undo.push(() => sender.stop());
    sender.send(event('t'));
    const second = await hook.waitFor((p) => p.n === 2, 5_000);
    expect(second?.body.subject).toBe('t');
    expect(second!.receivedAt - hook.posts[0]!.receivedAt).toBeGreaterThanOrEqual(300); // after the 300 ms timeout (and 100 ms backoff)
  });

  it('user:password of the configured URL is sent as Basic authorization', async () => {
    const hook = await startWebhookReceiver();
    undo.push(() => hook.close());
    const sender = new WebhookSender(target(hook.url.replace('http://', 'http://ops:s%3Acret@')), fast);
    undo.push(() => sender.stop());
    sender.send(event('auth'));
    const got = await hook.waitFor(() => true, 5_000);
    expect(got?.headers.authorization).toBe(`Basic ${Buffer.from('ops:s:cret').toString('base64')}`);
    expect(got?.headers['content-type']).toBe('application/json');
  });
});

const REPEAT_MS = 15_000;

describe('alerts from a real cluster', () => {
  let c: TestCluster;
  let nodes: ClusterNodes;
  let ok: WebhookReceiver; // answers 200
  let flaky: WebhookReceiver; // 500 twice, then 200
  let hang: WebhookReceiver; // never answers
  let firstFile: string;
  const posts = (kind: string, subject?: string): ReceivedPost[] =>
    ok.posts.filter((p) => p.body?.event === kind && (subject === undefined || p.body.subject === subject));
  const seen = (): string => ok.posts.map((p) => `${p.body?.event} ${p.body?.subject} (+${p.receivedAt - ok.posts[0]!.receivedAt} ms)`).join('\n');

  beforeAll(async () => {
    ok = await startWebhookReceiver();
    flaky = await startWebhookReceiver((n) => (n <= 2 ? 500 : 200));
    hang = await startWebhookReceiver(() => 'hang');
    c = await startTestCluster({
      gatewayEnv: {
        ALERT_WEBHOOK_URLS: [ok.url, flaky.url, hang.url].join(','),
        ALERT_POLL_MS: '200',
        ALERT_DISK_FILL: '0.0001', // every real disk is fuller than this
        ALERT_HEAL_STALL_MS: '2000',
        ALERT_REPEAT_MS: String(REPEAT_MS),
      },
    });
    nodes = new ClusterNodes(c);
  });
  afterAll(async () => {
    await nodes?.stopRestarted();
    await c?.destroy();
    await Promise.all([ok, flaky, hang].map((h) => h?.close()));
  });

  it('each node past ALERT_DISK_FILL is reported once, with the documented JSON shape', async () => {
    onTestFailed(() => console.log(`--- webhook saw ---\n${seen()}\n--- cluster output ---\n${c.output().slice(-5_000)}`));
    const addresses = c.nodes.map((n) => n.address).sort();
    await pollUntil(async () => posts('disk_fill').length, (n) => n >= addresses.length, 15_000);
    expect(posts('disk_fill').map((p) => p.body.subject).sort()).toEqual(addresses);
    const body = posts('disk_fill')[0]!.body;
    expect(body).toMatchObject({ event: 'disk_fill', severity: 'warning', suppressed: 0, details: { threshold: 0.0001 } });
    expect(Object.keys(body).sort()).toEqual(['at', 'details', 'event', 'gateway', 'message', 'severity', 'subject', 'suppressed']);
    expect(new Date(body.at).toISOString()).toBe(body.at);
    expect(body.gateway).toMatch(/^[^:]+:\d+$/);
    expect(body.details.fill).toBeGreaterThan(0.0001);
    expect(body.details.fill).toBeLessThanOrEqual(1);
    expect(c.output()).toMatch(/alert disk_fill 127\.0\.0\.1:\d+: the disk of storage node/);
  });

  it('a webhook that answers 500 twice then 200 gets its first event on the third attempt; the others get it at once', async () => {
    const third = await flaky.waitFor((p) => p.n === 3, 15_000);
    expect(third?.answer).toBe(200);
    const [p1, p2, p3] = flaky.posts as [ReceivedPost, ReceivedPost, ReceivedPost];
    expect([p1.answer, p2.answer]).toEqual([500, 500]);
    expect(p2.body).toEqual(p1.body);
    expect(p3.body).toEqual(p1.body);
    expect(p2.receivedAt - p1.receivedAt).toBeGreaterThanOrEqual(900); // 1 s backoff
    expect(p3.receivedAt - p2.receivedAt).toBeGreaterThanOrEqual(1_900); // then 2 s
    const atOk = ok.posts.find((p) => JSON.stringify(p.body) === JSON.stringify(p1.body));
    expect(atOk, 'the event reached the good webhook too').toBeDefined();
    expect(atOk!.receivedAt).toBeLessThan(p2.receivedAt);
  });

  it('a webhook that never answers holds back no upload and no download', async () => {
    expect(hang.hanging()).toBeGreaterThan(0);
    const data = randomBytes(4 * MiB);
    const up = await uploadBuffer(c.gatewayUrl, data);
    expect(up.status, up.text).toBe(201);
    // A POST is given up after 5 s: had the upload waited for the webhook it would have taken that long at least.
    expect(up.responseAfterMs).toBeLessThan(4_000);
    firstFile = up.json.file_id;
    const down = await download(`${c.gatewayUrl}/files/${firstFile}`, { keepBody: true, timeoutMs: 15_000 });
    expect(down.status).toBe(200);
    expect(down.body?.equals(data)).toBe(true);
    expect(down.ms).toBeLessThan(4_000);
    expect(hang.hanging()).toBeGreaterThan(0);
  });

  it('a node killed with SIGKILL: node_down names its address; a file stored meanwhile waits in the heal queue: heal_queue_stalled', async () => {
    onTestFailed(() => console.log(`--- webhook saw ---\n${seen()}\n--- cluster output ---\n${c.output().slice(-5_000)}`));
    const x = c.nodes[5]!;
    await nodes.kill(5);
    const down = await ok.waitFor((p) => p.body?.event === 'node_down' && p.body.subject === x.address, 15_000);
    expect(down, seen()).toBeDefined();
    expect(down!.body).toMatchObject({
      severity: 'warning',
      details: { address: x.address, status: 'down', previous_status: 'healthy', name: x.name },
    });
    expect(down!.body.message).toContain(x.address);
    // A full stripe (4 MiB: six chunks) on five nodes (the write quorum): its sixth chunk has nowhere
    // to go until the node is back.
    const up = await uploadBuffer(c.gatewayUrl, randomBytes(4 * MiB));
    expect(up.status, up.text).toBe(201);
    const stalled = await ok.waitFor((p) => p.body?.event === 'heal_queue_stalled', 20_000);
    expect(stalled, seen()).toBeDefined();
    expect(stalled!.body.subject).toBe('heal_queue');
    expect(stalled!.body.details.queue.files).toBeGreaterThanOrEqual(1);
    expect(stalled!.body.details.stalled_ms).toBeGreaterThanOrEqual(2_000);
  });

  it('the node started again: node_up; killed again within ALERT_REPEAT_MS: held back, sent when the window ends', async () => {
    onTestFailed(() => console.log(`--- webhook saw ---\n${seen()}\n--- cluster output ---\n${c.output().slice(-5_000)}`));
    const x = c.nodes[5]!;
    const y = c.nodes[4]!;
    await nodes.restart(5);
    const upEvent = await ok.waitFor((p) => p.body?.event === 'node_up' && p.body.subject === x.address, 15_000);
    expect(upEvent, seen()).toBeDefined();
    expect(upEvent!.body).toMatchObject({ severity: 'info', details: { status: 'healthy', previous_status: 'down' } });
    const firstDown = posts('node_down', x.address)[0]!;

    await Promise.all([nodes.kill(5), nodes.kill(4)]);
    // The other node's node_down shows the events flow; the gateway's registry shows x down again.
    expect(await ok.waitFor((p) => p.body?.event === 'node_down' && p.body.subject === y.address, 15_000), seen()).toBeDefined();
    const listed = await pollUntil(
      () => api(`${c.gatewayUrl}/admin/nodes`),
      (r) => (r.json?.nodes as { address: string; status: string }[] | undefined)?.some((n) => n.address === x.address && n.status === 'down') ?? false,
      10_000,
    );
    expect(listed.json.nodes.find((n: { address: string }) => n.address === x.address).status).toBe('down');
    const windowEnds = firstDown.receivedAt + REPEAT_MS;
    expect(Date.now(), 'the second outage came after the repeat window: the machine is too slow for this test').toBeLessThan(windowEnds - 1_000);
    expect(posts('node_down', x.address)).toHaveLength(1);
    expect(c.output()).toMatch(new RegExp(`alert node_down ${x.address.replace(/\./g, '\\.')}: .*held back`));
    const released = await ok.waitFor((p) => p.body?.event === 'node_down' && p.body.subject === x.address && p !== firstDown, REPEAT_MS + 10_000);
    expect(released, seen()).toBeDefined();
    expect(released!.receivedAt).toBeGreaterThanOrEqual(windowEnds - 500); // the sender's and the receiver's clocks are one
    expect(Date.parse(released!.body.at)).toBeLessThan(released!.receivedAt - 1_000); // noticed when it happened, sent later
    expect(posts('node_down', x.address)).toHaveLength(2);
  });

  it('a third node down leaves files unreadable: file_unreadable from the redundancy report and from a failed download', async () => {
    onTestFailed(() => console.log(`--- webhook saw ---\n${seen()}\n--- cluster output ---\n${c.output().slice(-5_000)}`));
    await nodes.kill(3);
    const report = await ok.waitFor((p) => p.body?.event === 'file_unreadable' && p.body.subject === 'redundancy', 15_000);
    expect(report, seen()).toBeDefined();
    expect(report!.body).toMatchObject({ severity: 'critical' });
    expect(report!.body.details.unreadable).toBeGreaterThanOrEqual(1);
    await pollUntil(() => api(`${c.gatewayUrl}/health`), (r) => r.status === 503, 10_000);
    const d = await download(`${c.gatewayUrl}/files/${firstFile}`, { timeoutMs: 15_000 });
    expect(d.ms).toBeLessThan(4_000); // the hanging webhook is not waited for
    expect([null, 503], `status ${d.status}, ${d.error?.message}`).toContain(d.status); // 503, or cut once the body began
    const read = await ok.waitFor((p) => p.body?.event === 'file_unreadable' && p.body.subject === 'downloads', 10_000);
    expect(read, seen()).toBeDefined();
    expect(read!.body.details).toMatchObject({ reads: 1, file_ids: [firstFile] });
  });

  it('the gateway stops promptly while a webhook holds a POST open', async () => {
    // A fresh event, so that a POST to the webhook that never answers is open for sure: the events
    // of the tests before may all have been given up on (5 s per attempt) by now.
    await nodes.kill(2);
    expect(await waitFor(async () => hang.hanging() > 0, 15_000, 50), 'a POST to the hanging webhook').toBe(true);
    const gateway = c.gateway.child;
    const exited = once(gateway, 'exit');
    const started = Date.now();
    gateway.kill('SIGTERM');
    await exited;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await waitFor(async () => hang.hanging() === 0, 2_000, 50)).toBe(true);
  });
});

describe('alerts of the database', () => {
  const undo = undoAfterEach();

  it('PostgreSQL stopped: database_unreachable; started again: database_back', async () => {
    const hook = await startWebhookReceiver();
    undo.push(() => hook.close());
    const pgDir = await mkdtemp(join(tmpdir(), 'objstore-alerts-pg-'));
    undo.push(() => rm(pgDir, { recursive: true, force: true }));
    const clusterDir = await mkdtemp(join(tmpdir(), 'objstore-alerts-cluster-'));
    undo.push(() => rm(clusterDir, { recursive: true, force: true }));
    const pgPort = await freePort();
    let db: { url: string; stop(): Promise<void> } | null = await startEmbeddedDatabase(pgDir, pgPort);
    undo.push(async () => db?.stop());
    const lines: string[] = [];
    const cluster = await startLocalCluster({
      dataDir: clusterDir,
      gatewayPort: 0,
      nodePorts: [0],
      databaseUrl: db!.url,
      gatewayEnv: {
        HEALTH_INTERVAL_MS: '500',
        AUTH: 'off',
        DATA_UNITS: '1',
        PARITY_UNITS: '0',
        ALERT_WEBHOOK_URLS: hook.url,
        ALERT_POLL_MS: '200',
      },
      nodeEnv: { DISK_RESERVE_BYTES: String(64 * MiB) },
      log: (line) => lines.push(line),
    });
    undo.push(() => cluster.stop());
    onTestFailed(() => console.log(`--- webhook saw ---\n${hook.posts.map((p) => JSON.stringify(p.body)).join('\n')}\n--- cluster output ---\n${lines.join('\n')}`));
    expect((await api(`${cluster.gatewayUrl}/health`)).status).toBe(200);
    expect(await waitFor(async () => hook.posts.some((p) => p.body?.event.startsWith('database')), 1_000, 100)).toBe(false);

    const stopping = db!;
    db = null;
    await stopping.stop();
    const gone = await hook.waitFor((p) => p.body?.event === 'database_unreachable', 15_000);
    expect(gone).toBeDefined();
    expect(gone!.body).toMatchObject({ severity: 'critical', subject: 'database' });
    expect(gone!.body.details.error).toBeTruthy();

    db = await startEmbeddedDatabase(pgDir, pgPort);
    const back = await hook.waitFor((p) => p.body?.event === 'database_back', 15_000);
    expect(back).toBeDefined();
    expect(back!.body).toMatchObject({ severity: 'info', subject: 'database' });
    expect(hook.posts.filter((p) => p.body?.event === 'database_unreachable')).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/alert database_unreachable database: /);
    expect(lines.join('\n')).toMatch(/alert database_back database: /);
  });
});
