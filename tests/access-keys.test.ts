// S3 access keys against a real PostgreSQL: the store and the service (create, list, lookup, grants,
// revoke, the lookup cache's bound), encryption at rest, a wrong server key, the root key bootstrap
// (configured and generated, gateways starting at once), the server key file, and the admin API,
// on an express app with the real router and through a real gateway process.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccessKeys, keyIdentity, KeySecretUnreadable } from '../gateway/auth/access-keys.js';
import type { S3Identity } from '../gateway/s3/s3-context.js';
import { ensureRootKey, RootKeyConflict } from '../gateway/auth/root-key.js';
import { loadServerKey, SERVER_KEY_FILE, ServerKeyError } from '../gateway/auth/server-key.js';
import { errorHandler } from '../gateway/http/error-handler.js';
import { keysRouter } from '../gateway/http/keys-routes.js';
import { KeyStore } from '../gateway/metadata/key-store.js';
import { migrate } from '../gateway/metadata/migrate.js';
import { createTestDatabase, testPool, type TestDatabase } from './helpers/database.js';
import { clusterForTest, undoAfterEach } from './helpers/cleanup.js';

let db: TestDatabase;
let store: KeyStore;
const serverKey = randomBytes(32);

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  store = new KeyStore(db.pool);
});
afterAll(async () => {
  await db?.drop();
});

/** Runs `fn` on a database of its own (root key tests must not see each other's root keys). */
async function withFreshDatabase<T>(fn: (store: KeyStore, db: TestDatabase) => Promise<T>): Promise<T> {
  const fresh = await createTestDatabase();
  try {
    await migrate(fresh.pool);
    return await fn(new KeyStore(fresh.pool), fresh);
  } finally {
    await fresh.drop();
  }
}

