import { describe, expect, test } from 'vitest';
import { compareKeys, prefixSuccessor } from '../../gateway/s3/key-order.js';
import { listObjects, listPage, type KeySource } from '../../gateway/s3/list-objects.js';
import {
  decodeContinuationToken,
  encodeContinuationToken,
  InvalidListArgument,
  parseListObjectsRequest,
} from '../../gateway/s3/list-objects-request.js';
import { renderListBucketResult, s3UrlEncode, xmlText } from '../../gateway/s3/list-objects-xml.js';
import {
  byteCompare,
  entryOf,
  memorySource,
  modelListing,
  pageEntries,
  pick,
  pageV2,
  random,
  randomCase,
  randomString,
  sortedKeys,
  type Case,
  type ModelEntry,
} from '../helpers/listing-model.js';

/** The same with v1: NextMarker with a delimiter, otherwise the last key as the next marker. */
async function pageV1(c: Case, source: KeySource): Promise<void> {
  const expected = modelListing(c.keys, c.prefix, c.delimiter, c.startAfter);
  const query: Record<string, string> = { prefix: c.prefix, delimiter: c.delimiter, 'max-keys': String(c.maxKeys) };
  if (c.startAfter !== null) query.marker = c.startAfter;
  const listed: ModelEntry[] = [];
  for (;;) {
    const result = await listObjects(source, parseListObjectsRequest(1, query));
    const got = pageEntries(result.contents, result.commonPrefixes);
    listed.push(...got);
    if (!result.isTruncated) break;
    if (c.delimiter === '') {
      expect(result.nextMarker).toBeNull();
      query.marker = result.contents.at(-1)!.key;
    } else {
      expect(result.nextMarker).toBe(got.at(-1)!.name);
      query.marker = result.nextMarker!;
    }
  }
  expect(listed).toEqual(expected);
}

describe('key order', () => {
  test('compareKeys is UTF-8 byte order, also where UTF-16 order differs', () => {
    expect('😀' < '\ue000').toBe(true); // what JS says
    expect(compareKeys('😀', '\ue000')).toBeGreaterThan(0); // what UTF-8 and PostgreSQL "C" say
    const rnd = random(1);
    for (let i = 0; i < 5000; i++) {
      const a = randomString(rnd, 4);
      const b = rnd() < 0.3 ? a + randomString(rnd, 1) : randomString(rnd, 4);
      expect(Math.sign(compareKeys(a, b)), `${a} ${b}`).toBe(Math.sign(byteCompare(a, b)));
    }
  });

  test('prefixSuccessor is above every string that starts with the prefix and below every other greater one', () => {
    expect(prefixSuccessor('a/')).toBe('a0');
    expect(prefixSuccessor('\ud7ff')).toBe('\ue000'); // over the surrogate range
    expect(prefixSuccessor('a\u{10ffff}')).toBe('b');
    expect(prefixSuccessor('😀')).toBe('😁');
    expect(prefixSuccessor('\uffff')).toBe('\u{10000}');
    expect(prefixSuccessor('\u{10ffff}\u{10ffff}')).toBeNull();
    expect(prefixSuccessor('')).toBeNull();
    const rnd = random(2);
    for (let i = 0; i < 3000; i++) {
      const p = randomString(rnd, 3);
      const s = randomString(rnd, 5);
      const succ = prefixSuccessor(p);
      if (s.startsWith(p)) expect(succ === null || byteCompare(s, succ) < 0, `${p} ${s}`).toBe(true);
      else if (byteCompare(s, p) > 0) expect(succ !== null && byteCompare(s, succ) >= 0, `${p} ${s}`).toBe(true);
    }
  });
});

