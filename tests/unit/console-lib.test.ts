// The web console's pure parts (gateway/console/lib): how numbers read, the rate and time left of an
// upload, the reason of a failure, page addresses, the chart's geometry, what a user may do, chunk
// states, the S3 and admin answers it reads.
import { describe, expect, test } from 'vitest';
import { abilitiesOf } from '../../gateway/console/lib/abilities.js';
import { scaleTop, throughputChart, type HistoryPoint } from '../../gateway/console/lib/chart.js';
import { nodeHealth, nodeRows, type StatusNode } from '../../gateway/console/lib/cluster.js';
import { chunkCondition, downloadName, type MappedChunk } from '../../gateway/console/lib/entries.js';
import { describeFailure, failureOf, networkFailure, xmlText } from '../../gateway/console/lib/failure.js';
import { formatBytes, formatCount, formatDuration, formatPercent, formatRate, formatTime } from '../../gateway/console/lib/format.js';
import { parseRoute, routeHref, type Route } from '../../gateway/console/lib/route.js';
import { parseListBuckets } from '../../gateway/console/lib/s3-listing.js';
import { TransferMeter } from '../../gateway/console/lib/transfer-meter.js';

const MiB = 1024 * 1024;

describe('formats', () => {
  test('sizes in binary units with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(50 * MiB)).toBe('50.0 MiB');
    expect(formatBytes(10 * 1024 ** 3)).toBe('10.0 GiB');
    expect(formatBytes(250 * 1024 ** 3)).toBe('250 GiB');
    expect(formatBytes(null)).toBe('–');
    expect(formatRate(8.5 * MiB)).toBe('8.50 MiB/s');
    expect(formatRate(null)).toBe('–');
  });

  test('durations, percentages, counts, times', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(59.4)).toBe('59 s');
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(7800)).toBe('2 h 10 min');
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(Infinity)).toBe('–');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.005)).toBe('0.5%');
    expect(formatPercent(0.999)).toBe('99%'); // never 100% before it is
    expect(formatPercent(1)).toBe('100%');
    expect(formatCount(1234567)).toBe('1\u2009234\u2009567');
    expect(formatTime(new Date(2026, 0, 2, 3, 4, 5))).toBe('2026-01-02 03:04:05');
    expect(formatTime('not a date')).toBe('–');
  });
});

describe('the transfer meter', () => {
  test('rate over the last seconds, time left, fraction', () => {
    const m = new TransferMeter(100 * MiB, 4_000);
    expect(m.rate).toBeNull();
    expect(m.secondsLeft).toBeNull();
    m.record(0, 0);
    m.record(10 * MiB, 1_000);
    expect(m.rate).toBe(10 * MiB);
    expect(m.secondsLeft).toBe(9);
    expect(m.fraction).toBeCloseTo(0.1);
    // It slows down: after the window, only the recent samples count.
    for (let t = 2_000; t <= 10_000; t += 1_000) m.record(10 * MiB + ((t - 1_000) / 1_000) * MiB, t);
    expect(m.rate).toBeCloseTo(MiB, -3);
    m.record(100 * MiB, 11_000);
    expect(m.secondsLeft).toBe(0);
    expect(m.fraction).toBe(1);
  });

  test('ignores samples out of order, and a stall has no time left', () => {
    const m = new TransferMeter(1000);
    m.record(500, 1_000);
    m.record(400, 1_100); // smaller: ignored
    m.record(600, 900); // earlier: ignored
    expect(m.loaded).toBe(500);
    m.record(500, 2_000);
    expect(m.rate).toBe(0);
    expect(m.secondsLeft).toBeNull();
    expect(new TransferMeter(0).fraction).toBe(1);
  });
});

