// The SQL of S3 listings against a real PostgreSQL with the migrations applied: the same answers
// as the in-memory model, UTF-8 byte order, index range scans without a sort.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrate } from '../gateway/metadata/migrate.js';
import { keysAfter } from '../gateway/metadata/object-listing-store.js';
import { listObjects, type KeyRange, type KeySource } from '../gateway/s3/list-objects.js';
import { parseListObjectsRequest } from '../gateway/s3/list-objects-request.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { byteCompare, memorySource, modelListing, pageV2, random, randomCase, randomKeys, sortedKeys } from './helpers/listing-model.js';

let db: TestDatabase;
let bucket: number;
let other: number;

const COMPLETED_AT = new Date('2026-12-01T12:00:00.123Z');

async function insertKeys(bucketId: number, keys: string[], status = 'completed'): Promise<void> {
  // One row per key, with the columns a completed object needs; size and etag follow the key.
  await db.pool.query(
    `INSERT INTO files (id, filename, content_type, size, status, stripe_unit, stripe_width, completed_at, etag, bucket_id, object_key)
     SELECT gen_random_uuid(), 'f', 'application/octet-stream', octet_length(k), $3, 1048576, 4,
            CASE WHEN $3 = 'completed' THEN $4::timestamptz END, CASE WHEN $3 = 'completed' THEN md5(k) END, $1, k
     FROM unnest($2::text[]) AS k`,
    [bucketId, keys, status, COMPLETED_AT],
  );
}

const sql = (range: Partial<KeyRange>): Promise<string[]> =>
  keysAfter(db.pool, bucket, { prefix: '', after: null, from: null, limit: 1000, delimiter: null, ...range }).then((rows) => rows.map((r) => r.key));

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  bucket = (await db.pool.query<{ id: number }>(`INSERT INTO buckets (name) VALUES ('listing') RETURNING id`)).rows[0]!.id;
  other = (await db.pool.query<{ id: number }>(`INSERT INTO buckets (name) VALUES ('other') RETURNING id`)).rows[0]!.id;
});
afterAll(async () => {
  await db?.drop();
});

