// The fuzz suite's pure parts: the seeded generator and its settings, the mutators, and the case
// generators' claims about their own cases (a well-formed multipart body holds the file it says, a
// valid XML document parses as the gateway parses it, a DELETE never names a fixture file), checked
// here without a cluster so that a wrong claim is not mistaken for a gateway bug.
import { createHash } from 'node:crypto';
import busboy from 'busboy';
import { describe, expect, test } from 'vitest';
import { partChoicesFrom } from '../../gateway/s3/multipart-parts.js';
import { parseXml } from '../../gateway/s3/s3-xml.js';
import { describeMultipartCase, multipartCase } from '../fuzz/multipart-cases.js';
import { mutateBytes, mutateText } from '../fuzz/mutate.js';
import { pathCase } from '../fuzz/path-cases.js';
import { caseSeed, DEFAULT_SEED, fuzzSettings, Rng } from '../fuzz/prng.js';
import { xmlCase } from '../fuzz/s3-xml-cases.js';
import { sigExpectation, type SigCase, type SigMutation } from '../fuzz/sigv4-cases.js';

const rngFor = (surface: string, i: number): Rng => new Rng(caseSeed(DEFAULT_SEED, surface, i));

describe('Rng', () => {
  test('the same seed gives the same draws; other seeds other draws', () => {
    const draws = (seed: number): number[] => Array.from({ length: 20 }, ((r) => () => r.int(1_000_000))(new Rng(seed)));
    expect(draws(42)).toEqual(draws(42));
    expect(draws(42)).not.toEqual(draws(43));
  });

  test('int, range and pick stay in bounds; weighted honours zero weights', () => {
    const r = new Rng(7);
    for (let i = 0; i < 10_000; i++) {
      expect(r.int(5)).toBeLessThan(5);
      const v = r.range(-3, 3);
      expect(v >= -3 && v <= 3).toBe(true);
      expect(r.weighted([[0, 'never'], [1, 'always']])).toBe('always');
    }
    expect(new Rng(1).uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('case seeds differ across cases and surfaces, and do not depend on the order cases run in', () => {
    const seeds = new Set(Array.from({ length: 10_000 }, (_, i) => caseSeed(DEFAULT_SEED, 'a', i)));
    expect(seeds.size).toBe(10_000);
    expect(caseSeed(DEFAULT_SEED, 'a', 5)).not.toBe(caseSeed(DEFAULT_SEED, 'b', 5));
    expect(caseSeed(1, 'a', 5)).toBe(caseSeed(1, 'a', 5));
  });
});

describe('fuzzSettings', () => {
  const random = (): number => 0xabcdef;
  test('a fixed seed by default, decimal or hex when given, a new one for "random"', () => {
    expect(fuzzSettings({}, random)).toEqual({ seed: DEFAULT_SEED, cases: 1_000, onlyCase: null });
    expect(fuzzSettings({ FUZZ_SEED: '0x10' }, random).seed).toBe(16);
    expect(fuzzSettings({ FUZZ_SEED: '99' }, random).seed).toBe(99);
    expect(fuzzSettings({ FUZZ_SEED: 'random' }, random).seed).toBe(0xabcdef);
    expect(fuzzSettings({ FUZZ_CASES: '5000', FUZZ_CASE: '17' }, random)).toMatchObject({ cases: 5_000, onlyCase: 17 });
  });

  test('fewer than 1,000 cases, or values that are not numbers, are refused', () => {
    expect(() => fuzzSettings({ FUZZ_CASES: '999' }, random)).toThrow(/at least 1000/);
    expect(() => fuzzSettings({ FUZZ_SEED: 'abc' }, random)).toThrow(/not a whole number/);
    expect(() => fuzzSettings({ FUZZ_CASE: '-1' }, random)).toThrow(/not a whole number/);
  });
});

describe('mutators', () => {
  test('the same draws mutate the same way, and the input is left as it was', () => {
    const input = Buffer.from('the quick brown fox');
    const copy = Buffer.from(input);
    expect(mutateBytes(new Rng(3), input)).toEqual(mutateBytes(new Rng(3), input));
    expect(input).toEqual(copy);
    expect(mutateText(new Rng(3), 'abc123')).toBe(mutateText(new Rng(3), 'abc123'));
  });

  test('text mutations never throw, whatever they hit (lone surrogates included)', () => {
    for (let i = 0; i < 2_000; i++) expect(typeof mutateText(new Rng(i), '\ud83d\ude00 é %41 12')).toBe('string');
  });
});

/** The file busboy reads from a multipart case's bytes (head parsed for its headers), or null. */
function fileOf(bytes: Buffer): Promise<Buffer | null> {
  const end = bytes.indexOf('\r\n\r\n');
  const headers = Object.fromEntries(
    bytes.subarray(0, end).toString('utf8').split('\r\n').slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return new Promise((resolve, reject) => {
    const parser = busboy({ headers, defParamCharset: 'utf8' });
    let file: Buffer | null = null;
    parser.on('file', (_name, stream) => {
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () => (file = Buffer.concat(parts)));
    });
    parser.on('close', () => resolve(file));
    parser.on('error', reject);
    parser.end(bytes.subarray(end + 4));
  });
}

describe('case generators', () => {
  test('a multipart case that says it is well formed carries exactly the file it expects', async () => {
    let checked = 0;
    for (let i = 0; i < 400; i++) {
      const k = multipartCase(rngFor('rest-multipart', i), { maxFileBytes: 512 * 1024, tag: `case-${i}` });
      const bytes = Buffer.concat(k.request.pieces);
      if (k.expected?.status !== 201 || /transfer-encoding/i.test(bytes.subarray(0, bytes.indexOf('\r\n\r\n')).toString())) continue;
      const file = await fileOf(bytes);
      expect(file, describeMultipartCase(k)).not.toBeNull();
      expect(createHash('sha256').update(file!).digest('hex'), describeMultipartCase(k)).toBe(k.expected.sha256);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });

  test('a valid XML case parses as the gateway parses it, and a valid CompleteMultipartUpload names its parts', () => {
    const roots = { complete: 'CompleteMultipartUpload', delete: 'Delete', cors: 'CORSConfiguration', 'create-bucket': 'CreateBucketConfiguration', versioning: 'VersioningConfiguration' };
    let checked = 0;
    for (let i = 0; i < 2_000; i++) {
      const k = xmlCase(rngFor('s3-xml', i), { partEtags: ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)], keys: ['obj-0'], region: 'us-east-1' });
      if (k.expect === null) continue;
      const doc = parseXml(k.body.toString('utf8'), roots[k.target]);
      if (k.target === 'complete') expect(partChoicesFrom(doc).map((p) => p.partNumber)).toEqual(k.parts);
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
  });

  test('no path case DELETEs a fixture file, however its id is spelled', () => {
    const fileIds = ['0b0e4a52-8d7c-4c8e-9a39-1f2e3d4c5b6a', 'fd7f6cdb-9ae0-4030-8892-4ead57479406'];
    for (let i = 0; i < 20_000; i++) {
      const k = pathCase(rngFor('rest-paths', i), { fileIds, keyIds: ['AKIAEXAMPLE000000001'] });
      if (k.method !== 'DELETE') continue;
      for (const segment of k.target.split('?')[0]!.split('/')) {
        let decoded = segment;
        try {
          decoded = decodeURIComponent(segment);
        } catch {
          // the router refuses it
        }
        for (const id of fileIds) expect(decoded.toLowerCase().includes(id), k.target).toBe(false);
      }
    }
  });

  test('SigV4 expectations: a forging mutation or signing means denied, a formal one ok, an unsure one any', () => {
    const base = { forgedBySigning: false } as SigCase;
    const m = (forges: boolean | null): SigMutation => ({ name: 'm', forges, apply: () => undefined });
    expect(sigExpectation(base, [])).toBe('ok');
    expect(sigExpectation(base, [m(false)])).toBe('ok');
    expect(sigExpectation(base, [m(null)])).toBe('any');
    expect(sigExpectation(base, [m(null), m(true)])).toBe('denied');
    expect(sigExpectation({ ...base, forgedBySigning: true }, [])).toBe('denied');
  });
});
