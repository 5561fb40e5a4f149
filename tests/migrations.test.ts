import { afterAll, beforeAll, expect, test } from 'vitest';
import { migrate } from '../gateway/metadata/migrate.js';
import { createTestDatabase, testPool, type TestDatabase } from './helpers/database.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

test('gateways starting at once apply each migration exactly once', async () => {
  const pools = Array.from({ length: 4 }, () => testPool(db.url, 1));
  try {
    const results = await Promise.all(pools.map((p) => migrate(p)));
    // One of them applied everything, the others found it done.
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
    expect(results.flat()).toContain('001_initial.sql');
    const rows = await db.pool.query('SELECT version FROM schema_migrations');
    expect(rows.rows.map((r) => r.version)).toEqual(results.flat());
    expect(await migrate(pools[0]!)).toEqual([]);
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
});

test('the schema keeps sizes in range and chunks go with their file', async () => {
  const id = '5d6b3c1e-0f4a-4b8e-9c2d-7a1b2c3d4e5f';
  await expect(
    db.pool.query(
      `INSERT INTO files (id, filename, content_type, size, status, stripe_unit, stripe_width) VALUES ($1, 'x', 'a/b', $2, 'uploading', 1048576, 6)`,
      [id, 10 * 1024 ** 3 + 1],
    ),
  ).rejects.toThrow(/check constraint/);
  await db.pool.query(
    `INSERT INTO files (id, filename, content_type, status, stripe_unit, stripe_width) VALUES ($1, 'x', 'a/b', 'uploading', 1048576, 6)`,
    [id],
  );
  const node = await db.pool.query<{ id: number }>(`INSERT INTO storage_nodes (address) VALUES ('127.0.0.1:1') RETURNING id`);
  await db.pool.query(`INSERT INTO chunks (file_id, chunk_number, chunk_id, node_id) VALUES ($1, 0, $2, $3)`, [id, `${id}.0`, node.rows[0]!.id]);
  await db.pool.query('DELETE FROM files WHERE id = $1', [id]);
  expect((await db.pool.query('SELECT 1 FROM chunks WHERE file_id = $1', [id])).rowCount).toBe(0);
});
