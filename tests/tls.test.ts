// Optional TLS against real processes, with a CA and certificates made by openssl for this run: an
// HTTPS gateway (REST and S3) on storage nodes that serve gRPC over TLS and require client
// certificates; a gateway that does not trust them; direct gRPC calls with and without a client
// certificate; a node that joins over HTTPS; and the one-line configuration errors.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent as HttpsAgent } from 'node:https';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { credentials, status, type ChannelCredentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeChannelCredentials } from '../proto/grpc-credentials.js';
import { createStorageClient } from '../proto/storage-proto.js';
import { undoAfterEach } from './helpers/cleanup.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { createTestDatabase } from './helpers/database.js';
import { httpsExchange } from './helpers/https-request.js';
import { ROOT, startStorageNode } from './helpers/processes.js';
import { captureOutput, multipartFraming, pollUntil, startGatewayProcess } from './helpers/raw-upload.js';
import { s3Client } from './helpers/s3-clients.js';
import { RawS3 } from './helpers/s3-raw-request.js';
import { MiB, health, sha256, waitFor } from './helpers/storage-client.js';
import { createTestCa, type CertificateFiles, type TestCa } from './helpers/test-certificates.js';

const undo = undoAfterEach();

let dir: string;
let ca: TestCa;
let caPem: Buffer;
let otherCaPem: Buffer;
let server: CertificateFiles; // 127.0.0.1 and localhost: the gateway's and the nodes'
let gatewayClient: CertificateFiles; // the gateway's client certificate for the nodes
let rogueClient: CertificateFiles; // a client certificate from another CA

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tls-test-'));
  ca = await createTestCa(dir, 'test-ca');
  const otherCa = await createTestCa(dir, 'other-ca');
  [server, gatewayClient, rogueClient] = await Promise.all([ca.issue('server', 'server'), ca.issue('gateway', 'client'), otherCa.issue('rogue', 'client')]);
  [caPem, otherCaPem] = await Promise.all([readFile(ca.cert), readFile(otherCa.cert)]);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs a process that should refuse its configuration; its exit code and everything it printed. */
