// The SQL of S3 object listings: a walk of files_object_key_idx ((bucket_id, object_key) of the
// completed objects, object_key COLLATE "C" so UTF-8 byte order) from a position, as a range scan,
// never a sort, so a page deep in ten million keys costs what the first page costs.
import type pg from 'pg';
import { compareKeys, prefixSuccessor } from '../s3/key-order.js';
import type { KeyRange, ObjectEntry, RolledUpKey } from '../s3/list-objects.js';

interface Bound {
  key: string;
  inclusive: boolean;
}

// PostgreSQL text holds no NUL, so no key does: a bound or prefix with one is reduced to the
// equivalent without it. Keys > "a\0b" are the keys > "a"; keys >= "a\0b" too.
function lowerBound(range: KeyRange): Bound | null {
  const bounds: Bound[] = [{ key: range.prefix, inclusive: true }];
  if (range.after !== null) bounds.push({ key: range.after, inclusive: false });
  if (range.from !== null) bounds.push({ key: range.from, inclusive: true });
  let best: Bound | null = null;
  for (const b of bounds) {
    const nul = b.key.indexOf('\0');
    const bound = nul < 0 ? b : { key: b.key.slice(0, nul), inclusive: false };
    const order = best === null ? 1 : compareKeys(bound.key, best.key);
    if (order > 0 || (order === 0 && !bound.inclusive)) best = bound;
  }
  return best!.key === '' && best!.inclusive ? null : best;
}

// The time as epoch milliseconds (what a Date holds): parsing PostgreSQL's timestamp text took
// about half a millisecond of a 1,000-key page.
const SELECTED = `f.object_key, f.size, COALESCE(f.etag, f.checksum) AS etag,
  floor(extract(epoch FROM f.completed_at) * 1000)::float8 AS completed_ms`;
// The predicate of files_object_key_idx, written as in the index so the planner can use it.
const LISTED = `f.bucket_id = $1 AND f.status = 'completed' AND f.object_key IS NOT NULL`;

interface Row {
  object_key: string;
  size: string | number | null; // null: a key of the skip walk that rolls up into a common prefix
  etag: string;
  completed_ms: number;
}

/**
 * The keys of a bucket that `range` asks for (see KeyRange). Without a delimiter: one range scan
 * of the index. With one: a walk that goes, in the database, from the first key under each common
 * prefix to the first key past that prefix (one index probe per row returned), so a page of
 * prefixes over millions of keys is one query; its keys that roll up come without their rows.
 */
export async function keysAfter(pool: pg.Pool | pg.PoolClient, bucketId: number, range: KeyRange): Promise<(ObjectEntry | RolledUpKey)[]> {
  if (range.limit <= 0 || range.prefix.includes('\0')) return [];
  const params: unknown[] = [bucketId];
  const where = [LISTED];
  const lower = lowerBound(range);
  if (lower !== null) {
    params.push(lower.key);
    where.push(`f.object_key ${lower.inclusive ? '>=' : '>'} $${params.length}::text COLLATE "C"`);
  }
  const upper = prefixSuccessor(range.prefix);
  if (upper !== null) {
    params.push(upper);
    where.push(`f.object_key < $${params.length}::text COLLATE "C"`);
  }
  const skipTo = range.delimiter && !range.delimiter.includes('\0') ? prefixSuccessor(range.delimiter) : null;
  let sql: string;
  if (skipTo === null) {
    params.push(range.limit);
    sql = `SELECT ${SELECTED} FROM files f WHERE ${where.join(' AND ')} ORDER BY f.object_key LIMIT $${params.length}`;
  } else {
    sql = skipScan(params, where, range.prefix, range.delimiter!, skipTo, range.limit, upper !== null);
  }
  const result = await pool.query<Row>(sql, params);
  return result.rows.map((r) =>
    r.size === null
      ? { key: r.object_key, rolledUp: true }
      : { key: r.object_key, size: Number(r.size), etag: r.etag, lastModified: new Date(r.completed_ms) },
  );
}

// A recursive walk: each step takes the first key after the previous one, or, when the previous
// key rolls up into a common prefix P (prefix + text + delimiter), the first key >= the successor
// of P, which is P less its delimiter followed by the successor of the delimiter. Each step has
// one lower bound, so the index scan starts at it: "> k" is written ">= k || U+0001" (the next
// string after k, as no text holds NUL); with both "> k" and ">= jump" the scan started at k and
// stepped over every key under P. The walk reads keys only (an index-only probe, no table row);
// the rows of the keys that do not roll up are read once the walk is done (LIMIT 1 keeps that
// subquery apart, so the roll-up test gates the probe instead of filtering its result): a page of
// 1,000 common prefixes took 7.2 ms in PostgreSQL, against 9.3 with a row read per step.
function skipScan(params: unknown[], where: string[], prefix: string, delimiter: string, skipTo: string, limit: number, bounded: boolean): string {
  const upperParam = bounded ? `$${params.length}` : null;
  params.push([...prefix].length, delimiter, skipTo, limit);
  const n = params.length;
  const [plen, delim, succ, lim] = [`$${n - 3}::int`, `$${n - 2}::text`, `$${n - 1}::text`, `$${n}::int`];
  const rest = `strpos(substr(w.object_key, ${plen} + 1), ${delim})`;
  const next = `(CASE WHEN ${rest} > 0 THEN left(w.object_key, ${plen} + ${rest} - 1) || ${succ}
                      ELSE w.object_key || chr(1) END) COLLATE "C"`;
  const upper = upperParam ? ` AND f.object_key < ${upperParam}::text COLLATE "C"` : '';
  return `WITH RECURSIVE walk AS (
      (SELECT f.object_key, 1 AS n FROM files f WHERE ${where.join(' AND ')} ORDER BY f.object_key LIMIT 1)
      UNION ALL
      SELECT nx.object_key, w.n + 1
      FROM walk w CROSS JOIN LATERAL (
        SELECT f.object_key FROM files f
        WHERE ${LISTED} AND f.object_key >= ${next}${upper}
        ORDER BY f.object_key LIMIT 1) nx
      WHERE w.n < ${lim})
    SELECT w.object_key, d.size, d.etag, d.completed_ms
    FROM walk w LEFT JOIN LATERAL (
      SELECT ${SELECTED} FROM files f
      WHERE ${rest} = 0 AND ${LISTED} AND f.object_key = w.object_key COLLATE "C" LIMIT 1) d ON true
    ORDER BY w.n`;
}