describe('listing pages against the model', () => {
  test.each([
    ['a source that returns every key', false],
    ['a source that skips within common prefixes', true],
  ])('random key sets, prefixes, delimiters, start-after and max-keys 1..7, v2 and v1: %s', async (_name, collapse) => {
    const rnd = random(collapse ? 20 : 10);
    let pages = 0;
    for (let i = 0; i < 1500; i++) {
      const c = randomCase(rnd);
      const { source } = memorySource(c.keys, collapse);
      try {
        pages += (await pageV2(c, source)).pages;
        await pageV1(c, source);
      } catch (err) {
        throw new Error(`case ${i}: ${JSON.stringify(c)}\n${(err as Error).message}`);
      }
    }
    expect(pages).toBeGreaterThan(3000); // the cases did page
  });

  test('pages larger than the short first batch of a delimited listing', async () => {
    const rnd = random(30);
    for (let i = 0; i < 60; i++) {
      const keys = sortedKeys(Array.from({ length: 200 + Math.floor(rnd() * 800) }, () => randomString(rnd, 5)));
      const c = { ...randomCase(rnd), keys, maxKeys: pick(rnd, [99, 100, 101, 150, 1000]) };
      try {
        await pageV2(c, memorySource(keys, i % 2 === 0).source);
      } catch (err) {
        throw new Error(`case ${i}: ${JSON.stringify({ ...c, keys: keys.length })}\n${(err as Error).message}`);
      }
    }
  });

  test('a common prefix already listed is not listed again, and start-after inside one skips it', async () => {
    const keys = ['asdf', 'boo/bar', 'boo/baz/xyzzy', 'cquux/bla', 'cquux/thud'];
    const { source } = memorySource(keys, false);
    const list = async (after: string | null) => listPage(source, { prefix: '', delimiter: '/', maxKeys: 1, after });
    expect((await list(null)).contents.map((c) => c.key)).toEqual(['asdf']);
    expect((await list('asdf')).commonPrefixes).toEqual(['boo/']);
    const last = await list('boo/');
    expect(last.commonPrefixes).toEqual(['cquux/']);
    expect(last.isTruncated).toBe(false);
    expect((await list('boo/b')).commonPrefixes).toEqual(['cquux/']);
    expect((await list('boo')).commonPrefixes).toEqual(['boo/']);
  });

  test('max-keys 0 lists nothing and asks nothing', async () => {
    const { source, queries } = memorySource(['a', 'b'], false);
    const result = await listObjects(source, parseListObjectsRequest(2, { 'max-keys': '0' }));
    expect(result).toMatchObject({ contents: [], commonPrefixes: [], isTruncated: false, keyCount: 0, nextContinuationToken: null });
    expect(queries()).toBe(0);
  });
});