describe('access keys service', () => {
  test('create, list and get without the secret, lookup with it', async () => {
    const keys = new AccessKeys(store, serverKey);
    const created = await keys.create({ name: 'backup job' });
    expect(created.accessKeyId).toMatch(/^[A-Z0-9]{20}$/);
    expect(created.secret).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(created).toMatchObject({ name: 'backup job', isRoot: false, revokedAt: null, grants: [] });

    const listed = (await keys.list()).find((k) => k.accessKeyId === created.accessKeyId);
    expect(listed).toEqual({ accessKeyId: created.accessKeyId, name: 'backup job', isRoot: false, createdAt: created.createdAt, revokedAt: null, grants: [] });
    expect(JSON.stringify(await keys.list())).not.toContain(created.secret);
    expect(await keys.get(created.accessKeyId)).toEqual(listed);
    expect(await keys.get('NOSUCHKEY0000000000A')).toBeNull();

    const found = await keys.lookup(created.accessKeyId);
    expect(found).toEqual({ accessKeyId: created.accessKeyId, secret: created.secret, isRoot: false, grants: [] });
    expect(Object.isFrozen(found)).toBe(true);
    expect(await keys.lookup('NOSUCHKEY0000000000A')).toBeNull();
    expect(await keys.lookup('bad id!')).toBeNull(); // not even asked of the database
  });

  test('the secret is stored encrypted: no column of the row holds it', async () => {
    const keys = new AccessKeys(store, serverKey);
    const { accessKeyId, secret } = await keys.create();
    const raw = await db.pool.query<{ secret_box: Buffer; row: string }>(
      `SELECT secret_box, row_to_json(k)::text AS row FROM access_keys k WHERE access_key_id = $1`,
      [accessKeyId],
    );
    const { secret_box: box, row } = raw.rows[0]!;
    expect(box.includes(Buffer.from(secret))).toBe(false);
    expect(box.includes(serverKey)).toBe(false);
    expect(row).not.toContain(secret);
    expect(row).not.toContain(Buffer.from(secret).toString('hex'));
    // ...and it is the box the service opens.
    expect((await keys.lookup(accessKeyId))?.secret).toBe(secret);
  });

  test('grants: read, write, both, none; on buckets that do not exist yet; gone with their bucket', async () => {
    const keys = new AccessKeys(store, serverKey);
    const { accessKeyId: id } = await keys.create();
    const key = async () => (await keys.lookup(id))!;

    expect(keys.can(await key(), 'photos', 'read')).toBe(false);
    let r = await keys.grant(id, 'photos', { read: true, write: false });
    expect(r.outcome).toBe('done');
    expect([keys.can(await key(), 'photos', 'read'), keys.can(await key(), 'photos', 'write')]).toEqual([true, false]);
    expect(keys.can(await key(), 'other', 'read')).toBe(false);

    await keys.grant(id, 'photos', { read: false, write: true }); // replaces, does not add
    expect([keys.can(await key(), 'photos', 'read'), keys.can(await key(), 'photos', 'write')]).toEqual([false, true]);
    r = await keys.grant(id, 'logs', { read: true, write: true });
    expect(r.outcome === 'done' && r.key.grants).toEqual([
      { bucket: 'logs', read: true, write: true },
      { bucket: 'photos', read: false, write: true },
    ]);
    expect(keys.canSeeBucket(await key(), 'logs')).toBe(true);
    expect(keys.canSeeBucket(await key(), 'nothing')).toBe(false);
    const identity: S3Identity = keyIdentity(await key()); // what the S3 layer's handlers get
    expect([identity.accessKeyId, identity.isRoot, identity.can('photos', 'write'), identity.can('photos', 'read'), identity.can('nothing', 'read')]).toEqual([
      id,
      false,
      true,
      false,
      false,
    ]);

    await keys.grant(id, 'photos', { read: false, write: false }); // no permission left: no grant
    expect((await key()).grants.map((g) => g.bucket)).toEqual(['logs']);
    expect((await keys.revokeGrant(id, 'logs')).outcome).toBe('done');
    expect((await keys.revokeGrant(id, 'logs')).outcome).toBe('no-grant');
    expect((await key()).grants).toEqual([]);
    expect((await keys.grant('NOSUCHKEY0000000000A', 'logs', { read: true, write: true })).outcome).toBe('unknown');
    expect((await keys.revokeGrant('NOSUCHKEY0000000000A', 'logs')).outcome).toBe('unknown');

    // A grant on a bucket that does not exist works once it is created, and dies with it.
    await keys.grant(id, 'later-bucket', { read: true, write: true });
    await db.pool.query(`INSERT INTO buckets (name) VALUES ('later-bucket')`);
    expect(keys.can(await key(), 'later-bucket', 'write')).toBe(true);
    await db.pool.query(`DELETE FROM buckets WHERE name = 'later-bucket'`);
    keys.invalidate(id);
    expect(keys.can(await key(), 'later-bucket', 'write')).toBe(false);
    expect((await db.pool.query(`SELECT 1 FROM key_grants WHERE bucket = 'later-bucket'`)).rowCount).toBe(0);
  });

  test('a revoked key is kept but never authenticates; here at once, on another gateway within the cache time', async () => {
    let clock = 1_000_000;
    const here = new AccessKeys(store, serverKey, { cacheMs: 5_000 });
    const elsewhere = new AccessKeys(store, serverKey, { cacheMs: 5_000, now: () => clock });
    const { accessKeyId: id, secret } = await here.create({ name: 'to revoke' });
    await here.grant(id, 'photos', { read: true, write: false });
    expect((await elsewhere.lookup(id))?.secret).toBe(secret);
    expect((await here.lookup(id))?.secret).toBe(secret);

    const result = await here.revoke(id);
    expect(result.outcome).toBe('revoked');
    expect(await here.lookup(id)).toBeNull();
    clock += 4_900;
    expect((await elsewhere.lookup(id))?.secret).toBe(secret); // still cached there
    clock += 200;
    expect(await elsewhere.lookup(id)).toBeNull(); // past the bound

    // Kept for the record, with its grants; revoking again changes nothing; no new grants.
    const info = await here.get(id);
    expect(info?.revokedAt).toBeInstanceOf(Date);
    expect(info?.grants).toEqual([{ bucket: 'photos', read: true, write: false }]);
    const again = await here.revoke(id);
    expect(again.outcome).toBe('already-revoked');
    expect(again.outcome !== 'unknown' && again.key.revokedAt).toEqual(info?.revokedAt);
    expect((await here.grant(id, 'photos', { read: true, write: true })).outcome).toBe('revoked');
    expect((await here.revoke('NOSUCHKEY0000000000A')).outcome).toBe('unknown');
  });

  test('lookups in flight are shared, and with cacheMs 0 every lookup reads the database', async () => {
    const keys = new AccessKeys(store, serverKey);
    const { accessKeyId: id } = await keys.create();
    keys.invalidate();
    const [a, b] = await Promise.all([keys.lookup(id), keys.lookup(id)]);
    expect(a).toBe(b); // one load for both
    const uncached = new AccessKeys(store, serverKey, { cacheMs: 0 });
    const first = await uncached.lookup(id);
    await db.pool.query('UPDATE access_keys SET revoked_at = now() WHERE access_key_id = $1', [id]);
    expect(first).not.toBeNull();
    expect(await uncached.lookup(id)).toBeNull();
  });

  test('a secret sealed under another server key gives a clear error, not a crash', async () => {
    const keys = new AccessKeys(store, serverKey);
    const { accessKeyId: id } = await keys.create();
    const otherKey = randomBytes(32);
    const other = new AccessKeys(store, otherKey);
    const error = await other.lookup(id).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(KeySecretUnreadable);
    expect((error as KeySecretUnreadable).problem).toBe('wrong-key');
    expect((error as Error).message).toMatch(new RegExp(`secret of access key ${id} was encrypted under another server key`));
    expect((error as Error).message).toMatch(/SERVER_KEY or DATA_DIR\/server\.key/);
    expect(await other.sealedUnderOtherKey()).toContain(id);
    expect(await keys.sealedUnderOtherKey()).not.toContain(id);
    // The failure is not cached: the same gateway keeps saying so (and the admin API still lists the key).
    await expect(other.lookup(id)).rejects.toBeInstanceOf(KeySecretUnreadable);
    expect((await other.get(id))?.accessKeyId).toBe(id);

    // A row whose box was damaged is told apart from a wrong key.
    await db.pool.query(`UPDATE access_keys SET secret_box = overlay(secret_box PLACING '\\x00'::bytea FROM 40 FOR 1) WHERE access_key_id = $1`, [id]);
    keys.invalidate(id);
    const damaged = await keys.lookup(id).catch((err: unknown) => err);
    expect((damaged as KeySecretUnreadable).problem).toBe('damaged');
  });
});

