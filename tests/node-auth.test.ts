// Authentication of the storage nodes' gRPC API with the cluster token, against real processes: a
// call without the token or with a wrong one is UNAUTHENTICATED for every RPC and changes nothing on
// the node; AUTH=off takes calls without it; a node or gateway without a token does not start; the
// gateway refuses to register a node that holds another token. (npm start's token file: launcher.test.ts.)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorageClient, storageProto, type StorageServiceClient } from '../proto/storage-proto.js';
import { CLUSTER_TOKEN_FILE, loadClusterTokenFile } from '../scripts/cluster-token-file.js';
import { clusterForTest, undoAfterEach } from './helpers/cleanup.js';
import { ROOT, startStorageNode, TEST_CLUSTER_TOKEN, type StorageNodeProcess } from './helpers/processes.js';
import { api, pollUntil, startGatewayProcess } from './helpers/raw-upload.js';
import {
  MiB,
  deleteChunk,
  getChunk,
  health,
  listChunks,
  putChunk,
  sha256,
  statChunk,
  storedFiles,
  verifyChunk,
} from './helpers/storage-client.js';

const undo = undoAfterEach();

/** What one call ended with: OK (and what came back) or its status. */
interface Outcome {
  code: number;
  details: string;
  /** Messages a streaming answer delivered before it ended. */
  messages: number;
}

const outcomeOf = (err: ServiceError | null | undefined, messages = 0): Outcome => ({
  code: err ? err.code : status.OK,
  details: err?.details ?? '',
  messages,
});

function unary<Req>(fn: (req: Req, md: Metadata, cb: (err: ServiceError | null) => void) => unknown, req: Req, md: Metadata): Promise<Outcome> {
  return new Promise((resolve) => fn(req, md, (err) => resolve(outcomeOf(err))));
}

async function streamed(stream: AsyncIterable<unknown>): Promise<Outcome> {
  let messages = 0;
  try {
    for await (const _ of stream) messages += 1;
    return outcomeOf(null, messages);
  } catch (err) {
    return outcomeOf(err as ServiceError, messages);
  }
}

/** PutChunk of `data` as `chunkId` in 1 MiB messages, waiting for the node to take each. */
async function put(client: StorageServiceClient, md: Metadata, chunkId: string, data: Buffer): Promise<Outcome> {
  let call!: ReturnType<StorageServiceClient['putChunk']>;
  const result = new Promise<Outcome>((resolve) => {
    call = client.putChunk(md, (err) => resolve(outcomeOf(err)));
  });
  for (let offset = 0; offset < data.length; offset += MiB) {
    const message = { ...(offset === 0 ? { chunkId } : {}), data: data.subarray(offset, offset + MiB) };
    if (!call.write(message)) {
      const settled = await Promise.race([once(call, 'drain').then(() => false), result.then(() => true)]);
      if (settled) break;
    }
  }
  call.end();
  return result;
}

const EXISTING = 'existing-chunk';

/**
 * Every RPC of the service once, each aimed at something that would change or show data: a new chunk
 * written, the existing chunk overwritten, read, listed, verified, deleted.
 */
async function everyRpc(client: StorageServiceClient, md: () => Metadata): Promise<Record<string, Outcome>> {
  return {
    PutChunk: await put(client, md(), 'refused-put', randomBytes(4 * MiB)),
    // The attack of the issue: overwrite a chunk a gateway wrote.
    PutChunkOverwrite: await put(client, md(), EXISTING, randomBytes(2 * MiB)),
    GetChunk: await streamed(client.getChunk({ chunkId: EXISTING }, md())),
    DeleteChunk: await unary(client.deleteChunk.bind(client), { chunkId: EXISTING }, md()),
    HealthCheck: await unary(client.healthCheck.bind(client), {}, md()),
    StatChunk: await unary(client.statChunk.bind(client), { chunkId: EXISTING }, md()),
    ListChunks: await streamed(client.listChunks({}, md())),
    VerifyChunk: await unary(client.verifyChunk.bind(client), { chunkId: EXISTING }, md()),
  };
}

/** Metadata carrying `value` as the authorization entry (raw: the scheme is part of it). */
const authorization = (...values: string[]) => (): Metadata => {
  const md = new Metadata();
  for (const v of values) md.add('authorization', v);
  return md;
};

