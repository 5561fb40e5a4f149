// The s3-listing part of `npm run bench`: latency of ListObjectsV2 over a bucket of
// LISTING_BENCH_KEYS keys (1,000,000 by default: 1,000 folders of 1,000 keys), first pages and deep
// pages, with and without a delimiter, each LISTING_BENCH_SAMPLES (200) times in two ways: through
// the gateway's S3 endpoint (signed GETs over HTTP, what a client waits for) and in this process
// (the same SQL walk, paging and XML on the cluster's database, without HTTP, authentication or the
// bucket lookup), so the gap between the two is the cost of the request around the listing.
// It fills the cluster's database with a million objects that have no data: run it last on a cluster.
import { loadavg } from 'node:os';
import pg from 'pg';
import { keysAfter } from '../../gateway/metadata/object-listing-store.js';
import { listObjects, type KeySource } from '../../gateway/s3/list-objects.js';
import { parseListObjectsRequest } from '../../gateway/s3/list-objects-request.js';
import { renderListBucketResult } from '../../gateway/s3/list-objects-xml.js';
import { listingLatencyVerdict, MAX_LISTING_P99_MS, type Verdict } from './bench-aims.js';
import { BENCH_S3_ROOT, type BenchCluster } from './bench-cluster.js';
import type { PartResult } from './bench-report.js';
import { median, percentile } from './bench-support.js';
import { listingSummary } from './listing-answer.js';
import { benchS3Client, createBucket, SignedGetter } from './s3-requests.js';

const KEYS = Number(process.env.LISTING_BENCH_KEYS ?? 1_000_000);
const SAMPLES = Number(process.env.LISTING_BENCH_SAMPLES ?? 200);
const WARM_UP = 10; // requests per case before the timed ones: the first ones warm the caches
const FOLDER = 1000; // keys per folder
const BUCKET = 'bench-listing';
const pad = (n: number): string => String(n).padStart(4, '0');
const keyAt = (i: number): string => `dir${pad(Math.floor(i / FOLDER))}/file${pad(i % FOLDER)}`;

/**
 * A data-loading shortcut: the bucket is created through S3, but its million objects are rows
 * inserted with generate_series straight into the gateway's database, as a completed PutObject
 * leaves them except that they have no chunks (a million PUTs would take most of an hour). The
 * listing reads only these rows and the index over them.
 */
async function fillBucket(db: pg.Pool, bucketId: number): Promise<void> {
  await db.query(
    `INSERT INTO files (id, filename, content_type, size, status, stripe_unit, stripe_width, completed_at, etag, md5, bucket_id, object_key)
     SELECT gen_random_uuid(), 'f', 'application/octet-stream', i % 100000, 'completed', 1048576, 4, now(), md5(i::text), md5(i::text), $1,
            'dir' || lpad((i / ${FOLDER})::text, 4, '0') || '/file' || lpad((i % ${FOLDER})::text, 4, '0')
     FROM generate_series(0, $2::int - 1) i`,
    [bucketId, KEYS],
  );
  await db.query('VACUUM ANALYZE files'); // what autovacuum does soon after a bulk insert
}

const p50p99 = (times: number[]): string => `${median(times).toFixed(1)} / ${percentile(times, 99).toFixed(1)} ms`;