describe('root key bootstrap', () => {
  test('generated once, even when four gateways start at once; later starts find it', async () => {
    await withFreshDatabase(async (_store, fresh) => {
      const pools = Array.from({ length: 4 }, () => testPool(fresh.url, 1));
      try {
        const outcomes = await Promise.all(pools.map((p) => ensureRootKey(new KeyStore(p), serverKey)));
        const generated = outcomes.filter((o) => o.kind === 'generated');
        expect(generated).toHaveLength(1);
        const root = generated[0]!;
        expect(root.accessKeyId).toMatch(/^[A-Z0-9]{20}$/);
        for (const o of outcomes.filter((x) => x.kind !== 'generated')) expect(o).toEqual({ kind: 'existing', accessKeyId: root.accessKeyId, readable: true });
        const roots = await fresh.pool.query('SELECT access_key_id FROM access_keys WHERE is_root');
        expect(roots.rows).toEqual([{ access_key_id: root.accessKeyId }]);

        const keys = new AccessKeys(new KeyStore(fresh.pool), serverKey);
        const found = await keys.lookup(root.accessKeyId);
        expect(found?.isRoot).toBe(true);
        expect(root.kind === 'generated' && found?.secret).toBe(root.kind === 'generated' && root.secret);
        expect(keys.can(found!, 'any-bucket', 'write')).toBe(true);
        expect(await ensureRootKey(new KeyStore(fresh.pool), serverKey)).toEqual({ kind: 'existing', accessKeyId: root.accessKeyId, readable: true });
        // Not revocable through the admin path; the database refuses a second root key in force.
        expect((await keys.revoke(root.accessKeyId)).outcome).toBe('root');
        await expect(
          fresh.pool.query(`INSERT INTO access_keys (access_key_id, secret_box, is_root) VALUES ('SECONDROOT', $1, true)`, [Buffer.alloc(40)]),
        ).rejects.toThrow(/access_keys_one_root_idx/);
      } finally {
        await Promise.all(pools.map((p) => p.end()));
      }
    });
  });

  test('configured by S3_ROOT_ACCESS_KEY/S3_ROOT_SECRET_KEY: idempotent, secret follows the setting, replaces other root keys', async () => {
    await withFreshDatabase(async (fresh) => {
      const keys = new AccessKeys(fresh, serverKey, { cacheMs: 0 });
      const generated = await ensureRootKey(fresh, serverKey);
      expect(generated.kind).toBe('generated');

      const admin = { accessKeyId: 'admin', secret: 'password123' };
      expect(await ensureRootKey(fresh, serverKey, admin)).toEqual({ kind: 'configured', accessKeyId: 'admin', change: 'created', revoked: [generated.accessKeyId] });
      expect(await keys.lookup(generated.accessKeyId)).toBeNull();
      expect(await keys.lookup('admin')).toEqual({ accessKeyId: 'admin', secret: 'password123', isRoot: true, grants: [] });

      // Four gateways restarting with the same setting: nothing changes.
      const outcomes = await Promise.all([1, 2, 3, 4].map(() => ensureRootKey(fresh, serverKey, admin)));
      for (const o of outcomes) expect(o).toEqual({ kind: 'configured', accessKeyId: 'admin', change: 'unchanged', revoked: [] });
      const box = (await fresh.get('admin'))!.secretBox;
      expect((await fresh.get('admin'))!.secretBox.equals(box)).toBe(true);

      expect(await ensureRootKey(fresh, serverKey, { accessKeyId: 'admin', secret: 'new-password' })).toMatchObject({ change: 'secret-updated' });
      expect((await keys.lookup('admin'))?.secret).toBe('new-password');

      // Another configured id takes over; going back takes the first one back into force.
      expect(await ensureRootKey(fresh, serverKey, { accessKeyId: 'admin2', secret: 'password456' })).toMatchObject({ change: 'created', revoked: ['admin'] });
      expect(await keys.lookup('admin')).toBeNull();
      expect(await ensureRootKey(fresh, serverKey, admin)).toMatchObject({ change: 'restored', revoked: ['admin2'] });
      expect((await keys.lookup('admin'))?.secret).toBe('password123');
      const active = await fresh.list({ revoked: false });
      expect(active.filter((k) => k.isRoot).map((k) => k.accessKeyId)).toEqual(['admin']);

      // An ordinary key's id is not made root.
      const ordinary = await keys.create();
      await expect(ensureRootKey(fresh, serverKey, { accessKeyId: ordinary.accessKeyId, secret: 'password789' })).rejects.toThrow(RootKeyConflict);
      expect((await keys.lookup(ordinary.accessKeyId))?.isRoot).toBe(false);
    });
  });

  test('under another server key: reported unreadable without configuration, sealed again with it', async () => {
    await withFreshDatabase(async (fresh) => {
      const generated = await ensureRootKey(fresh, serverKey);
      const newKey = randomBytes(32);
      expect(await ensureRootKey(fresh, newKey)).toEqual({ kind: 'existing', accessKeyId: generated.accessKeyId, readable: false });
      await ensureRootKey(fresh, serverKey, { accessKeyId: 'admin', secret: 'password123' });
      // The operator changed the server key and kept the setting: the configured secret is sealed under the new key.
      expect(await ensureRootKey(fresh, newKey, { accessKeyId: 'admin', secret: 'password123' })).toMatchObject({ change: 'secret-updated' });
      expect((await new AccessKeys(fresh, newKey).lookup('admin'))?.secret).toBe('password123');
    });
  });
});