describe('queries per page', () => {
  // 10,000 keys under big/sub/ and 10,000 under big/dir/, 100 right under big/, a few around them.
  const n = (i: number) => String(i).padStart(5, '0');
  const keys = sortedKeys([
    ...Array.from({ length: 10_000 }, (_, i) => `big/sub/${n(i)}`),
    ...Array.from({ length: 10_000 }, (_, i) => `big/dir/${n(i)}`),
    ...Array.from({ length: 100 }, (_, i) => `big/${n(i)}`),
    ...['a', 'big', 'big0', 'c/x', 'c/y', 'd', 'é/1', 'é/2'],
  ]);

  // A source that returns every key costs at most one query per common prefix of the page (when a
  // batch ends inside it) plus two; one that skips (the SQL store) at most three a page.
  test.each([false, true])('a common prefix over 10,000 keys costs O(1) queries (source skips: %s)', async (collapse) => {
    const { source } = memorySource(keys, collapse);
    for (const [prefix, delimiter] of [['', '/'], ['big/', '/'], ['big', '/'], ['', 'big/'], ['b', '0'], ['big/', 'r/']] as const) {
      const expected = modelListing(keys, prefix, delimiter, null);
      for (let maxKeys = 1; maxKeys <= 7; maxKeys++) {
        const { queries, prefixes } = await pageV2({ keys, prefix, delimiter, startAfter: null, maxKeys }, source, expected);
        queries.forEach((q, i) => expect(q, `${prefix} ${delimiter} ${maxKeys}`).toBeLessThanOrEqual(collapse ? 3 : 2 + prefixes[i]!));
      }
    }
  });

  test('with a source that skips, a page of many large common prefixes costs at most 3 queries', async () => {
    const many = Array.from({ length: 60 * 100 }, (_, i) => `d${n(Math.floor(i / 100))}/${n(i % 100)}`);
    for (const maxKeys of [1, 7, 1000]) {
      const { source } = memorySource(many, true);
      const { queries } = await pageV2({ keys: many, prefix: '', delimiter: '/', startAfter: null, maxKeys }, source);
      expect(Math.max(...queries)).toBeLessThanOrEqual(3);
    }
  });

  test('a deep page costs one query, and never reads more than max-keys + 1 rows', async () => {
    const { source, ranges } = memorySource(keys, false);
    const page = await listPage(source, { prefix: '', delimiter: null, maxKeys: 1000, after: 'big/sub/09990' });
    expect(page.queries).toBe(1);
    expect(page.contents.map((c) => c.key)).toEqual(keys.filter((k) => byteCompare(k, 'big/sub/09990') > 0));
    expect(ranges[0]!.limit).toBe(1001);
  });

  test('a source that gives a key without its row where the key rolls up into no common prefix is refused, not listed', async () => {
    const source: KeySource = async () => [{ key: 'plain', rolledUp: true }];
    await expect(listPage(source, { prefix: '', delimiter: '/', maxKeys: 10, after: null })).rejects.toThrow(/"plain" came without its row/);
  });

  test('jumps go past the whole prefix in one step', async () => {
    const { source, ranges } = memorySource(keys, false);
    const page = await listPage(source, { prefix: '', delimiter: '/', maxKeys: 4, after: null });
    expect(page.contents.map((c) => c.key)).toEqual(['a', 'big', 'big0']);
    expect(page.commonPrefixes).toEqual(['big/']);
    expect(page.isTruncated).toBe(true);
    expect(ranges.map((r) => [r.after, r.from, r.limit, r.delimiter])).toEqual([
      [null, null, 5, null],
      [null, 'big0', 2, '/'], // the batch ended inside big/ (20,100 keys): on from past all of it, skipping
    ]);
  });
});

