// The pure parts of the S3 benchmark: its verdicts, the aims section that gathers verdicts of
// several issues, and the reading of ListObjectsV2 answers (on XML rendered by the gateway's own
// renderer, so a change of the document shows here).
import { describe, expect, test } from 'vitest';
import { listObjects } from '../../gateway/s3/list-objects.js';
import { decodeContinuationToken, parseListObjectsRequest } from '../../gateway/s3/list-objects-request.js';
import { renderListBucketResult } from '../../gateway/s3/list-objects-xml.js';
import { cpuVerdict, listingLatencyVerdict, s3rverVerdict } from '../../tests/bench/bench-aims.js';
import { aimsSection } from '../../tests/bench/bench-report.js';
import { listingSummary } from '../../tests/bench/listing-answer.js';
import { memorySource } from '../helpers/listing-model.js';

describe('S3 verdicts', () => {
  test('S3 against s3rver: met at equal speed or faster, missed below', () => {
    expect(s3rverVerdict('upload', 300, 300).ok).toBe(true);
    expect(s3rverVerdict('download', 301, 300).ok).toBe(true);
    const missed = s3rverVerdict('upload', 150, 300);
    expect(missed.ok).toBe(false);
    expect(missed.aim).toBe('S3 PUT: at least as fast as s3rver');
    expect(missed.measured).toBe('150 vs 300 MB/s: 0.50 ×');
    expect(s3rverVerdict('download', 1, 2).aim).toContain('GET');
  });

  test('listing p99: under 20 ms is met, 20 ms is not', () => {
    expect(listingLatencyVerdict('first page', 19.94).ok).toBe(true);
    const at = listingLatencyVerdict('first page', 20);
    expect(at.ok).toBe(false);
    expect(at.measured).toBe('20.0 ms');
    expect(at.aim).toBe('ListObjectsV2 p99 under 20 ms: first page');
  });
});

describe('aims section', () => {
  test('names every issue measured and counts the verdicts met', () => {
    const verdicts = [cpuVerdict('upload', 5), s3rverVerdict('upload', 1, 2), listingLatencyVerdict('x', 3)];
    const section = aimsSection(['erasure-coding', 'self-repair', 'S3'], verdicts);
    expect(section.title).toBe('Aims of the erasure-coding, self-repair and S3 issues (2 of 3 met)');
    expect(section.rows.map((r) => r[2])).toEqual(['ok', 'MISSED', 'ok']);
    expect(aimsSection(['S3'], verdicts.slice(1)).title).toBe('Aims of the S3 issue (1 of 2 met)');
    expect(aimsSection(['a', 'b'], []).title).toBe('Aims of the a and b issues (0 of 0 met)');
  });
});

describe('listingSummary', () => {
  const keys = Array.from({ length: 2500 }, (_, i) => `dir${String(Math.floor(i / 100)).padStart(2, '0')}/f&<${i}>`);
  const owner = { id: 'o', displayName: 'o' };

  test('reads KeyCount and the token of a truncated page, and no token on the last page', async () => {
    const { source } = memorySource(keys, true);
    const first = await listObjects(source, parseListObjectsRequest(2, { 'encoding-type': 'url' }));
    const read = listingSummary(renderListBucketResult('b', first, owner).toString());
    expect(read).toEqual({ keyCount: 1000, nextContinuationToken: first.nextContinuationToken });
    expect(decodeContinuationToken(read.nextContinuationToken!)).toBe(first.contents.at(-1)!.key);

    const delimited = await listObjects(source, parseListObjectsRequest(2, { delimiter: '/' }));
    expect(listingSummary(renderListBucketResult('b', delimited, owner).toString())).toEqual({ keyCount: 25, nextContinuationToken: null });
  });

  test('refuses what is not a ListObjectsV2 answer', async () => {
    const { source } = memorySource(keys, true);
    const v1 = await listObjects(source, parseListObjectsRequest(1, {}));
    expect(() => listingSummary(renderListBucketResult('b', v1, owner).toString())).toThrow(/not a ListObjectsV2 answer/);
    expect(() => listingSummary('<Error><Code>AccessDenied</Code></Error>')).toThrow(/not a ListObjectsV2 answer/);
  });
});
