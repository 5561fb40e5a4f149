// The redundancy report's SQL against a real PostgreSQL with the migrations applied: random files,
// chunks and node states, compared with the rule computed here file by file. The report starts from
// the lost chunks (so it costs next to nothing on a healthy cluster); it must still count exactly
// what a join of every file with its chunks counts, and the plan must not scan every chunk.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrate } from '../gateway/metadata/migrate.js';
import { LOSS_GROUPS, RepairStore } from '../gateway/metadata/repair-store.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

let db: TestDatabase;
let store: RepairStore;

const NODE_STATES = ['healthy', 'low_space', 'unknown', 'down', 'dead', 'healthy'] as const;

interface ModelFile {
  size: number;
  parity: number;
  completed: boolean;
  chunks: { node: number | null; state: 'ok' | 'missing' | 'healing' }[];
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function load(files: ModelFile[], nodeIds: number[]): Promise<void> {
  await db.pool.query('DELETE FROM files');
  for (const [i, f] of files.entries()) {
    const id = (await db.pool.query<{ id: string }>(
      `INSERT INTO files (id, filename, content_type, size, status, stripe_unit, stripe_width, parity_width, completed_at, checksum)
       VALUES (gen_random_uuid(), $1, 'application/octet-stream', $2, $3, 1048576, 4, $4, CASE WHEN $3 = 'completed' THEN now() END, repeat('0', 64))
       RETURNING id`,
      [`f${i}`, f.size, f.completed ? 'completed' : 'uploading', f.parity],
    )).rows[0]!.id;
    for (const [n, c] of f.chunks.entries()) {
      await db.pool.query(`INSERT INTO chunks (file_id, chunk_number, chunk_id, node_id, size, state) VALUES ($1, $2, $3, $4, 1, $5)`, [
        id,
        n,
        `${id}.${n}`,
        c.node === null ? null : nodeIds[c.node],
        c.state,
      ]);
    }
  }
}

/** The rule, file by file: a chunk survives when it is ok and its node is neither down nor dead. */
function model(files: ModelFile[]) {
  const lostBy = new Map<number, { files: number; bytes: number }>();
  let unreadable = 0;
  let atRisk = 0;
  const completed = files.filter((f) => f.completed);
  let fully = 0;
  for (const f of completed) {
    const lost = f.chunks.filter((c) => !(c.state === 'ok' && c.node !== null && !['down', 'dead'].includes(NODE_STATES[c.node]!))).length;
    if (lost === 0) {
      fully++;
      continue;
    }
    atRisk += f.size;
    if (lost > f.parity) unreadable++;
    else {
      const d = lostBy.get(lost) ?? { files: 0, bytes: 0 };
      lostBy.set(lost, { files: d.files + 1, bytes: d.bytes + f.size });
    }
  }
  const degraded = [...lostBy].sort(([a], [b]) => a - b).map(([missing_chunks, d]) => ({ missing_chunks, ...d }));
  return { files: completed.length, fully_redundant: fully, degraded, unreadable, bytes_at_risk: atRisk };
}

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  store = new RepairStore(db.pool);
});
afterAll(async () => {
  await db?.drop();
});

describe('redundancy report', () => {
  test.each([1, 2, 3, 4, 5, 6])('random files and node states (seed %i): the same figures as the rule file by file', async (seed) => {
    const next = random(seed);
    const nodeIds: number[] = [];
    await db.pool.query('DELETE FROM files');
    await db.pool.query('DELETE FROM storage_nodes');
    for (const [i, status] of NODE_STATES.entries()) {
      nodeIds.push((await db.pool.query<{ id: number }>(`INSERT INTO storage_nodes (address, status) VALUES ($1, $2) RETURNING id`, [`127.0.0.1:${52000 + i}`, status])).rows[0]!.id);
    }
    const files: ModelFile[] = Array.from({ length: 60 }, () => {
      const parity = [0, 1, 2, 2, 3][Math.floor(next() * 5)]!;
      const width = 1 + Math.floor(next() * 4) + parity;
      return {
        size: Math.floor(next() * 1e9),
        parity,
        completed: next() < 0.9,
        chunks: Array.from({ length: width }, () => {
          const r = next();
          // Mostly healthy; some chunks missing (no node), healing, or on a down or dead node.
          if (r < 0.06) return { node: null, state: 'missing' as const };
          if (r < 0.1) return { node: Math.floor(next() * 6), state: 'healing' as const };
          return { node: Math.floor(next() * 6), state: 'ok' as const };
        }),
      };
    });
    await load(files, nodeIds);
    const expected = model(files);
    expect(expected.unreadable + expected.degraded.length, 'the seed makes some files degraded or unreadable').toBeGreaterThan(0);
    const report = await store.redundancy();
    expect({
      files: report.files,
      fully_redundant: report.fully_redundant,
      degraded: report.degraded,
      unreadable: report.unreadable,
      bytes_at_risk: report.bytes_at_risk,
    }).toEqual(expected);
    const alerts = await store.alertFigures();
    expect(alerts.unreadable).toBe(expected.unreadable);
    expect(alerts.heal_queue).toEqual(report.heal_queue);
  });

  test('a healthy cluster: the lost chunks are found through indexes, not by reading every chunk', async () => {
    await db.pool.query('DELETE FROM files');
    await db.pool.query(`UPDATE storage_nodes SET status = 'healthy'`);
    const node = (await db.pool.query<{ id: number }>('SELECT min(id) AS id FROM storage_nodes')).rows[0]!.id;
    // 20,000 files of six chunks, all ok: the tables are big enough for the planner to prefer indexes.
    await db.pool.query(
      `WITH f AS (
         INSERT INTO files (id, filename, content_type, size, status, stripe_unit, stripe_width, parity_width, completed_at, checksum)
         SELECT gen_random_uuid(), 'f' || i, 'a/b', 1, 'completed', 1048576, 4, 2, now(), repeat('0', 64) FROM generate_series(1, 20000) i
         RETURNING id)
       INSERT INTO chunks (file_id, chunk_number, chunk_id, node_id, size, state)
       SELECT f.id, n, f.id || '.' || n, $1 + n % 6, 1, 'ok' FROM f, generate_series(0, 5) n`,
      [node],
    );
    await db.pool.query('ANALYZE files');
    await db.pool.query('ANALYZE chunks');
    const report = await store.redundancy();
    expect(report).toMatchObject({ files: 20000, fully_redundant: 20000, degraded: [], unreadable: 0, bytes_at_risk: 0 });
    // What the report's query reads: the row counts of EXPLAIN ANALYZE for every scan of chunks and files.
    const plan = await db.pool.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${LOSS_GROUPS}`);
    const text = JSON.stringify(plan.rows[0]!['QUERY PLAN']);
    expect(text, 'chunks not ok are found by chunks_not_ok_idx').toContain('chunks_not_ok_idx');
    const rowsRead = [...text.matchAll(/"Relation Name":"(chunks|files)"[^}]*?"Actual Rows":(\d+)[^}]*?"Actual Loops":(\d+)/g)].map(
      (m) => `${m[1]} ${Number(m[2]) * Number(m[3])}`,
    );
    expect(rowsRead.length, text).toBeGreaterThan(0);
    expect(rowsRead.every((r) => Number(r.split(' ')[1]) < 1000), `rows read: ${rowsRead.join(', ')} (of 120,000 chunks, 20,000 files)`).toBe(true);
  });
});