describe('a node with AUTH on (the default)', () => {
  let node: StorageNodeProcess;
  let good: StorageServiceClient;
  const existing = randomBytes(3 * MiB + 1234);
  let filesBefore: string[];

  beforeAll(async () => {
    node = await startStorageNode(); // CLUSTER_TOKEN = TEST_CLUSTER_TOKEN
    good = createStorageClient(node.address, {}, TEST_CLUSTER_TOKEN);
    await putChunk(good, EXISTING, existing, { checksum: sha256(existing) });
    filesBefore = await storedFiles(node.dataDir);
  });
  afterAll(async () => {
    good?.close();
    await node?.cleanup();
  });

  /** The node holds exactly what it held before, byte for byte, and no temporary file. */
  async function expectUnchanged(): Promise<void> {
    expect(await storedFiles(node.dataDir)).toEqual(filesBefore);
    expect(await readdir(join(node.dataDir, 'tmp'))).toEqual([]);
    expect((await getChunk(good, EXISTING)).equals(existing)).toBe(true);
  }

  it('the test covers every RPC of the service', async () => {
    const client = createStorageClient(node.address);
    try {
      const rpcs = Object.keys(await everyRpc(client, () => new Metadata())).filter((r) => r !== 'PutChunkOverwrite');
      expect(rpcs.sort()).toEqual(Object.keys(storageProto().StorageService.service).sort());
    } finally {
      client.close();
    }
  });

  const wrongTokens: Array<[string, () => StorageServiceClient]> = [
    ['no token', () => createStorageClient(node.address)],
    ['a wrong token of the same length', () => createStorageClient(node.address, {}, randomBytes(32).toString('base64url'))],
    ['a wrong token that is shorter', () => createStorageClient(node.address, {}, TEST_CLUSTER_TOKEN.slice(0, 20))],
    ['a wrong token that is longer (the right one plus a character)', () => createStorageClient(node.address, {}, `${TEST_CLUSTER_TOKEN}x`)],
  ];
  for (const [what, makeClient] of wrongTokens) {
    it(`${what}: every RPC is UNAUTHENTICATED, nothing is sent back and nothing changes on disk`, async () => {
      const client = makeClient();
      try {
        const outcomes = await everyRpc(client, () => new Metadata());
        for (const [rpc, o] of Object.entries(outcomes)) {
          expect(o.code, `${rpc}: ${o.details}`).toBe(status.UNAUTHENTICATED);
          expect(o.details, rpc).toMatch(/missing or wrong cluster token.*authorization: Bearer <CLUSTER_TOKEN>/);
          expect(o.details, rpc).not.toContain(TEST_CLUSTER_TOKEN);
          expect(o.messages, rpc).toBe(0);
        }
      } finally {
        client.close();
      }
      await expectUnchanged();
    });
  }

  // (Two authorization values never leave a grpc-js client; presentedToken refuses them: unit test.)
  it('the right token in a malformed entry is refused too (no "Bearer", another scheme, a space too many)', async () => {
    const client = createStorageClient(node.address); // no interceptor: the metadata is exactly what is given
    try {
      for (const [what, md] of [
        ['without the scheme', authorization(TEST_CLUSTER_TOKEN)],
        ['as Basic', authorization(`Basic ${TEST_CLUSTER_TOKEN}`)],
        ['with a space too many', authorization(`Bearer  ${TEST_CLUSTER_TOKEN}`)],
      ] as const) {
        const outcomes = await everyRpc(client, md);
        for (const [rpc, o] of Object.entries(outcomes)) expect(o.code, `${what}, ${rpc}: ${o.details}`).toBe(status.UNAUTHENTICATED);
      }
      // The same entry written by hand, well formed, works: the refusals above are about the form.
      expect((await unary(client.healthCheck.bind(client), {}, authorization(`bearer ${TEST_CLUSTER_TOKEN}`)())).code).toBe(status.OK);
    } finally {
      client.close();
    }
    await expectUnchanged();
  });

  it('with the token every RPC works', async () => {
    const data = randomBytes(2 * MiB + 99);
    expect(await putChunk(good, 'with-token', data, { checksum: sha256(data) })).toMatchObject({ success: true, size: data.length });
    expect((await getChunk(good, 'with-token')).equals(data)).toBe(true);
    expect(await statChunk(good, 'with-token')).toMatchObject({ size: data.length, checksum: sha256(data) });
    expect(await verifyChunk(good, 'with-token')).toMatchObject({ exists: true, ok: true, size: data.length });
    expect((await listChunks(good)).map((c) => c.chunkId).sort()).toEqual([EXISTING, 'with-token']);
    expect(await health(good)).toMatchObject({ status: 'healthy', chunkCount: 2 });
    await deleteChunk(good, 'with-token');
    await expectUnchanged();
  });
});

