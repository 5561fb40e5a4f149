// Authentication of the REST API against a real cluster with AUTH on (the default of npm start):
// the root token generated into the data folder, every route refused without good credentials (401)
// and before a body is read, scopes enforced (403), tokens created, listed and revoked through the
// admin API and the objstore CLI, revocation at once, SigV4 with access keys, the cluster token for
// nodes registering themselves, API_TOKEN rotating the root token, and no secret in any output.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { startStorageNode } from './helpers/processes.js';
import { api, captureOutput, multipartFraming, pollUntil, rawUpload, startGatewayProcess, uploadBuffer, type RawUploadResult } from './helpers/raw-upload.js';
import { RawS3 } from './helpers/s3-raw-request.js';
import { RawConnection } from './helpers/raw-connection.js';

const MiB = 1024 * 1024;
let c: TestCluster;
let root: string;
let gatewayOutput: () => string;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  c = await startTestCluster({ restAuth: true });
  gatewayOutput = captureOutput(c.gateway.child, 200_000);
  root = c.apiToken!;
});

afterAll(async () => {
  for (const undo of cleanups.reverse()) await undo().catch(() => undefined);
  await c?.destroy();
});

const upload = (data: Buffer, headers: Record<string, string> = {}, name = 'auth.bin'): Promise<RawUploadResult> =>
  rawUpload({ url: c.gatewayUrl, blocks: [data], declaredSize: data.length, filename: name, timeoutMs: 60_000, headers });
const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

async function createToken(scope: string, name = ''): Promise<{ id: number; token: string }> {
  const r = await api(`${c.gatewayUrl}/admin/tokens`, { method: 'POST', token: root, body: { scope, name } });
  expect(r.status, r.text).toBe(201);
  return r.json;
}

async function counts(): Promise<Record<string, number>> {
  const q = async (sql: string): Promise<number> => Number((await c.db.pool.query(sql)).rows[0].n);
  return {
    files: await q('SELECT count(*) AS n FROM files'),
    nodes: await q('SELECT count(*) AS n FROM storage_nodes'),
    tokens: await q('SELECT count(*) AS n FROM api_tokens'),
    revokedTokens: await q('SELECT count(*) AS n FROM api_tokens WHERE revoked_at IS NOT NULL'),
    keys: await q('SELECT count(*) AS n FROM access_keys'),
  };
}

describe('the root token', () => {
  it('is generated at the first start into DATA_DIR/api.token (0600), printed once, and stored only as its SHA-256', async () => {
    expect(root).toMatch(/^ost_[A-Za-z0-9]{43}$/);
    expect(c.apiTokenFile).toEqual({ file: join(c.dataDir, 'api.token'), created: true });
    expect((await readFile(c.apiTokenFile!.file, 'utf8')).trim()).toBe(root);
    expect((await stat(c.apiTokenFile!.file)).mode & 0o777).toBe(0o600);
    expect(c.output().split(root).length - 1, 'the token is printed once, in the banner').toBe(1);
    const rows = (await c.db.pool.query('SELECT * FROM api_tokens')).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ is_root: true, scope: 'admin', revoked_at: null, prefix: root.slice(0, 10) });
    expect(Buffer.from(rows[0].token_hash).toString('hex')).toBe(createHash('sha256').update(root).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(root.slice(10));
  });
});