describe('byte order and what is listed', () => {
  const keys = ['a', 'a/b', 'a0', 'é', '😀', '\uffda', '\ue000', 'a/b/c', 'a//x', 'a b', '\u{10ffff}', '\u{10ffff}x', 'z', 'A', '~'];

  beforeAll(async () => {
    await db.pool.query('DELETE FROM files');
    await insertKeys(bucket, keys);
    await insertKeys(other, ['a1', 'é2']); // another bucket
    await insertKeys(bucket, ['a1-uploading'], 'uploading'); // not completed
    await db.pool.query(
      `INSERT INTO files (id, filename, content_type, status, stripe_unit, stripe_width, completed_at, checksum, bucket_id)
       VALUES (gen_random_uuid(), 'no-key', 'a/b', 'completed', 1048576, 4, now(), repeat('0', 64), $1)`,
      [bucket],
    ); // a /files-style row without a key
  });

  test('keys come back in UTF-8 byte order (U+E000 and U+FFDA before the emoji), one bucket, completed only', async () => {
    const listed = await sql({});
    expect(listed).toEqual(sortedKeys(keys));
    expect(listed.indexOf('\ue000')).toBeLessThan(listed.indexOf('😀')); // JS would say the opposite
    expect(listed.indexOf('\uffda')).toBeLessThan(listed.indexOf('😀'));
    expect(listed.at(-1)).toBe('\u{10ffff}x');
  });

  test('rows carry size, etag and completion time', async () => {
    const rows = await keysAfter(db.pool, bucket, { prefix: 'é', after: null, from: null, limit: 10, delimiter: null });
    const md5 = (await db.pool.query<{ m: string }>(`SELECT md5('é') AS m`)).rows[0]!.m;
    expect(rows).toEqual([{ key: 'é', size: 2, etag: md5, lastModified: COMPLETED_AT }]);
  });

  test('a completion time with microseconds lists as the Date pg reads from the row (milliseconds cut, not rounded), also in the skip walk', async () => {
    await db.pool.query(`UPDATE files SET completed_at = '2026-12-01 12:00:00.123999+00' WHERE bucket_id = $1 AND object_key = 'z'`, [bucket]);
    try {
      const stored = (await db.pool.query<{ at: Date }>(`SELECT completed_at AS at FROM files WHERE bucket_id = $1 AND object_key = 'z'`, [bucket])).rows[0]!.at;
      const plain = await keysAfter(db.pool, bucket, { prefix: 'z', after: null, from: null, limit: 10, delimiter: null });
      const walked = await keysAfter(db.pool, bucket, { prefix: 'z', after: null, from: null, limit: 10, delimiter: '/' });
      expect(stored.toISOString()).toBe('2026-12-01T12:00:00.123Z');
      const at = (rows: Awaited<ReturnType<typeof keysAfter>>) => rows.map((r) => ('rolledUp' in r ? null : r.lastModified.toISOString()));
      expect(at(plain)).toEqual([stored.toISOString()]);
      expect(at(walked)).toEqual([stored.toISOString()]);
    } finally {
      await db.pool.query(`UPDATE files SET completed_at = $2 WHERE bucket_id = $1 AND object_key = 'z'`, [bucket, COMPLETED_AT]);
    }
  });

  test('bounds: after is exclusive, from inclusive, the prefix bounds both ends; NUL cannot match', async () => {
    expect(await sql({ after: 'a/b' })).toEqual(sortedKeys(keys).filter((k) => byteCompare(k, 'a/b') > 0));
    expect(await sql({ from: 'a/b', limit: 2 })).toEqual(['a/b', 'a/b/c']);
    expect(await sql({ prefix: 'a/' })).toEqual(['a//x', 'a/b', 'a/b/c']);
    expect(await sql({ prefix: '\u{10ffff}' })).toEqual(['\u{10ffff}', '\u{10ffff}x']); // no successor: no upper bound
    expect(await sql({ prefix: 'a', after: 'a/b', from: 'a/a' })).toEqual(['a/b/c', 'a0']);
    expect(await sql({ prefix: 'a\0' })).toEqual([]);
    expect(await sql({ after: 'a\0b', limit: 3 })).toEqual(await sql({ after: 'a', limit: 3 }));
    expect(await sql({ from: 'a\0b', limit: 3 })).toEqual(await sql({ after: 'a', limit: 3 }));
    expect(await sql({ limit: 0 })).toEqual([]);
  });

  test('the walk reads the rows of the keys that do not roll up and only the names of those that do', async () => {
    const rows = await keysAfter(db.pool, bucket, { prefix: 'a', after: null, from: null, limit: 10, delimiter: '/' });
    const md5 = async (k: string) => (await db.pool.query<{ m: string }>('SELECT md5($1) AS m', [k])).rows[0]!.m;
    expect(rows).toEqual([
      { key: 'a', size: 1, etag: await md5('a'), lastModified: COMPLETED_AT },
      { key: 'a b', size: 3, etag: await md5('a b'), lastModified: COMPLETED_AT },
      { key: 'a//x', rolledUp: true }, // stands for a/
      { key: 'a0', size: 2, etag: await md5('a0'), lastModified: COMPLETED_AT },
    ]);
  });

  test('with a delimiter the walk returns the first key of each common prefix and goes on past it', async () => {
    // a//x stands for a/ (a/b and a/b/c are skipped); then on from a0.
    const firsts = ['A', 'a', 'a b', 'a//x', 'a0', 'z', '~', 'é', '\ue000', '\uffda', '😀', '\u{10ffff}', '\u{10ffff}x'];
    expect(await sql({ delimiter: '/' })).toEqual(firsts);
    expect(await sql({ delimiter: '/', after: 'a//x', limit: 2 })).toEqual(['a/b', 'a0']); // a/b is the first key after a//x
    expect(await sql({ prefix: 'a/', delimiter: '/' })).toEqual(['a//x', 'a/b', 'a/b/c']); // a//, a/b, a/b/
    expect(await sql({ delimiter: 'b' })).toEqual(sortedKeys(keys).filter((k) => k !== 'a/b/c'));
    expect(await sql({ delimiter: '\u{10ffff}' })).toEqual(await sql({})); // no successor of the delimiter: every key
  });
});