describe('server key', () => {
  test('created at first start (0600, 64 hex), read back afterwards, the same for gateways starting at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'objstore-server-key-'));
    try {
      const loads = await Promise.all([1, 2, 3, 4].map(() => loadServerKey({ dataDir: join(dir, 'data') })));
      for (const l of loads) expect(l.key.equals(loads[0]!.key)).toBe(true);
      expect(loads.every((l) => l.source === 'generated')).toBe(true);
      const file = join(dir, 'data', SERVER_KEY_FILE);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readFile(file, 'utf8')).toBe(`${loads[0]!.key.toString('hex')}\n`);
      const again = await loadServerKey({ dataDir: join(dir, 'data') });
      expect(again).toMatchObject({ source: 'file', file, warnings: [] });
      expect(again.key.equals(loads[0]!.key)).toBe(true);

      // SERVER_KEY wins over the file, and says so when they differ.
      const configured = randomBytes(32);
      const fromEnv = await loadServerKey({ configured, dataDir: join(dir, 'data') });
      expect(fromEnv.key.equals(configured)).toBe(true);
      expect(fromEnv.warnings.join()).toMatch(/SERVER_KEY is set and differs/);

      await writeFile(file, 'not a key\n');
      await expect(loadServerKey({ dataDir: join(dir, 'data') })).rejects.toThrow(/server key file .* does not hold a server key/);
      // A data folder that cannot be created: the message says what to do.
      await writeFile(join(dir, 'plain-file'), 'x');
      const err = await loadServerKey({ dataDir: join(dir, 'plain-file', 'data') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServerKeyError);
      expect((err as Error).message).toMatch(/cannot create the server key file .*set SERVER_KEY/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('admin API', () => {
  let server: Server;
  let base: string;
  let keys: AccessKeys;
  beforeAll(async () => {
    keys = new AccessKeys(store, serverKey);
    const app = express();
    app.use(keysRouter(keys));
    app.use(errorHandler);
    server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server?.close(r)));

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  test('create (secret once), list and get (no secret), grants, revoke', async () => {
    const created = await call('POST', '/admin/keys', { name: 'ci uploader' });
    expect(created.status).toBe(201);
    const { access_key_id: id, secret_access_key: secret } = created.body;
    expect(created.body).toMatchObject({ name: 'ci uploader', is_root: false, revoked_at: null, grants: [] });
    expect(id).toMatch(/^[A-Z0-9]{20}$/);
    expect(secret).toMatch(/^[A-Za-z0-9]{40}$/);
    expect((await keys.lookup(id))?.secret).toBe(secret);
    expect((await call('POST', '/admin/keys')).status).toBe(201); // no body: a key without a name

    const list = await call('GET', '/admin/keys');
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(list.body.keys.find((k: { access_key_id: string }) => k.access_key_id === id)).toEqual({
      access_key_id: id,
      name: 'ci uploader',
      is_root: false,
      created_at: created.body.created_at,
      revoked_at: null,
      grants: [],
    });

    const granted = await call('PUT', `/admin/keys/${id}/grants/photos`, { read: true, write: false });
    expect(granted).toMatchObject({ status: 200, body: { access_key_id: id, grants: [{ bucket: 'photos', read: true, write: false }] } });
    expect(keys.can((await keys.lookup(id))!, 'photos', 'read')).toBe(true);
    const one = await call('GET', `/admin/keys/${id}`);
    expect(one.body.grants).toEqual([{ bucket: 'photos', read: true, write: false }]);
    expect(JSON.stringify(one.body)).not.toContain(secret);
    expect((await call('DELETE', `/admin/keys/${id}/grants/photos`)).body.grants).toEqual([]);
    expect((await call('DELETE', `/admin/keys/${id}/grants/photos`)).status).toBe(404);

    const revoked = await call('DELETE', `/admin/keys/${id}`);
    expect(revoked).toMatchObject({ status: 200, body: { message: 'key revoked', access_key_id: id } });
    expect(typeof revoked.body.revoked_at).toBe('string');
    expect(await keys.lookup(id)).toBeNull();
    expect((await call('DELETE', `/admin/keys/${id}`)).body.message).toBe('key was revoked already');
    expect(await call('PUT', `/admin/keys/${id}/grants/photos`, { read: true, write: true })).toMatchObject({ status: 409, body: { code: 'KeyRevoked' } });
  });

  test('refuses bad input with a JSON error naming the problem', async () => {
    const { body: k } = await call('POST', '/admin/keys');
    const id = k.access_key_id as string;
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['POST', '/admin/keys', { name: 42 }, 400, /name must be a string/],
      ['POST', '/admin/keys', { name: 'x'.repeat(201) }, 400, /at most 200/],
      ['POST', '/admin/keys', { is_root: true }, 400, /unknown field "is_root"/],
      ['POST', '/admin/keys', '{"name": ', 400, /JSON/],
      ['GET', '/admin/keys/ab', undefined, 400, /3 to 128/],
      ['GET', '/admin/keys/NOSUCHKEY0000000000A', undefined, 404, /does not exist/],
      ['DELETE', '/admin/keys/NOSUCHKEY0000000000A', undefined, 404, /does not exist/],
      ['PUT', `/admin/keys/${id}/grants/photos`, { read: true }, 400, /read and write must both be given/],
      ['PUT', `/admin/keys/${id}/grants/photos`, { read: 'yes', write: false }, 400, /read and write must both be given/],
      ['PUT', `/admin/keys/${id}/grants/photos`, undefined, 400, /body must be a JSON object/],
      ['PUT', `/admin/keys/${id}/grants/.other`, { read: true, write: true }, 400, /Bucket names/],
      ['PUT', `/admin/keys/${id}/grants/Photos`, { read: true, write: true }, 400, /Bucket names/],
      ['PUT', '/admin/keys/NOSUCHKEY0000000000A/grants/photos', { read: true, write: true }, 404, /does not exist/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const res = await call(method, path, body);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(res.body.error, `${method} ${path}`).toMatch(message);
      expect(typeof res.body.code).toBe('string');
    }
  });

  test('the root key is neither revoked nor given grants', async () => {
    await withFreshDatabase(async (fresh) => {
      const root = await ensureRootKey(fresh, serverKey, { accessKeyId: 'rootadmin', secret: 'password123' });
      expect(root.kind).toBe('configured');
      const app = express();
      app.use(keysRouter(new AccessKeys(fresh, serverKey)));
      app.use(errorHandler);
      const s = createServer(app).listen(0, '127.0.0.1');
      await once(s, 'listening');
      try {
        const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
        const del = await fetch(`${url}/admin/keys/rootadmin`, { method: 'DELETE' });
        expect(del.status).toBe(409);
        expect(await del.json()).toMatchObject({ code: 'RootKeyProtected', error: expect.stringMatching(/S3_ROOT_ACCESS_KEY/) });
        const put = await fetch(`${url}/admin/keys/rootadmin/grants/photos`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json' },
          body: '{"read": true, "write": true}',
        });
        expect(put.status).toBe(409);
        expect(((await put.json()) as { code: string }).code).toBe('KeyIsRoot');
      } finally {
        await new Promise((r) => s.close(r));
      }
    });
  });
});

describe('through a gateway process', () => {
  const undo = undoAfterEach();

  test('the generated root key reaches the launcher once; /admin/keys is served', async () => {
    const cluster = await clusterForTest(undo, { nodes: 1 });
    const root = cluster.rootKey;
    expect(root?.accessKeyId).toMatch(/^[A-Z0-9]{20}$/);
    expect(root?.secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
    const list = (await (await fetch(`${cluster.gatewayUrl}/admin/keys`)).json()) as { keys: Array<{ access_key_id: string; is_root: boolean }> };
    expect(list.keys).toEqual([expect.objectContaining({ access_key_id: root!.accessKeyId, is_root: true })]);
    expect(JSON.stringify(list)).not.toContain(root!.secretAccessKey);
    // The server key file is where the gateway was told to keep it, and opens the stored secret.
    const key = Buffer.from((await readFile(join(cluster.dataDir, SERVER_KEY_FILE), 'utf8')).trim(), 'hex');
    const found = await new AccessKeys(new KeyStore(cluster.db.pool), key).lookup(root!.accessKeyId);
    expect(found?.secret).toBe(root!.secretAccessKey);
  });
});