describe('request parameters', () => {
  test('defaults, caps and echoes', () => {
    expect(parseListObjectsRequest(2, {})).toMatchObject({ prefix: '', delimiter: '', maxKeys: 1000, after: null, fetchOwner: false, encodingType: null });
    expect(parseListObjectsRequest(2, { 'max-keys': '5000' }).maxKeys).toBe(1000);
    expect(parseListObjectsRequest(2, { 'max-keys': '0' }).maxKeys).toBe(0);
    expect(parseListObjectsRequest(2, { 'fetch-owner': 'true', 'encoding-type': 'url' })).toMatchObject({ fetchOwner: true, encodingType: 'url' });
    expect(parseListObjectsRequest(1, { marker: 'm' })).toMatchObject({ after: 'm', marker: 'm', fetchOwner: true });
    expect(parseListObjectsRequest(2, { 'start-after': 's' })).toMatchObject({ after: 's', startAfter: 's' });
    // The token wins over start-after; both are echoed.
    const token = encodeContinuationToken('t/');
    expect(parseListObjectsRequest(2, { 'start-after': 's', 'continuation-token': token })).toMatchObject({
      after: 't/',
      startAfter: 's',
      continuationToken: token,
    });
  });

  test('bad values are InvalidArgument', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ 'max-keys': '-1' }, 'maxKeys'],
      [{ 'max-keys': 'ten' }, 'max-keys'],
      [{ 'max-keys': '' }, 'max-keys'],
      [{ 'max-keys': '1.5' }, 'max-keys'],
      [{ 'max-keys': '2147483648' }, 'max-keys'],
      [{ 'continuation-token': 'garbage!' }, 'continuation-token'],
      [{ 'continuation-token': '' }, 'continuation-token'],
      [{ 'continuation-token': Buffer.from('no version byte').toString('base64url') }, 'continuation-token'],
      [{ 'continuation-token': Buffer.from([1, 0xff, 0xfe]).toString('base64url') }, 'continuation-token'],
      [{ 'encoding-type': 'base64' }, 'encoding-type'],
      [{ prefix: ['a', 'b'] }, 'prefix'],
      [{ prefix: 'a\ud800' }, 'prefix'],
    ];
    for (const [query, name] of bad) {
      let error: unknown;
      try {
        parseListObjectsRequest(2, query);
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(query)).toBeInstanceOf(InvalidListArgument);
      expect((error as InvalidListArgument).code).toBe('InvalidArgument');
      expect((error as InvalidListArgument).argumentName).toBe(name);
    }
    expect(parseListObjectsRequest(2, { 'max-keys': '2147483647' }).maxKeys).toBe(1000);
  });

  test('continuation tokens round-trip any key and refuse others', () => {
    for (const key of ['a', 'a/b/', 'é😀\uffda', ' +%', 'x'.repeat(1024)]) {
      const token = encodeContinuationToken(key);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeContinuationToken(token)).toBe(key);
    }
    expect(encodeContinuationToken('a')).toBe('AWE');
    expect(decodeContinuationToken('AWF')).toBeNull(); // not the canonical form of its bytes
    expect(decodeContinuationToken('AQ')).toBeNull(); // a version byte and nothing after it
  });
});

