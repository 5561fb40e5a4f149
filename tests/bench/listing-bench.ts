// Latency of S3 object listings (ListObjectsV2: SQL walk, paging logic and XML) over a bucket of
// LISTING_BENCH_KEYS keys (1,000,000 by default: 1,000 folders of 1,000 keys), on a scratch
// database created on DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres)
// and dropped at the end. Prints p50/p99; asserts nothing.
//   node dist/tests/bench/listing-bench.js
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import pg from 'pg';
import { keysAfter } from '../../gateway/metadata/object-listing-store.js';
import { migrate } from '../../gateway/metadata/migrate.js';
import { listObjects, type KeySource } from '../../gateway/s3/list-objects.js';
import { parseListObjectsRequest } from '../../gateway/s3/list-objects-request.js';
import { renderListBucketResult } from '../../gateway/s3/list-objects-xml.js';
import { formatTable, median, percentile } from './bench-support.js';

const KEYS = Number(process.env.LISTING_BENCH_KEYS ?? 1_000_000);
const SAMPLES = Number(process.env.LISTING_BENCH_SAMPLES ?? 200);
const FOLDER = 1000; // keys per folder
const pad = (n: number) => String(n).padStart(4, '0');
const keyAt = (i: number) => `dir${pad(Math.floor(i / FOLDER))}/file${pad(i % FOLDER)}`;

async function main(): Promise<void> {
  const admin = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `objstore_listing_bench_${randomBytes(4).toString('hex')}`;
  const adminClient = new pg.Client({ connectionString: admin });
  await adminClient.connect();
  await adminClient.query(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  try {
    await migrate(pool);
    const bucket = (await pool.query<{ id: number }>(`INSERT INTO buckets (name) VALUES ('bench') RETURNING id`)).rows[0]!.id;
    let t = Date.now();
    await pool.query(
      `INSERT INTO files (id, filename, content_type, size, status, stripe_unit, stripe_width, completed_at, etag, bucket_id, object_key)
       SELECT gen_random_uuid(), 'f', 'application/octet-stream', i % 100000, 'completed', 1048576, 4, now(), md5(i::text), $1,
              'dir' || lpad((i / ${FOLDER})::text, 4, '0') || '/file' || lpad((i % ${FOLDER})::text, 4, '0')
       FROM generate_series(0, $2::int - 1) i`,
      [bucket, KEYS],
    );
    await pool.query('VACUUM ANALYZE files');
    console.log(`${KEYS} keys inserted and analysed in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    let queries = 0;
    const source: KeySource = (range) => {
      queries++;
      return keysAfter(pool, bucket, range);
    };
    const owner = { id: 'bench', displayName: 'bench' };
    const last = KEYS - 1;
    const lastFolder = `dir${pad(Math.floor(last / FOLDER))}/`;
    const deep = keyAt(last - 1500); // a full page of 1,000 keys and more after it
    const cases: [string, Record<string, string>][] = [
      ['first page', {}],
      [`deep page: start-after ${deep}`, { 'start-after': deep }],
      ['deep page: continuation token', {}], // filled in below
      ['delimiter /: first page', { delimiter: '/' }],
      [`delimiter /: start-after ${keyAt(Math.floor(KEYS / 2))}`, { delimiter: '/', 'start-after': keyAt(Math.floor(KEYS / 2)) }],
      [`delimiter /: start-after ${deep}`, { delimiter: '/', 'start-after': deep }],
      [`delimiter /, prefix ${lastFolder}: first page`, { delimiter: '/', prefix: lastFolder }],
      [`delimiter /, prefix ${lastFolder}: start-after ${keyAt(last - 500)}`, { delimiter: '/', prefix: lastFolder, 'start-after': keyAt(last - 500) }],
    ];
    // A continuation token from a real page: the page after the one that starts 2,500 keys from the end.
    const before = await listObjects(source, parseListObjectsRequest(2, { 'start-after': keyAt(last - 2500) }));
    cases[2]![1] = { 'continuation-token': before.nextContinuationToken! };

    const rows: string[][] = [];
    for (const [label, query] of cases) {
      const request = parseListObjectsRequest(2, { ...query, 'encoding-type': 'url' });
      const times: number[] = [];
      let entries = 0;
      let perPage = 0;
      for (let i = 0; i < SAMPLES + 10; i++) {
        queries = 0;
        t = performance.now();
        const result = await listObjects(source, request);
        const xml = renderListBucketResult('bench', result, owner);
        const ms = performance.now() - t;
        if (i >= 10) times.push(ms); // the first runs warm the cache
        entries = result.keyCount;
        perPage = queries;
        if (xml.length === 0) throw new Error('no XML');
      }
      rows.push([label, String(entries), String(perPage), `${median(times).toFixed(1)} / ${percentile(times, 99).toFixed(1)} ms`]);
    }
    const load = loadavg().map((l) => l.toFixed(1)).join(' ');
    console.log(`\nListObjectsV2 with ${KEYS} keys (max-keys 1000, encoding-type=url, SQL + paging + XML, ${SAMPLES} samples each; load average ${load})`);
    console.log(formatTable(['listing', 'keys + prefixes', 'queries', 'p50 / p99'], rows));
  } finally {
    await pool.end();
    await adminClient.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await adminClient.end();
  }
}

await main();