describe('requests without good credentials', () => {
  it('every REST route answers 401 JSON with WWW-Authenticate, for no credentials, a wrong or malformed token, or another scheme, and nothing changes', async () => {
    const file = await upload(randomBytes(100_000), bearer(root));
    expect(file.status, file.text).toBe(201);
    const id = file.json.file_id as string;
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/files'],
      ['GET', `/files?limit=5`],
      ['GET', `/files/${id}`],
      ['HEAD', `/files/${id}`],
      ['GET', `/files/${id}/metadata`],
      ['DELETE', `/files/${id}`],
      ['POST', '/files', { not: 'a form' }],
      ['GET', '/admin/nodes'],
      ['POST', '/admin/nodes', { address: '127.0.0.1:1' }],
      ['DELETE', '/admin/nodes/1'],
      ['POST', '/admin/nodes/1/drain'],
      ['POST', '/admin/rebalance'],
      ['GET', '/admin/redundancy'],
      ['GET', '/admin/keys'],
      ['POST', '/admin/keys', { name: 'x' }],
      ['GET', '/admin/keys/AKIDAKIDAKIDAKIDAKID'],
      ['DELETE', '/admin/keys/AKIDAKIDAKIDAKIDAKID'],
      ['PUT', '/admin/keys/AKIDAKIDAKIDAKIDAKID/grants/photos', { read: true, write: true }],
      ['DELETE', '/admin/keys/AKIDAKIDAKIDAKIDAKID/grants/photos'],
      ['GET', '/admin/tokens'],
      ['POST', '/admin/tokens', { scope: 'admin' }],
      ['GET', '/admin/tokens/1'],
      ['DELETE', '/admin/tokens/1'],
      ['GET', '/no/such/route'],
      ['GET', '/ADMIN/NODES'],
      ['POST', '/health'],
    ];
    const credentials: Array<[string, Record<string, string>]> = [
      ['none', {}],
      ['wrong token', bearer(`ost_${'x'.repeat(43)}`)],
      ['the root token with a character changed', bearer(root.slice(0, -1) + (root.endsWith('A') ? 'B' : 'A'))],
      ['malformed bearer', { Authorization: `Bearer ${root} extra` }],
      ['basic', { Authorization: `Basic ${Buffer.from(`root:${root}`).toString('base64')}` }],
      ['token in the query', {}],
    ];
    const before = await counts();
    for (const [method, path, body] of routes) {
      for (const [what, headers] of credentials) {
        const url = `${c.gatewayUrl}${path}${what === 'token in the query' ? `${path.includes('?') ? '&' : '?'}token=${root}` : ''}`;
        const r = await api(url, { method, body, headers });
        const label = `${method} ${path} with ${what}`;
        expect(r.status, `${label}: ${r.text}`).toBe(401);
        if (method !== 'HEAD') expect(r.json, label).toMatchObject({ code: 'Unauthenticated' });
        expect(r.headers['www-authenticate'], label).toBe('Bearer realm="objstore"');
        expect(r.text, label).not.toContain(root);
      }
    }
    expect(await counts()).toEqual(before);
    expect((await api(`${c.gatewayUrl}/files/${id}/metadata`, { token: root })).status).toBe(200);
  });

  it('the probes stay open', async () => {
    for (const path of ['/health', '/livez', '/readyz', '/HEALTH']) {
      const r = await api(`${c.gatewayUrl}${path}`);
      expect(r.status, `${path}: ${r.text}`).toBe(200);
    }
    expect((await api(`${c.gatewayUrl}/livez`)).json).toEqual({ status: 'alive' });
    expect((await api(`${c.gatewayUrl}/readyz`)).json).toEqual({ status: 'ready' });
  });

  it('an upload without credentials is refused before its body is read, and leaves nothing', async () => {
    const before = await counts();
    // Only the head of a 64 MiB upload is sent: the 401 comes without a byte of the body.
    const conn = await RawConnection.open(Number(new URL(c.gatewayUrl).port));
    try {
      await conn.send(
        `POST /files HTTP/1.1\r\nHost: gateway\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${64 * MiB}\r\n\r\n`,
      );
      const answer = await conn.answer(10_000);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body.toString()).code).toBe('Unauthenticated');
    } finally {
      conn.destroy();
    }
    // And a client that sends its whole body anyway gets the 401 too.
    const r = await rawUpload({ url: c.gatewayUrl, blocks: (function* () { for (let i = 0; i < 64; i++) yield Buffer.alloc(MiB, i); })(), declaredSize: 64 * MiB, timeoutMs: 60_000 });
    expect(r.status).toBe(401);
    expect(await counts()).toEqual(before);
  });
});