async function runToExit(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [join(ROOT, script)], {
    env: { ...process.env, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', HOST: '127.0.0.1', PORT: '0', S3_PORT: '0', DATA_DIR: join(dir, 'never-used'), CLUSTER_TOKEN: 'a'.repeat(32), DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, out };
}

describe('TLS settings at start', () => {
  it('a half-set pair, an unreadable file, a key of another certificate or a CA file without a certificate stops the process with exit 2 and one line', async () => {
    const cases: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
      ['gateway', { TLS_CERT: server.cert }, /^gateway: configuration error: TLS_CERT is set but TLS_KEY is not: set both \(PEM files\) or neither$/],
      ['gateway', { TLS_KEY: server.key }, /^gateway: configuration error: TLS_KEY is set but TLS_CERT is not/],
      ['gateway', { TLS_CERT: join(dir, 'missing.crt'), TLS_KEY: server.key }, /^gateway: configuration error: TLS_CERT=.*missing\.crt cannot be read: ENOENT/],
      ['gateway', { TLS_CERT: server.cert, TLS_KEY: gatewayClient.key }, /^gateway: configuration error: TLS_KEY=.*gateway\.key is not the PEM private key of TLS_CERT=/],
      ['gateway', { TLS_CERT: server.key, TLS_KEY: server.key }, /^gateway: configuration error: TLS_CERT=.*server\.key is not a PEM certificate/],
      ['gateway', { NODE_TLS_CERT: gatewayClient.cert, NODE_TLS_KEY: gatewayClient.key }, /^gateway: configuration error: NODE_TLS_CERT and NODE_TLS_KEY are set but NODE_TLS_CA is not/],
      ['gateway', { NODE_TLS_CA: server.key }, /^gateway: configuration error: NODE_TLS_CA=.*server\.key is not a PEM CA certificate/],
      ['storage-node', { TLS_CERT: server.cert }, /^storage-node: configuration error: TLS_CERT is set but TLS_KEY is not/],
      ['storage-node', { TLS_CLIENT_CA: ca.cert }, /^storage-node: configuration error: TLS_CLIENT_CA is set but TLS_CERT and TLS_KEY are not/],
      ['storage-node', { TLS_CERT: server.cert, TLS_KEY: server.key, TLS_CLIENT_CA: join(dir, 'nope.crt') }, /^storage-node: configuration error: TLS_CLIENT_CA=.*nope\.crt cannot be read/],
      ['storage-node', { GATEWAY_CA: ca.cert, JOIN_URL: 'http://127.0.0.1:8080' }, /^storage-node: configuration error: GATEWAY_CA is set but JOIN_URL is not an https:\/\/ URL/],
    ];
    const results = await Promise.all(cases.map(([who, env]) => runToExit(`dist/${who}/main.js`, env)));
    results.forEach(({ code, out }, i) => {
      expect(code, out).toBe(2);
      const lines = out.trim().split('\n');
      expect(lines, out).toHaveLength(1);
      expect(lines[0]).toMatch(cases[i]![2]);
      expect(out).not.toContain('PRIVATE KEY'); // no file content in the message
    });
  });
});

describe('an HTTPS gateway on storage nodes that serve TLS and require client certificates', () => {
  let cluster: TestCluster;
  let output: () => string;
  const gatewayIdentity = async (): Promise<{ cert: Buffer; key: Buffer }> => ({ cert: await readFile(gatewayClient.cert), key: await readFile(gatewayClient.key) });

  beforeAll(async () => {
    cluster = await startTestCluster({
      nodes: 3,
      nodeEnv: { TLS_CERT: server.cert, TLS_KEY: server.key, TLS_CLIENT_CA: ca.cert },
      gatewayEnv: {
        TLS_CERT: server.cert,
        TLS_KEY: server.key,
        NODE_TLS_CA: ca.cert,
        NODE_TLS_CERT: gatewayClient.cert,
        NODE_TLS_KEY: gatewayClient.key,
        DATA_UNITS: '2',
        PARITY_UNITS: '1',
        HEADERS_TIMEOUT_MS: '2000',
        MAX_CONNECTIONS: '4',
        REBALANCE_ON_JOIN: '0',
      },
    });
    output = captureOutput(cluster.gateway.child);
    // Healthy means the gateway's TLS probes (client certificate, cluster token) reached all three.
    const h = await pollUntil(() => httpsExchange(`${cluster.gatewayUrl}/health`, { ca: caPem }), (r) => r.json?.status === 'healthy', 20_000);
    expect(h.json, output()).toMatchObject({ status: 'healthy', storage_servers: 3 });
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  it('says https in its URLs, and a file uploaded over HTTPS comes back byte-identical; its certificate verifies only with the test CA', async () => {
    expect(cluster.gatewayUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cluster.s3Url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const data = randomBytes(4 * MiB + 12_345);
    const { boundary, head, tail } = multipartFraming('over-tls.bin', 'application/octet-stream');
    const up = await httpsExchange(`${cluster.gatewayUrl}/files`, {
      ca: caPem,
      method: 'POST',
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body: Buffer.concat([head, data, tail]),
      timeoutMs: 60_000,
    });
    expect(up.status, up.text).toBe(201);
    expect(up.json).toMatchObject({ size: data.length, k: 2, m: 1 });
    const down = await httpsExchange(`${cluster.gatewayUrl}/files/${up.json.file_id}`, { ca: caPem, timeoutMs: 60_000 });
    expect(down.status).toBe(200);
    expect(down.body.length).toBe(data.length);
    expect(sha256(down.body)).toBe(sha256(data));
    // The name in the certificate is checked too: localhost is in it.
    const port = new URL(cluster.gatewayUrl).port;
    expect((await httpsExchange(`https://localhost:${port}/health`, { ca: caPem })).status).toBe(200);
    // Without the test CA (the system's only) or with another CA, the client refuses the server.
    await expect(httpsExchange(`${cluster.gatewayUrl}/health`)).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SIGNATURE|ISSUER/) });
    await expect(httpsExchange(`${cluster.gatewayUrl}/health`, { ca: otherCaPem })).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SIGNATURE|ISSUER/) });
  });

  it('a plain HTTP request to either HTTPS port gets no answer, and the gateway keeps serving', async () => {
    for (const url of [cluster.gatewayUrl, cluster.s3Url]) {
      const plain = url.replace(/^https:/, 'http:');
      await expect(httpsExchange(`${plain}/health`, { timeoutMs: 10_000 })).rejects.toMatchObject({ code: 'ECONNRESET' });
    }
    expect((await httpsExchange(`${cluster.gatewayUrl}/health`, { ca: caPem })).status).toBe(200);
  });

  it('the S3 API works over HTTPS with the SDK (root key) and with a signed request that waits for 100 Continue', async () => {
    const agent = new HttpsAgent({ ca: caPem, keepAlive: true });
    const s3 = s3Client(cluster.s3Url, cluster.rootKey!, { requestHandler: { httpsAgent: agent } });
    undo.push(() => {
      s3.destroy();
      agent.destroy();
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'tls-bucket' }));
    const body = randomBytes(MiB + 7);
    await s3.send(new PutObjectCommand({ Bucket: 'tls-bucket', Key: 'dir/object.bin', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'tls-bucket', Key: 'dir/object.bin' }));
    expect(sha256(Buffer.from(await got.Body!.transformToByteArray()))).toBe(sha256(body));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'tls-bucket' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['dir/object.bin']);

    // checkContinue behind TLS: the body goes only after the server accepted the signed head.
    const raw = new RawS3(cluster.s3Url, cluster.rootKey!, 'us-east-1', caPem);
    const put = await raw.send({ method: 'PUT', path: '/tls-bucket/continued', body: randomBytes(64 * 1024), expectContinue: true });
    expect(put.status, put.text).toBe(200);
    expect(put.continued).toBe(true);
    // An SDK client that does not know the CA refuses the endpoint.
    const stranger = s3Client(cluster.s3Url, cluster.rootKey!, { maxAttempts: 1 });
    undo.push(() => stranger.destroy());
    await expect(stranger.send(new ListObjectsV2Command({ Bucket: 'tls-bucket' }))).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SIGNATURE|ISSUER/) });
  });

  it('the HTTP limits hold behind TLS: head size, Expect, head and handshake timeouts, the connection bound', async () => {
    const gw = cluster.gatewayUrl;
    const big = await httpsExchange(`${gw}/health`, { ca: caPem, headers: { 'X-Big': 'a'.repeat(20_000) } });
    expect([big.status, big.json?.code]).toEqual([431, 'RequestHeaderFieldsTooLarge']);
    const expectation = await httpsExchange(`${gw}/health`, { ca: caPem, headers: { Expect: 'something-else' } });
    expect([expectation.status, expectation.json?.code]).toEqual([417, 'ExpectationFailed']);

    const port = (url: string): number => Number(new URL(url).port);
    const secure = async (url: string): Promise<{ socket: TLSSocket; received: () => string }> => {
      const socket = tlsConnect({ host: '127.0.0.1', port: port(url), ca: caPem, servername: 'localhost' });
      undo.push(() => socket.destroy());
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('error', () => undefined);
      await once(socket, 'secureConnect');
      return { socket, received: () => text };
    };

    // A head that stops halfway is answered S3's RequestTimeout (HEADERS_TIMEOUT_MS=2000), through TLS.
    const slow = await secure(cluster.s3Url);
    slow.socket.write('GET /tls-bucket HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expect(await waitFor(async () => slow.received().length > 0, 8_000)).toBe(true);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 400 [\s\S]*<Code>RequestTimeout<\/Code>/);

    // A TCP connection that never starts its handshake is closed after the same time, not Node's 120 s.
    const silent = tcpConnect({ host: '127.0.0.1', port: port(gw) });
    undo.push(() => silent.destroy());
    silent.on('error', () => undefined);
    await once(silent, 'connect');
    const openedAt = Date.now();
    expect(await waitFor(async () => silent.closed || silent.readableEnded, 10_000)).toBe(true);
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(1_500);

    // MAX_CONNECTIONS=4: four TLS connections are served, the fifth is answered 503 through TLS.
    await new Promise((r) => setTimeout(r, 300)); // the connections of the requests above are gone
    const held: Array<{ socket: TLSSocket; received: () => string }> = [];
    for (let i = 0; i < 4; i++) held.push(await secure(gw));
    await new Promise((r) => setTimeout(r, 100)); // the server has counted the fourth's handshake
    const fifth = await secure(gw);
    expect(await waitFor(async () => fifth.received().length > 0, 5_000)).toBe(true);
    expect(fifth.received()).toMatch(/^HTTP\/1\.1 503 [\s\S]*"code":"TooManyConnections"/);
    expect(held.map((c) => c.received())).toEqual(['', '', '', '']);
    // Served: a request on one of the four is answered.
    held[0]!.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(await waitFor(async () => /^HTTP\/1\.1 200 /.test(held[0]!.received()), 10_000)).toBe(true);
    for (const c of held) c.socket.destroy();
    fifth.socket.destroy();
  });

  it('a node refuses gRPC callers without a client certificate or with one from another CA, takes the gateway\'s, and still wants the cluster token', async () => {
    const address = cluster.nodes[0]!.address;
    const identity = await gatewayIdentity();
    const rogue = { cert: await readFile(rogueClient.cert), key: await readFile(rogueClient.key) };
    /** HealthCheck with these credentials, with the cluster token unless `withToken` is false. */
    const call = async (creds: ChannelCredentials, withToken = true) => {
      const client = createStorageClient(address, {}, withToken ? cluster.clusterToken : undefined, creds);
      try {
        return await health(client);
      } finally {
        client.close();
      }
    };
    const refused = { code: status.UNAVAILABLE };
    await expect(call(credentials.createInsecure())).rejects.toMatchObject(refused);
    await expect(call(nodeChannelCredentials({ ca: caPem, identity: undefined }))).rejects.toMatchObject({ ...refused, details: expect.stringMatching(/certificate required/) });
    await expect(call(nodeChannelCredentials({ ca: caPem, identity: rogue }))).rejects.toMatchObject(refused);
    // The caller checks the node too: a node certificate from a CA it does not trust is refused.
    await expect(call(nodeChannelCredentials({ ca: otherCaPem, identity }))).rejects.toMatchObject(refused);
    expect((await call(nodeChannelCredentials({ ca: caPem, identity }))).status).toBe('healthy');
    // TLS is not a replacement for the token: without it, UNAUTHENTICATED.
    await expect(call(nodeChannelCredentials({ ca: caPem, identity }), false)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
  });

  it('a gateway without NODE_TLS_CA cannot use the TLS nodes: they show as down with the error, and a registration is refused', async () => {
    const db = await createTestDatabase();
    undo.push(() => db.drop());
    const dataDir = await mkdtemp(join(tmpdir(), 'tls-plain-gateway-'));
    undo.push(() => rm(dataDir, { recursive: true, force: true }));
    const plain = await startGatewayProcess({
      databaseUrl: db.url,
      nodeAddresses: cluster.nodes.map((n) => n.address),
      dataDir,
      clusterToken: cluster.clusterToken,
      env: { DATA_UNITS: '2', PARITY_UNITS: '1' },
    });
    undo.push(() => plain.stop());
    const listed = await pollUntil(
      () => httpsExchange(`${plain.url}/admin/nodes`),
      (r) => r.json?.nodes?.length === 3 && r.json.nodes.every((n: { status: string }) => n.status === 'down'),
      15_000,
    );
    for (const n of listed.json.nodes) expect(n, listed.text).toMatchObject({ status: 'down', error: expect.stringMatching(/.+/) });
    const h = await httpsExchange(`${plain.url}/health`);
    expect([h.status, h.json?.status]).toEqual([503, 'unhealthy']);
    // The registration probe is plain too: another name for a TLS node is not registered.
    const reg = await httpsExchange(`${plain.url}/admin/nodes`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ address: `localhost:${cluster.nodes[0]!.port}` }),
    });
    expect([reg.status, reg.json?.code], reg.text).toEqual([400, 'NodeUnreachable']);
  });

  it('a TLS node without client-certificate checks joins at run time: it announces itself over HTTPS (GATEWAY_CA) and the gateway probes it over TLS', async () => {
    const joiner = await startStorageNode({
      TLS_CERT: server.cert,
      TLS_KEY: server.key,
      JOIN_URL: cluster.gatewayUrl,
      GATEWAY_CA: ca.cert,
      ANNOUNCE_INTERVAL_MS: '60000',
      NODE_ID: 'tls-joiner',
      CLUSTER_TOKEN: cluster.clusterToken,
    });
    undo.push(() => joiner.cleanup());
    expect(await waitFor(async () => /announced .* registered as node \d+ \(201\)/.test(joiner.output()), 15_000), joiner.output()).toBe(true);
    const listed = await pollUntil(
      () => httpsExchange(`${cluster.gatewayUrl}/admin/nodes`, { ca: caPem }),
      (r) => r.json?.nodes?.some((n: { address: string; status: string }) => n.address === joiner.address && n.status === 'healthy'),
      10_000,
    );
    expect(listed.json.nodes.find((n: { address: string }) => n.address === joiner.address), listed.text).toMatchObject({ name: 'tls-joiner', status: 'healthy' });

    // Without GATEWAY_CA, the gateway's certificate is not trusted, and the node says what to set.
    const stranger = await startStorageNode({ JOIN_URL: cluster.gatewayUrl, ANNOUNCE_INTERVAL_MS: '60000', NODE_ID: 'stranger', CLUSTER_TOKEN: cluster.clusterToken });
    undo.push(() => stranger.cleanup());
    expect(await waitFor(async () => /announcing .* failed: .*certificate.*GATEWAY_CA/.test(stranger.output()), 15_000), stranger.output()).toBe(true);
  });
});