describe('against the model', () => {
  test('random key sets: keysAfter equals the in-memory source, and pages equal the model', async () => {
    const rnd = random(7);
    for (let set = 0; set < 12; set++) {
      const keys = randomKeys(rnd);
      await db.pool.query('DELETE FROM files');
      await insertKeys(bucket, keys);
      const store: KeySource = (range) => keysAfter(db.pool, bucket, range);
      const memory = memorySource(keys, true).source;
      for (let i = 0; i < 25; i++) {
        const c = { ...randomCase(rnd), keys };
        const range: KeyRange = { prefix: c.prefix, after: c.startAfter, from: null, limit: c.maxKeys, delimiter: rnd() < 0.5 ? null : c.delimiter || null };
        if (rnd() < 0.3) [range.after, range.from] = [null, c.startAfter];
        const context = JSON.stringify({ c, range });
        const shape = (rows: { key: string }[]) => rows.map((r) => ('rolledUp' in r ? `${r.key} (rolled up)` : r.key));
        expect(shape(await store(range)), context).toEqual(shape(await memory(range)));
        await pageV2(c, store);
      }
    }
  });

  test('v1 and v2 over the store agree with the model on a whole listing', async () => {
    const keys = sortedKeys(['photos/2026/a.jpg', 'photos/2026/b.jpg', 'photos/2027/c.jpg', 'photos/x.jpg', 'readme', 'é/1', '😀/2']);
    await db.pool.query('DELETE FROM files');
    await insertKeys(bucket, keys);
    const store: KeySource = (range) => keysAfter(db.pool, bucket, range);
    for (const version of [1, 2] as const) {
      const result = await listObjects(store, parseListObjectsRequest(version, { prefix: 'photos/', delimiter: '/' }));
      expect(result.commonPrefixes).toEqual(['photos/2026/', 'photos/2027/']);
      expect(result.contents.map((c) => c.key)).toEqual(['photos/x.jpg']);
      expect(result.isTruncated).toBe(false);
    }
    expect(modelListing(keys, 'photos/', '/', null).map((e) => e.name)).toEqual(['photos/2026/', 'photos/2027/', 'photos/x.jpg']);
    const root = await listObjects(store, parseListObjectsRequest(2, { delimiter: '/', 'max-keys': '2' }));
    expect([...root.commonPrefixes, ...root.contents.map((c) => c.key)]).toEqual(['photos/', 'readme']);
    expect(root.isTruncated).toBe(true);
  });
});

describe('plans', () => {
  beforeAll(async () => {
    await db.pool.query('DELETE FROM files');
    // 50,000 keys in 50 folders, so the planner sees a table worth an index.
    await db.pool.query(
      `INSERT INTO files (id, filename, content_type, size, status, stripe_unit, stripe_width, completed_at, etag, bucket_id, object_key)
       SELECT gen_random_uuid(), 'f', 'application/octet-stream', 1, 'completed', 1048576, 4, now(), md5(i::text), $1,
              'd' || lpad((i / 1000)::text, 3, '0') || '/f' || lpad((i % 1000)::text, 4, '0')
       FROM generate_series(0, 49999) i`,
      [bucket],
    );
    await db.pool.query('ANALYZE files');
  });

  /** The plan of the query keysAfter sends for `range`. */
  async function plan(range: Partial<KeyRange>): Promise<string> {
    let text = '';
    const explaining = {
      query: async (query: string, params: unknown[]) => {
        const r = await db.pool.query(`EXPLAIN (COSTS OFF) ${query}`, params);
        text = r.rows.map((row) => row['QUERY PLAN']).join('\n');
        return { rows: [] };
      },
    };
    await keysAfter(explaining as unknown as pg.Pool, bucket, { prefix: '', after: null, from: null, limit: 1001, delimiter: null, ...range });
    return text;
  }

  test('listing walks files_object_key_idx with the bounds as index conditions, never a sort', async () => {
    for (const range of [{}, { after: 'd049/f0990' }, { prefix: 'd025/' }, { prefix: 'd025/', after: 'd025/f0500' }, { from: 'd026' }]) {
      const p = await plan(range);
      expect(p, p).toMatch(/Index (Only )?Scan using files_object_key_idx/);
      expect(p, p).not.toMatch(/Sort|Seq Scan/);
      if ('after' in range) expect(p, p).toMatch(/object_key > 'd0[0-9]{2}\/f[0-9]{4}'::text COLLATE "C"/);
      if ('prefix' in range) expect(p, p).toMatch(/object_key < 'd0250'::text COLLATE "C"/);
    }
  });

  test('the skip walk probes the same index once per step, with one lower bound, reading keys only; rows after, gated', async () => {
    const p = await plan({ delimiter: '/' });
    expect(p, p).toMatch(/Recursive Union/);
    // The walk: two index-only probes (its start and its step); then one probe per key that does
    // not roll up, behind a one-time filter, so a key under a common prefix costs no row read.
    expect(p.match(/Index Only Scan using files_object_key_idx/g)?.length, p).toBe(2);
    expect(p, p).toMatch(/One-Time Filter: \(strpos\(substr\(w\.object_key, 1\), '\/'::text\) = 0\)\n\s+->  Index Scan using files_object_key_idx/);
    expect(p, p).not.toMatch(/Seq Scan/);
    expect(p.match(/Sort Key: [^\n]*/g), p).toEqual(['Sort Key: w.n']); // the page's own order, not the index's
    expect(p, p).not.toMatch(/object_key > w\.object_key/);
  });
});