describe('ListBucketResult XML', () => {
  const owner = { id: 'owner-id', displayName: 'owner & co' };
  const keys = ['a b+c', 'dir/x', 'dir/y', 'q<&>"\'', 'tab\tcr\r\u0001é😀~*'];

  async function render(version: 1 | 2, query: Record<string, string>): Promise<string> {
    const { source } = memorySource(keys, false);
    return renderListBucketResult('bkt', await listObjects(source, parseListObjectsRequest(version, query)), owner).toString('utf8');
  }

  test('v2: elements, escaping, dates with milliseconds, quoted ETags, owner only when fetched', async () => {
    const xml = await render(2, { delimiter: '/', 'max-keys': '2', 'start-after': ' ' });
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">')).toBe(true);
    expect(xml).toContain('<Name>bkt</Name><Prefix></Prefix><StartAfter> </StartAfter><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter>');
    expect(xml).toContain('<IsTruncated>true</IsTruncated>');
    const token = /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(xml)![1]!;
    expect(decodeContinuationToken(token)).toBe('dir/');
    const e = entryOf('a b+c');
    expect(xml).toContain(
      `<Contents><Key>a b+c</Key><LastModified>${e.lastModified.toISOString()}</LastModified><ETag>&quot;${e.etag}&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    );
    expect(e.lastModified.toISOString()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(xml).toContain('<CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes></ListBucketResult>');
    expect(xml).not.toContain('<Owner>');
    const next = await render(2, { delimiter: '/', 'continuation-token': token, 'fetch-owner': 'true' });
    expect(next).toContain(`<ContinuationToken>${token}</ContinuationToken>`);
    expect(next).toContain('<Key>q&lt;&amp;&gt;&quot;&apos;</Key>');
    expect(next).toContain('<Key>tab\tcr&#xD;&#x1;é😀~*</Key>');
    expect(next).toContain('<Owner><ID>owner-id</ID><DisplayName>owner &amp; co</DisplayName></Owner>');
    expect(next).not.toContain('NextContinuationToken');
  });

  test('a page larger than the first buffer (1,000 keys of 1,024 characters, multi-byte): every key once, in order, bytes intact', async () => {
    const big = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(4, '0')}/${'é😀<'.repeat(255)}x`.slice(0, 1024)).sort(compareKeys);
    const { source } = memorySource(big, false);
    for (const encodingType of [undefined, 'url']) {
      const query: Record<string, string> = { 'max-keys': '1000', ...(encodingType ? { 'encoding-type': encodingType } : {}) };
      const bytes = renderListBucketResult('bkt', await listObjects(source, parseListObjectsRequest(2, query)), owner);
      expect(bytes.length).toBeGreaterThan(1024 * 1024); // past the first 64 KiB many times over
      const xml = bytes.toString('utf8');
      expect(Buffer.from(xml, 'utf8').equals(bytes)).toBe(true); // valid UTF-8 throughout
      const listed = [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) =>
        encodingType ? decodeURIComponent(m[1]!.replace(/\+/g, ' ')) : m[1]!.replace(/&lt;/g, '<'),
      );
      expect(listed).toEqual(big);
      expect(xml.endsWith('</Contents></ListBucketResult>')).toBe(true);
    }
  });

  test('encoding-type=url encodes keys, prefixes, delimiter and start-after, not the token', async () => {
    const xml = await render(2, { prefix: '', delimiter: '/', 'encoding-type': 'url', 'start-after': 'a b', 'max-keys': '1' });
    expect(xml).toContain('<StartAfter>a+b</StartAfter>');
    expect(xml).toContain('<EncodingType>url</EncodingType>');
    expect(xml).toContain('<Key>a+b%2Bc</Key>');
    const all = await render(2, { delimiter: '/', prefix: '', 'encoding-type': 'url' });
    expect(all).toContain('<Key>tab%09cr%0D%01%C3%A9%F0%9F%98%80%7E*</Key>');
    expect(all).toContain('<Prefix>dir/</Prefix>');
    const v1 = await render(1, { prefix: 'd é', delimiter: 'é', marker: 'a b', 'encoding-type': 'url' });
    expect(v1).toContain('<Prefix>d+%C3%A9</Prefix><Marker>a+b</Marker>');
    expect(v1).toContain('<Delimiter>%C3%A9</Delimiter>');
    expect(s3UrlEncode('a-_.*/~ +%')).toBe('a-_.*/%7E+%2B%25');
    // Against a byte-by-byte reference: every byte outside A-Z a-z 0-9 - _ . * / encoded, space as +.
    const reference = (text: string) =>
      [...Buffer.from(text, 'utf8')]
        .map((b) => (/[A-Za-z0-9\-_.*/]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : b === 0x20 ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
        .join('');
    const rnd = random(3);
    for (let i = 0; i < 2000; i++) {
      const text = randomString(rnd, 6) + String.fromCharCode(Math.floor(rnd() * 128));
      expect(s3UrlEncode(text), JSON.stringify(text)).toBe(reference(text));
    }
    expect(decodeURIComponent(s3UrlEncode('é😀\uffda/x').replace(/\+/g, ' '))).toBe('é😀\uffda/x');
  });

  test('v1: Marker always, owner always, NextMarker only with a delimiter', async () => {
    const xml = await render(1, { 'max-keys': '1' });
    expect(xml).toContain('<Marker></Marker><MaxKeys>1</MaxKeys><IsTruncated>true</IsTruncated>');
    expect(xml).not.toContain('NextMarker');
    expect(xml).not.toContain('KeyCount');
    expect(xml).toContain('<Owner><ID>owner-id</ID>');
    const delimited = await render(1, { 'max-keys': '2', delimiter: '/', marker: 'a' });
    expect(delimited).toContain('<Marker>a</Marker>');
    expect(delimited).toContain('<NextMarker>dir/</NextMarker>');
  });

  test('xmlText leaves ordinary text alone', () => {
    expect(xmlText('plain/é😀 text\n')).toBe('plain/é😀 text\n');
  });
});