export async function measureS3Listing(bc: BenchCluster): Promise<PartResult> {
  const target = { url: bc.s3Url, ...BENCH_S3_ROOT };
  const client = benchS3Client(target);
  await createBucket(client, BUCKET);
  client.destroy();
  const db = new pg.Pool({ connectionString: bc.databaseUrl, max: 2 });
  const http = new SignedGetter(target);
  try {
    const bucketId = (await db.query<{ id: number }>('SELECT id FROM buckets WHERE name = $1', [BUCKET])).rows[0]!.id;
    const loadStarted = Date.now();
    await fillBucket(db, bucketId);
    console.log(`s3-listing: ${KEYS} keys inserted and analysed in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s`);

    let queries = 0;
    const source: KeySource = (range) => {
      queries++;
      return keysAfter(db, bucketId, range);
    };
    const owner = { id: 'bench', displayName: 'bench' };
    const last = KEYS - 1;
    const lastFolder = `dir${pad(Math.floor(last / FOLDER))}/`;
    const deep = keyAt(last - 1500); // a full page of 1,000 keys and more after it
    const middle = keyAt(Math.floor(KEYS / 2));
    // A continuation token from a real page: the page after the one that starts 2,500 keys from the end.
    const before = await http.get(`/${BUCKET}`, { 'list-type': '2', 'start-after': keyAt(last - 2500) });
    const token = before.status === 200 ? listingSummary(before.head).nextContinuationToken : null;
    if (!token) throw new Error(`s3-listing: no continuation token (${before.status}): ${before.head.slice(0, 300)}`);
    const cases: [string, Record<string, string>][] = [
      ['first page', {}],
      [`deep page: start-after ${deep}`, { 'start-after': deep }],
      ['deep page: continuation token', { 'continuation-token': token }],
      ['delimiter /: first page', { delimiter: '/' }],
      [`delimiter /: start-after ${middle}`, { delimiter: '/', 'start-after': middle }],
      [`delimiter /: start-after ${deep}`, { delimiter: '/', 'start-after': deep }],
      [`delimiter /, prefix ${lastFolder}: first page`, { delimiter: '/', prefix: lastFolder }],
      [
        `delimiter /, prefix ${lastFolder}: start-after ${keyAt(last - 500)}`,
        { delimiter: '/', prefix: lastFolder, 'start-after': keyAt(last - 500) },
      ],
    ];
    console.log(`s3-listing: ${cases.length} listings, ${SAMPLES} requests each over HTTP and in process, one at a time`);

    const rows: string[][] = [];
    const verdicts: Verdict[] = [];
    for (const [label, params] of cases) {
      const query = { 'list-type': '2', ...params, 'encoding-type': 'url' };
      const request = parseListObjectsRequest(2, query);
      const inProcess: number[] = [];
      let entries = 0;
      let perPage = 0;
      for (let i = 0; i < SAMPLES + WARM_UP; i++) {
        queries = 0;
        const t = performance.now();
        const result = await listObjects(source, request);
        const xml = renderListBucketResult(BUCKET, result, owner);
        const ms = performance.now() - t;
        if (i >= WARM_UP) inProcess.push(ms);
        entries = result.keyCount;
        perPage = queries;
        if (xml.length === 0) throw new Error('no XML');
      }
      const overHttp: number[] = [];
      for (let i = 0; i < SAMPLES + WARM_UP; i++) {
        const answer = await http.get(`/${BUCKET}`, query);
        if (answer.status !== 200) throw new Error(`s3-listing: ${label}: ${answer.status} ${answer.head.slice(0, 300)}`);
        const got = listingSummary(answer.head).keyCount;
        if (got !== entries) {
          throw new Error(`s3-listing: ${label}: the gateway listed ${got} entries, the same listing in process ${entries}`);
        }
        if (i >= WARM_UP) overHttp.push(answer.ms);
      }
      rows.push([label, String(entries), String(perPage), p50p99(overHttp), p50p99(inProcess)]);
      verdicts.push(listingLatencyVerdict(label, percentile(overHttp, 99)));
    }
    const load = loadavg().map((l) => l.toFixed(1)).join(' ');
    return {
      sections: [
        {
          title:
            `ListObjectsV2 with ${KEYS} keys in ${KEYS / FOLDER} folders (${bc.label}; max-keys 1000, encoding-type=url; ` +
            `${SAMPLES} requests each, one at a time; aim p99 < ${MAX_LISTING_P99_MS} ms over S3; load average ${load})`,
          header: ['listing', 'keys + prefixes', 'SQL queries', 'S3 over HTTP p50 / p99', 'in process p50 / p99'],
          rows,
        },
      ],
      verdicts,
    };
  } finally {
    http.close();
    await db.end();
  }
}