describe('a node with AUTH=off', () => {
  it('takes calls without a token (and ignores one that is sent), and warns only when it listens beyond loopback', async () => {
    const node = await startStorageNode({ AUTH: 'off', CLUSTER_TOKEN: undefined });
    undo.push(() => node.cleanup());
    expect(node.output()).not.toMatch(/WARNING/); // 127.0.0.1
    for (const token of [undefined, 'any-token-at-all-0123456789']) {
      const client = createStorageClient(node.address, {}, token);
      try {
        const data = randomBytes(MiB + 7);
        await putChunk(client, 'open', data);
        expect((await getChunk(client, 'open')).equals(data)).toBe(true);
        expect(await health(client)).toMatchObject({ status: 'healthy', chunkCount: 1 });
        await deleteChunk(client, 'open');
      } finally {
        client.close();
      }
    }

    // Beyond loopback: the warning comes at start, before the port is bound. 192.0.2.1 (TEST-NET-1)
    // is on no interface here, so the bind then fails and nothing listens anywhere.
    const { code, out } = await runToExit('dist/storage-node/main.js', { AUTH: 'off', GRPC_HOST: '192.0.2.1', GRPC_PORT: '0' });
    expect(out).toMatch(/WARNING: AUTH=off and GRPC_HOST=192\.0\.2\.1 is not a loopback address: this storage node takes gRPC calls without the cluster token/);
    expect(code).not.toBe(0);
  });
});