describe('scopes', () => {
  it('a read token reads; a write token also writes; only an admin token administers (403 with the scope named)', async () => {
    const reader = await createToken('read', 'reader');
    const writer = await createToken('write', 'writer');
    const admin = await createToken('admin', 'second admin');
    const data = randomBytes(3 * MiB + 17);

    const denied = await upload(data, bearer(reader.token));
    expect(denied.status, denied.text).toBe(403);
    expect(denied.json).toMatchObject({ code: 'Forbidden' });
    expect(denied.json.error).toMatch(/needs the write scope/);

    const stored = await upload(data, bearer(writer.token));
    expect(stored.status, stored.text).toBe(201);
    const id = stored.json.file_id as string;
    for (const t of [reader, writer, admin]) {
      const got = await fetch(`${c.gatewayUrl}/files/${id}`, { headers: bearer(t.token) });
      expect(got.status, await got.clone().text()).toBe(200);
      expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);
      expect((await api(`${c.gatewayUrl}/files`, { token: t.token })).json.files.map((f: { file_id: string }) => f.file_id)).toContain(id);
      expect((await api(`${c.gatewayUrl}/files/${id}/metadata`, { token: t.token })).status).toBe(200);
    }
    expect((await api(`${c.gatewayUrl}/files/${id}`, { method: 'DELETE', token: reader.token })).status).toBe(403);

    for (const t of [reader, writer]) {
      for (const [method, path] of [
        ['GET', '/admin/nodes'],
        ['GET', '/ADMIN/Nodes'],
        ['GET', '/admin/tokens'],
        ['POST', '/admin/tokens'],
        ['GET', '/admin/keys'],
        ['GET', '/admin/redundancy'],
        ['POST', '/admin/nodes'],
      ] as const) {
        const r = await api(`${c.gatewayUrl}${path}`, { method, token: t.token, body: method === 'POST' ? { scope: 'admin' } : undefined });
        expect(r.status, `${method} ${path}: ${r.text}`).toBe(403);
        expect(r.json.error).toMatch(/needs the admin scope/);
      }
    }
    expect((await api(`${c.gatewayUrl}/admin/nodes`, { token: admin.token })).status).toBe(200);
    expect((await api(`${c.gatewayUrl}/files/${id}`, { method: 'DELETE', token: writer.token })).status).toBe(200);
    expect((await api(`${c.gatewayUrl}/files/${id}`, { token: reader.token })).status).toBe(404);
  });
});

describe('managing tokens', () => {
  it('a created token is shown once; listings never show it; a revoked token stops working at once; the root token is not revoked this way', async () => {
    const t = await createToken('write', 'short-lived');
    const listing = await api(`${c.gatewayUrl}/admin/tokens`, { token: root });
    expect(listing.status).toBe(200);
    const mine = listing.json.tokens.find((x: { id: number }) => x.id === t.id);
    expect(mine).toMatchObject({ name: 'short-lived', scope: 'write', is_root: false, revoked_at: null, prefix: t.token.slice(0, 10) });
    expect(listing.text).not.toContain(t.token);
    expect(listing.text).not.toContain(root);
    expect((await api(`${c.gatewayUrl}/admin/tokens/${t.id}`, { token: root })).json).toMatchObject({ id: t.id, scope: 'write' });

    expect((await api(`${c.gatewayUrl}/files`, { token: t.token })).status).toBe(200);
    const revoked = await api(`${c.gatewayUrl}/admin/tokens/${t.id}`, { method: 'DELETE', token: root });
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.json).toMatchObject({ message: 'token revoked', id: t.id });
    expect(revoked.json.revoked_at).not.toBeNull();
    // The very next request: no cache to wait for.
    const after = await api(`${c.gatewayUrl}/files`, { token: t.token });
    expect(after.status, after.text).toBe(401);
    expect((await api(`${c.gatewayUrl}/admin/tokens/${t.id}`, { method: 'DELETE', token: root })).json.message).toBe('token was revoked already');
    expect((await api(`${c.gatewayUrl}/admin/tokens`, { token: root })).json.tokens.map((x: { id: number }) => x.id)).not.toContain(t.id);
    expect((await api(`${c.gatewayUrl}/admin/tokens?revoked=true`, { token: root })).json.tokens.map((x: { id: number }) => x.id)).toContain(t.id);

    const rootRow = listing.json.tokens.find((x: { is_root: boolean }) => x.is_root);
    const refused = await api(`${c.gatewayUrl}/admin/tokens/${rootRow.id}`, { method: 'DELETE', token: root });
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe('RootTokenProtected');
    expect((await api(`${c.gatewayUrl}/files`, { token: root })).status).toBe(200);
  });

  it('bad token requests are 400 or 404 with a clear message', async () => {
    for (const body of [{}, { scope: 'root' }, { scope: 'read', name: 5 }, { scope: 'read', extra: 1 }, { scope: 'read', name: 'x'.repeat(201) }]) {
      const r = await api(`${c.gatewayUrl}/admin/tokens`, { method: 'POST', token: root, body });
      expect(r.status, `${JSON.stringify(body)}: ${r.text}`).toBe(400);
    }
    expect((await api(`${c.gatewayUrl}/admin/tokens/99999`, { token: root })).status).toBe(404);
    expect((await api(`${c.gatewayUrl}/admin/tokens/abc`, { token: root })).status).toBe(400);
    expect((await api(`${c.gatewayUrl}/admin/tokens/99999999999999999999`, { method: 'DELETE', token: root })).status).toBe(400);
  });
});