describe('failures', () => {
  test('read from S3 XML, the REST API JSON, or the status alone', () => {
    const xml = '<?xml version="1.0"?><Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed object size.</Message></Error>';
    expect(failureOf(400, xml)).toEqual({ status: 400, code: 'EntityTooLarge', message: 'Your proposed upload exceeds the maximum allowed object size.' });
    expect(failureOf(503, '{"error":"5 healthy storage nodes are needed","code":"StorageUnavailable"}')).toEqual({
      status: 503,
      code: 'StorageUnavailable',
      message: '5 healthy storage nodes are needed',
    });
    expect(failureOf(502, '<html>bad gateway</html>', 'Bad Gateway')).toEqual({ status: 502, code: 'HTTP502', message: 'the gateway answered 502 Bad Gateway' });
    expect(failureOf(500, '{not json')).toMatchObject({ code: 'HTTP500' });
    expect(xmlText('<a><Message>x &lt;y&gt; &amp;amp; &#233;</Message></a>', 'Message')).toBe('x <y> &amp; é');
  });

  test('described by kind first, in the server words', () => {
    expect(describeFailure({ status: 400, code: 'EntityTooLarge', message: 'too big.' }, 100)).toBe('Too large: too big (this gateway takes files up to 100 bytes).');
    expect(describeFailure({ status: 503, code: 'ServiceUnavailable', message: '4 are healthy' })).toMatch(/^The cluster is degraded: 4 are healthy\. Try again/);
    expect(describeFailure({ status: 403, code: 'AccessDenied', message: 'Access Denied' })).toMatch(/^Not allowed: Access Denied\. This key has no grant/);
    expect(describeFailure({ status: 401, code: 'Unauthenticated', message: 'the access key is unknown or revoked' })).toMatch(/^Not signed in properly/);
    expect(describeFailure({ status: 409, code: 'BucketNotEmpty', message: 'x' })).toBe('The bucket is not empty: delete its files first.');
    expect(describeFailure({ status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' })).toBe('The gateway is busy: Please reduce your request rate. Try again in a moment.');
    expect(describeFailure(networkFailure())).toMatch(/^Connection failed: no answer from the gateway/);
    expect(describeFailure({ status: 400, code: 'InvalidRequest', message: 'name must be a string' })).toBe('Name must be a string (InvalidRequest).');
    expect(describeFailure({ status: 500, code: 'InternalError', message: 'boom' })).toBe('The gateway failed (InternalError): boom.');
  });
});

describe('page addresses', () => {
  test('round-trip, with odd bucket names, prefixes and ids', () => {
    const routes: Route[] = [
      { page: 'buckets' },
      { page: 'cluster' },
      { page: 'access' },
      { page: 'signin' },
      { page: 'bucket', bucket: '.files', prefix: '', sort: 'date' },
      { page: 'bucket', bucket: 'team-photos', prefix: 'a b/ü?&#', sort: 'name' },
      { page: 'entry', bucket: 'team-photos', id: '0b6e4f2c-7d7e-4c55-9e3a-3f0c2a9d4b11' },
    ];
    for (const r of routes) expect(parseRoute(routeHref(r))).toEqual(r);
  });

  test('anything else is the bucket list', () => {
    for (const h of ['', '#', '#/', '#/nope', '#/b', '#/b/x/f', '#/%E0%A4%A']) expect(parseRoute(h).page, h).toMatch(/buckets|bucket/);
    expect(parseRoute('#/nope')).toEqual({ page: 'buckets' });
    expect(parseRoute('#/b/x?sort=weird')).toEqual({ page: 'bucket', bucket: 'x', prefix: '', sort: 'date' });
  });
});

describe('the throughput chart', () => {
  test('its top of scale is 1, 2 or 5 times a power of ten in a binary unit', () => {
    expect(scaleTop(0)).toBe(MiB);
    expect(scaleTop(700)).toBe(1000);
    expect(scaleTop(37 * MiB)).toBe(50 * MiB);
    expect(scaleTop(120 * MiB)).toBe(200 * MiB);
    expect(scaleTop(1.2 * 1024 ** 3)).toBe(2 * 1024 ** 3);
    expect(scaleTop(MiB)).toBe(MiB);
  });

  test('draws the last points across the width, rates from the bottom', () => {
    const points: HistoryPoint[] = Array.from({ length: 120 }, (_, i) => ({
      t: new Date(Date.UTC(2026, 0, 1) + i * 10_000).toISOString(),
      upload_bytes_per_second: i === 119 ? 10 * MiB : 0,
      download_bytes_per_second: i === 118 ? 20 * MiB : 0,
    }));
    const g = throughputChart(points, 600, 120, 89 * 10_000); // the last 90 points
    expect(g.empty).toBe(false);
    expect(g.max).toBe(20 * MiB);
    expect(g.from).toBe(points[30]!.t);
    expect(g.to).toBe(points[119]!.t);
    expect(g.upload.split(' L').length).toBe(90);
    expect(g.upload.startsWith('M0.0 120.0')).toBe(true);
    expect(g.upload.endsWith('L600.0 60.0')).toBe(true); // 10 of 20 MiB/s: half way up
    expect(g.download).toContain('0.0'); // 20 MiB/s at the top
    expect(g.latest).toEqual({ upload: 10 * MiB, download: 0 });
    expect(throughputChart([], 600, 120)).toMatchObject({ empty: true, latest: null });
    // Missing or negative values draw as 0.
    const odd = throughputChart([{ t: 'x', upload_bytes_per_second: -1, download_bytes_per_second: NaN }], 100, 10);
    expect(odd.upload).toBe('M100.0 10.0');
    // Placed by time: a gap stays a gap.
    const gap = throughputChart(
      [0, 10, 20, 100].map((s) => ({ t: new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString(), upload_bytes_per_second: 1, download_bytes_per_second: 0 })),
      100,
      10,
    );
    expect(gap.upload.split(' L').map((p) => p.replace('M', '').split(' ')[0])).toEqual(['0.0', '10.0', '20.0', '100.0']);
  });
});

describe('abilities', () => {
  test('the root key may do everything; another key what its grants say', () => {
    const root = abilitiesOf({ caller: 'access-key', admin: true, is_root: true, grants: [] }, 'ROOT');
    expect([root.admin, root.createBuckets, root.read('x'), root.write('x'), root.read('.files')]).toEqual([true, true, true, true, true]);
    const reader = abilitiesOf({ caller: 'access-key', admin: false, is_root: false, grants: [{ bucket: 'photos', read: true, write: false }] }, 'KEY');
    expect([reader.admin, reader.createBuckets, reader.read('photos'), reader.write('photos'), reader.read('other'), reader.read('.files')]).toEqual([
      false,
      false,
      true,
      false,
      false,
      false,
    ]);
  });

  test('AUTH=off: the REST parts for everyone; S3 buckets only with a key', () => {
    const anonymous = abilitiesOf({ caller: 'trusted', admin: true }, null);
    expect([anonymous.admin, anonymous.s3, anonymous.createBuckets, anonymous.read('.files'), anonymous.write('.files'), anonymous.read('photos')]).toEqual([
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
    const keyed = abilitiesOf({ caller: 'trusted', admin: true }, 'KEY');
    expect([keyed.s3, keyed.createBuckets, keyed.write('photos')]).toEqual([true, true, true]);
  });
});

describe('files and chunks', () => {
  test('a download is saved under the last segment of its name', () => {
    expect(downloadName('photos/2026/beach.jpg')).toBe('beach.jpg');
    expect(downloadName('report.pdf')).toBe('report.pdf');
    expect(downloadName('dir/')).toBe('dir');
    expect(downloadName('a\u0000b')).toBe('a_b');
  });

  test("a chunk's state says whether its node can serve it now", () => {
    const chunk = (over: Partial<MappedChunk>): MappedChunk => ({
      chunk_number: 0,
      chunk_id: 'c',
      size: 1,
      server_id: 1,
      server_address: 'h:1',
      role: 'data',
      state: 'ok',
      node_status: 'healthy',
      node_draining: false,
      ...over,
    });
    expect(chunkCondition(chunk({}))).toEqual({ label: 'ok', tone: 'ok' });
    expect(chunkCondition(chunk({ state: 'missing' }))).toEqual({ label: 'missing', tone: 'bad' });
    expect(chunkCondition(chunk({ state: 'healing' }))).toEqual({ label: 'healing', tone: 'warn' });
    expect(chunkCondition(chunk({ node_status: 'down' }))).toEqual({ label: 'ok, node down', tone: 'bad' });
    expect(chunkCondition(chunk({ node_draining: true }))).toEqual({ label: 'ok, node draining', tone: 'warn' });
  });
});

describe('answers the console reads', () => {
  test('ListBuckets', () => {
    const xml =
      '<ListAllMyBucketsResult><Owner><ID>x</ID></Owner><Buckets><Bucket><Name>a</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>' +
      '<Bucket><Name>b.c</Name><CreationDate>2026-01-02T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>';
    expect(parseListBuckets(xml)).toEqual([
      { name: 'a', created: '2026-01-01T00:00:00.000Z' },
      { name: 'b.c', created: '2026-01-02T00:00:00.000Z' },
    ]);
    expect(parseListBuckets('<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>')).toEqual([]);
  });

  test("a node's row joins its status and its space; its health in words", () => {
    const status: StatusNode = { id: 1, address: 'h:1', name: null, status: 'healthy', breaker: 'closed', draining: false, disk_fill: 0.5, chunks: null, chunk_bytes: null, last_seen_at: null, error: null };
    const [row] = nodeRows([status], [{ id: 1, total_space: 100, available_space: 30, used_space: 5, chunks: 0, chunk_bytes: 0 }]);
    expect(row).toMatchObject({ used: 70, total: 100, chunks: 0, chunk_bytes: 0 });
    expect(nodeRows([status], [])[0]).toMatchObject({ used: null, total: null, chunks: null });
    expect(nodeHealth(status)).toEqual({ label: 'healthy', tone: 'ok' });
    expect(nodeHealth({ ...status, draining: true })).toEqual({ label: 'healthy, draining', tone: 'warn' });
    expect(nodeHealth({ ...status, status: 'down' })).toEqual({ label: 'down', tone: 'bad' });
    expect(nodeHealth({ ...status, status: 'low_space' })).toEqual({ label: 'low on space', tone: 'warn' });
  });
});