/** Runs `script` with this process's environment minus AUTH and CLUSTER_TOKEN, plus `env`; its exit code and output. */
async function runToExit(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'node-auth-start-'));
  undo.push(() => rm(dataDir, { recursive: true, force: true }));
  const base = { ...process.env };
  delete base.AUTH;
  delete base.CLUSTER_TOKEN;
  const child = spawn(process.execPath, [join(ROOT, script)], {
    env: { ...base, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', HOST: '127.0.0.1', PORT: '0', S3_PORT: '0', DATA_DIR: dataDir, ...env },
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

describe('starting without a token', () => {
  it('a node or a gateway without CLUSTER_TOKEN and without AUTH=off refuses to start with one line saying what to set', async () => {
    for (const [script, who] of [
      ['dist/storage-node/main.js', 'storage-node'],
      ['dist/gateway/main.js', 'gateway'],
    ] as const) {
      const { code, out } = await runToExit(script, { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      expect(code, out).toBe(2);
      const lines = out.trim().split('\n');
      expect(lines, out).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^${who}: configuration error: CLUSTER_TOKEN is not set: set it to the cluster's shared token .*or set AUTH=off`));
    }
  });

  it('a bad CLUSTER_TOKEN stops a node and a gateway too, without printing it', async () => {
    const bad = 'has a space, 16+ chars';
    for (const script of ['dist/storage-node/main.js', 'dist/gateway/main.js']) {
      const { code, out } = await runToExit(script, { CLUSTER_TOKEN: bad, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      expect(code, out).toBe(2);
      expect(out.trim().split('\n'), out).toHaveLength(1);
      expect(out).toMatch(/configuration error: CLUSTER_TOKEN may hold only printable ASCII characters, without spaces/);
      expect(out).not.toContain(bad);
    }
  });
});

describe('registering a node', () => {
  it('a node holding another token is refused with 400 NodeUnauthenticated and not stored, also when it announces itself; a known address that starts refusing is not answered as registered', async () => {
    const c = await clusterForTest(undo, { nodes: 1 });
    const nodeRows = async (): Promise<string[]> =>
      (await c.db.pool.query<{ address: string }>('SELECT address FROM storage_nodes ORDER BY id')).rows.map((r) => r.address);
    expect(await nodeRows()).toEqual([c.nodes[0]!.address]);
    // The gateway's probes carry the cluster's token.
    const listed = await pollUntil(() => api(`${c.gatewayUrl}/admin/nodes`), (r) => r.json?.nodes?.[0]?.status === 'healthy', 10_000);
    expect(listed.json.nodes[0], listed.text).toMatchObject({ status: 'healthy', error: null });

    const stranger = await startStorageNode({ CLUSTER_TOKEN: randomBytes(32).toString('base64url') });
    undo.push(() => stranger.cleanup());
    const refused = await api(`${c.gatewayUrl}/admin/nodes`, { method: 'POST', body: { address: stranger.address } });
    expect(refused.status, refused.text).toBe(400);
    expect(refused.json.code).toBe('NodeUnauthenticated');
    expect(refused.json.error).toMatch(new RegExp(`storage node at ${stranger.address} refuses this gateway's cluster token.*another CLUSTER_TOKEN.*nothing was registered`));
    expect(refused.json.error).not.toContain(c.clusterToken);
    expect(await nodeRows()).toEqual([c.nodes[0]!.address]);
    expect((await api(`${c.gatewayUrl}/admin/nodes`)).json.nodes.map((n: { address: string }) => n.address)).toEqual([c.nodes[0]!.address]);

    // Announcing itself (JOIN_URL), it is told why, once, and stays out.
    const joiner = await startStorageNode({ CLUSTER_TOKEN: randomBytes(32).toString('base64url'), JOIN_URL: c.gatewayUrl, ANNOUNCE_INTERVAL_MS: '200' });
    undo.push(() => joiner.cleanup());
    const said = await pollUntil(async () => joiner.output(), (out) => /refused with 400/.test(out), 10_000);
    expect(said).toMatch(new RegExp(`announcing ${joiner.address} to ${c.gatewayUrl}/admin/nodes was refused with 400 \\(NodeUnauthenticated: `));
    await new Promise((r) => setTimeout(r, 600)); // a few more announcements
    expect(joiner.output().match(/refused with 400/g)).toHaveLength(1);
    expect(await nodeRows()).toEqual([c.nodes[0]!.address]);

    // A node with the cluster's token is taken, as before.
    const friend = await startStorageNode({ CLUSTER_TOKEN: c.clusterToken });
    undo.push(() => friend.cleanup());
    const taken = await api(`${c.gatewayUrl}/admin/nodes`, { method: 'POST', body: { address: friend.address } });
    expect(taken.status, taken.text).toBe(201);
    expect(taken.json).toMatchObject({ address: friend.address, status: 'healthy' });

    // The same address later answered by a process with another token: once the gateway's probes
    // reach it, a registration is refused and the row kept.
    await friend.stop();
    const impostor = await startStorageNode({ CLUSTER_TOKEN: randomBytes(32).toString('base64url'), GRPC_PORT: String(friend.port) });
    undo.push(() => impostor.cleanup());
    await pollUntil(
      () => api(`${c.gatewayUrl}/admin/nodes`),
      (r) => r.json?.nodes?.some((n: { address: string; error: string | null }) => n.address === friend.address && /UNAUTHENTICATED/.test(n.error ?? '')),
      15_000,
    );
    const again = await api(`${c.gatewayUrl}/admin/nodes`, { method: 'POST', body: { address: friend.address } });
    expect(again.status, again.text).toBe(400);
    expect(again.json.code).toBe('NodeUnauthenticated');
    expect(again.json.error).toMatch(new RegExp(`node \\d+ at ${friend.address} is registered, but it refuses this gateway's cluster token`));
    expect(await nodeRows()).toEqual([c.nodes[0]!.address, friend.address]);
  });

  it('a gateway with another token sees the nodes as failing, with UNAUTHENTICATED as the reason', async () => {
    const c = await clusterForTest(undo, { nodes: 1 });
    const other = await startGatewayProcess({
      databaseUrl: c.db.url,
      nodeAddresses: c.nodes.map((n) => n.address),
      dataDir: c.dataDir,
      clusterToken: randomBytes(32).toString('base64url'),
    });
    undo.push(() => other.stop());
    const seen = await pollUntil(() => api(`${other.url}/admin/nodes`), (r) => /UNAUTHENTICATED/.test(r.json?.nodes?.[0]?.error ?? ''), 10_000);
    expect(seen.json.nodes[0], seen.text).toMatchObject({ address: c.nodes[0]!.address });
    expect(seen.json.nodes[0].status).not.toBe('healthy');
    expect(seen.json.nodes[0].error).toMatch(/missing or wrong cluster token/);
    expect(other.output()).not.toMatch(/WARNING/);
    expect(other.output()).not.toContain(c.clusterToken);
  });
});

describe('the token file of npm start', () => {
  it('is created once, 0600, and launchers starting at once on one folder agree on it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cluster-token-file-'));
    undo.push(() => rm(dir, { recursive: true, force: true }));
    const dataDir = join(dir, 'data'); // does not exist yet
    const loads = await Promise.all(Array.from({ length: 8 }, () => loadClusterTokenFile(dataDir)));
    const token = loads[0]!.token;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    for (const l of loads) expect(l).toMatchObject({ token, file: join(dataDir, CLUSTER_TOKEN_FILE), warnings: [] });
    expect(loads.filter((l) => l.created)).toHaveLength(1);
    expect((await stat(join(dataDir, CLUSTER_TOKEN_FILE))).mode & 0o777).toBe(0o600);
    expect(await readdir(dataDir)).toEqual([CLUSTER_TOKEN_FILE]); // no temporary file left behind

    const later = await loadClusterTokenFile(dataDir);
    expect(later).toMatchObject({ token, created: false });
    // A file others can read still works, with a warning; a file that holds no token stops the start.
    await chmod(join(dataDir, CLUSTER_TOKEN_FILE), 0o644);
    expect((await loadClusterTokenFile(dataDir)).warnings).toEqual([expect.stringMatching(/can be read by other users \(mode 644\); chmod 600 it/)]);
    await writeFile(join(dataDir, CLUSTER_TOKEN_FILE), 'short\n');
    await expect(loadClusterTokenFile(dataDir)).rejects.toThrow(/does not hold a usable token: it is 5 characters long/);
    expect(await readFile(join(dataDir, CLUSTER_TOKEN_FILE), 'utf8')).toBe('short\n'); // left for the operator to fix
  });
});