describe('SigV4 with an access key', () => {
  it('the root key may do everything; another key what its grant on ".files" says; a wrong secret or a revoked key is 401', async () => {
    const rootKey = c.rootKey!;
    const asRoot = new RawS3(c.gatewayUrl, rootKey);
    const listed = await asRoot.send({ method: 'GET', path: '/files' });
    expect(listed.status, listed.text).toBe(200);
    expect((await asRoot.send({ method: 'GET', path: '/admin/nodes' })).status).toBe(200);

    const created = await api(`${c.gatewayUrl}/admin/keys`, { method: 'POST', token: root, body: { name: 'rest-user' } });
    expect(created.status).toBe(201);
    const key = { accessKeyId: created.json.access_key_id as string, secretAccessKey: created.json.secret_access_key as string };
    const asKey = asRoot.as(key);
    const form = (data: Buffer) => {
      const { boundary, head, tail } = multipartFraming('signed.bin', 'application/octet-stream');
      return { body: Buffer.concat([head, data, tail]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
    };
    const data = randomBytes(200_000);

    expect((await asKey.send({ method: 'GET', path: '/files' })).status, 'no grant').toBe(403);
    const grant = (read: boolean, write: boolean) =>
      api(`${c.gatewayUrl}/admin/keys/${key.accessKeyId}/grants/.files`, { method: 'PUT', token: root, body: { read, write } });
    expect((await grant(true, false)).status).toBe(200);
    expect((await asKey.send({ method: 'GET', path: '/files' })).status, 'read grant').toBe(200);
    const refused = await asKey.send({ method: 'POST', path: '/files', ...form(data), unsignedPayload: true });
    expect(refused.status, refused.text).toBe(403);
    expect((await grant(true, true)).status).toBe(200);
    const stored = await asKey.send({ method: 'POST', path: '/files', ...form(data), unsignedPayload: true });
    expect(stored.status, stored.text).toBe(201);
    const id = JSON.parse(stored.text).file_id as string;
    const back = await asKey.send({ method: 'GET', path: `/files/${id}` });
    expect(back.status).toBe(200);
    expect(back.body.equals(data)).toBe(true);
    expect((await asKey.send({ method: 'GET', path: '/admin/nodes' })).status, 'grants never reach /admin').toBe(403);

    // The body is handed to the upload as it streams: a signed payload hash cannot be checked first.
    const signedBody = await asKey.send({ method: 'POST', path: '/files', ...form(data) });
    expect(signedBody.status, signedBody.text).toBe(400);
    expect(JSON.parse(signedBody.text).code).toBe('UnsupportedPayloadSigning');

    const wrong = await asRoot.as({ ...key, secretAccessKey: `${key.secretAccessKey.slice(0, -1)}x` }).send({ method: 'GET', path: '/files' });
    expect(wrong.status, wrong.text).toBe(401);
    expect(JSON.parse(wrong.text).error).toMatch(/SignatureDoesNotMatch/);
    expect((await api(`${c.gatewayUrl}/admin/keys/${key.accessKeyId}`, { method: 'DELETE', token: root })).status).toBe(200);
    expect((await asKey.send({ method: 'GET', path: '/files' })).status, 'revoked key').toBe(401);
  });
});

describe('the cluster token', () => {
  it('lets a node register itself, by hand or announcing itself, and nothing else', async () => {
    const asNode = bearer(c.clusterToken);
    const again = await api(`${c.gatewayUrl}/admin/nodes`, { method: 'POST', headers: asNode, body: { address: c.nodes[0]!.address } });
    expect(again.status, again.text).toBe(200);
    for (const [method, path] of [
      ['GET', '/admin/nodes'],
      ['DELETE', '/admin/nodes/1'],
      ['POST', '/admin/nodes/1/drain'],
      ['GET', '/files'],
      ['GET', '/admin/tokens'],
    ] as const) {
      const r = await api(`${c.gatewayUrl}${path}`, { method, headers: asNode });
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(403);
    }
    const joiner = await startStorageNode({ CLUSTER_TOKEN: c.clusterToken, JOIN_URL: c.gatewayUrl, ANNOUNCE_INTERVAL_MS: '300' });
    cleanups.push(() => joiner.cleanup());
    const listed = await pollUntil(
      () => api(`${c.gatewayUrl}/admin/nodes`, { token: root }),
      (r) => r.json?.nodes?.some((n: { address: string }) => n.address === joiner.address),
      15_000,
    );
    expect(listed.json.nodes.map((n: { address: string }) => n.address)).toContain(joiner.address);
    expect(joiner.output()).toMatch(/registered as node \d+/);
    expect(joiner.output()).not.toContain(c.clusterToken);
  });
});

describe('the objstore CLI', () => {
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<{ code: number; out: string; err: string }> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(import.meta.dirname, '..', 'dist', 'cli', 'objstore.js'), ...args],
        { env: { PATH: process.env.PATH, ...env }, cwd, timeout: 30_000 },
        (error, out, err) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err }),
      );
    });

  it('creates, lists, shows and revokes tokens and keys; --json for scripts; exit codes 0, 1, 2, 3', async () => {
    const base = ['--url', c.gatewayUrl];
    const created = await cli([...base, '--json', 'tokens', 'create', '--scope', 'read', '--name', 'from the cli'], { OBJSTORE_TOKEN: root });
    expect(created.code, created.err).toBe(0);
    const token = JSON.parse(created.out) as { id: number; token: string; scope: string };
    expect(token).toMatchObject({ scope: 'read', name: 'from the cli' });
    expect((await api(`${c.gatewayUrl}/files`, { token: token.token })).status).toBe(200);

    const table = await cli([...base, 'tokens', 'list'], { API_TOKEN: root });
    expect(table.code, table.err).toBe(0);
    expect(table.out).toMatch(/^ID\s+SCOPE\s+ROOT\s+STARTS WITH\s+NAME/);
    expect(table.out).toMatch(new RegExp(`\\n${token.id}\\s+read\\s+\\s+${token.token.slice(0, 10)}\\.\\.\\.\\s+from the cli`));
    expect(table.out).not.toContain(token.token);

    // The token file of the data folder, as npm start leaves it, is found by default.
    const fromFile = await cli([...base, '--json', 'tokens', 'show', String(token.id)], { DATA_DIR: c.dataDir });
    expect(fromFile.code, fromFile.err).toBe(0);
    expect(JSON.parse(fromFile.out)).toMatchObject({ id: token.id, revoked_at: null });

    const revoked = await cli([...base, 'tokens', 'revoke', String(token.id)], { OBJSTORE_TOKEN: root });
    expect(revoked.code, revoked.err).toBe(0);
    expect(revoked.out).toBe(`token ${token.id}: token revoked\n`);
    expect((await api(`${c.gatewayUrl}/files`, { token: token.token })).status).toBe(401);

    const key = await cli([...base, '--json', 'keys', 'create', '--name', 'cli key'], { OBJSTORE_TOKEN: root });
    expect(key.code, key.err).toBe(0);
    const id = JSON.parse(key.out).access_key_id as string;
    const allowed = await cli([...base, 'keys', 'allow', id, 'photos', '--read'], { OBJSTORE_TOKEN: root });
    expect(allowed.out).toBe(`access key ${id}: photos:r\n`);
    const keys = await cli([...base, '--json', 'keys', 'list'], { OBJSTORE_TOKEN: root });
    expect(JSON.parse(keys.out).find((k: { access_key_id: string }) => k.access_key_id === id).grants).toEqual([{ bucket: 'photos', read: true, write: false }]);
    expect((await cli([...base, 'keys', 'revoke', id], { OBJSTORE_TOKEN: root })).code).toBe(0);

    const empty = await mkdtemp(join(tmpdir(), 'objstore-cli-'));
    try {
      const noToken = await cli([...base, 'tokens', 'list'], {}, empty);
      expect(noToken.code).toBe(1);
      expect(noToken.err).toMatch(/401|Unauthenticated/);
      const readOnly = await createToken('read');
      const forbidden = await cli([...base, 'tokens', 'list'], { OBJSTORE_TOKEN: readOnly.token }, empty);
      expect(forbidden.code).toBe(1);
      expect(forbidden.err).toMatch(/Forbidden/);
      const usage = await cli([...base, 'tokens', 'create', '--scope', 'everything'], { OBJSTORE_TOKEN: root });
      expect(usage.code).toBe(2);
      expect(usage.err).toMatch(/everything/);
      const allowNothing = await cli([...base, 'keys', 'allow', 'AKID', 'photos'], { OBJSTORE_TOKEN: root });
      expect(allowNothing.code).toBe(2);
      const unreachable = await cli(['--url', 'http://127.0.0.1:1', 'tokens', 'list'], { OBJSTORE_TOKEN: root });
      expect(unreachable.code).toBe(3);
      expect(unreachable.err).toMatch(/cannot reach the gateway/);
      const help = await cli(['tokens', '--help']);
      expect(help.code).toBe(0);
      expect(help.out).toMatch(/create.*\n.*list/s);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('no secret in any output', () => {
  it('tokens, secrets and signatures used above never appear in the gateway output (the banner aside)', async () => {
    const t = await createToken('write');
    await api(`${c.gatewayUrl}/files`, { token: t.token });
    await api(`${c.gatewayUrl}/files`, { token: `${t.token}x` });
    const signed = await new RawS3(c.gatewayUrl, c.rootKey!).send({ method: 'GET', path: '/files' });
    expect(signed.status).toBe(200);
    const out = gatewayOutput();
    expect(out).not.toContain(t.token);
    expect(out).not.toContain(root);
    expect(out).not.toContain(c.rootKey!.secretAccessKey);
    expect(out).not.toContain(c.clusterToken);
    expect(out).not.toMatch(/Signature=[0-9a-f]{64}/);
  });
});

describe('API_TOKEN', () => {
  it('replaces the root token when a gateway starts with it: the old one stops working on every gateway of the database', async () => {
    const chosen = `chosen-${randomBytes(24).toString('hex')}`;
    const other = await startGatewayProcess({
      databaseUrl: c.db.url,
      nodeAddresses: c.nodes.map((n) => n.address),
      dataDir: c.dataDir,
      clusterToken: c.clusterToken,
      env: { AUTH: 'on', API_TOKEN: chosen },
    });
    cleanups.push(() => other.stop());
    expect(other.output()).toMatch(/REST API root token from API_TOKEN \(it replaces the previous root token, now revoked\)/);
    expect(other.output()).not.toContain(chosen);
    expect((await api(`${c.gatewayUrl}/files`, { token: root })).status, 'the old root token, on the first gateway').toBe(401);
    expect((await api(`${c.gatewayUrl}/admin/tokens`, { token: chosen })).status).toBe(200);
    expect((await api(`${other.url}/admin/tokens`, { token: chosen })).status).toBe(200);
    // The first gateway's file still holds the old token: a restart of it would make that root again.
    root = chosen;
  });

  it('with AUTH=off and a public bind address, the gateway warns that everything is open', async () => {
    const open = await startGatewayProcess({
      databaseUrl: c.db.url,
      nodeAddresses: c.nodes.map((n) => n.address),
      dataDir: c.dataDir,
      clusterToken: c.clusterToken,
      env: { AUTH: 'off', HOST: '0.0.0.0' },
    });
    cleanups.push(() => open.stop());
    expect(open.output()).toMatch(/WARNING: AUTH=off and HOST=0\.0\.0\.0 is not a loopback address: .*no credentials on the REST API/);
    expect((await api(`${open.url}/admin/tokens`)).status, 'AUTH=off: the admin API is open').toBe(200);
  });
});
