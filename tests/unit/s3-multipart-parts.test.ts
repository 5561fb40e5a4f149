// Against CompleteMultipartUpload: parts in ascending order (InvalidPartOrder), each uploaded with the
// ETag named (InvalidPart), each but the last at least the minimum size (EntityTooSmall); the object's
// ETag is the MD5 of the parts' binary MD5s followed by "-<number of parts>".
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { checkCompletedParts, multipartEtag, partChoicesFrom } from '../../gateway/s3/multipart-parts.js';
import { parseXml } from '../../gateway/s3/s3-xml.js';
import { s3ErrorOf } from '../helpers/s3-error-of.js';

const complete = (parts: string) => partChoicesFrom(parseXml(`<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`, 'CompleteMultipartUpload'));
const part = (n: string, etag: string) => `<Part><PartNumber>${n}</PartNumber><ETag>${etag}</ETag></Part>`;

describe('the part list of the request body', () => {
  test('as SDKs send it: quoted ETags (escaped or not), pretty-printed', () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Part>
    <ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag>
    <PartNumber>1</PartNumber>
  </Part>
  <Part>
    <PartNumber>2</PartNumber>
    <ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag>
  </Part>
</CompleteMultipartUpload>`;
    expect(partChoicesFrom(parseXml(body, 'CompleteMultipartUpload'))).toEqual([
      { partNumber: 1, etag: 'a54357aff0632cce46d942af68356b38' },
      { partNumber: 2, etag: '0c78aef83f66abc1fa1e8477f296d394' },
    ]);
  });

  test('one part is a list of one; unquoted ETags and spaces around values are accepted', () => {
    expect(complete(part('3', 'abc'))).toEqual([{ partNumber: 3, etag: 'abc' }]);
    expect(complete(part(' 7 ', ' "abc" '))).toEqual([{ partNumber: 7, etag: 'abc' }]);
  });

  test('part numbers 1 to 10000, leading zeros allowed', () => {
    expect(complete(part('0001', 'x') + part('10000', 'y')).map((p) => p.partNumber)).toEqual([1, 10000]);
  });

  test('part numbers outside 1..10000 or not integers are InvalidArgument', () => {
    for (const n of ['0', '10001', '-1', '1.0', '1e3', 'one', '', '123456']) {
      const err = s3ErrorOf(() => complete(part(n, 'x')));
      expect(err.status, n).toBe(400);
      expect(err.code, n).toBe('InvalidArgument');
    }
  });

  test('no parts, or a part without a number or an ETag, is MalformedXML', () => {
    for (const parts of ['', '<Part><PartNumber>1</PartNumber></Part>', '<Part><ETag>x</ETag></Part>', '<Part><PartNumber><N>1</N></PartNumber><ETag>x</ETag></Part>']) {
      const err = s3ErrorOf(() => complete(parts));
      expect(err.status, parts).toBe(400);
      expect(err.code, parts).toBe('MalformedXML');
    }
  });
});

describe('checking the chosen parts against the uploaded ones', () => {
  const MIN = 5 * 1024 * 1024;
  const uploaded = [
    { part_number: 1, etag: 'e1', size: MIN },
    { part_number: 2, etag: 'e2', size: MIN },
    { part_number: 3, etag: 'e3', size: MIN - 1 },
    { part_number: 5, etag: 'e5', size: 1 },
  ];
  const check = (chosen: [number, string][]) => checkCompletedParts(chosen.map(([partNumber, etag]) => ({ partNumber, etag })), uploaded, MIN);

  test('all parts, a subset, gaps in the numbers, and a small last part are fine', () => {
    expect(() => check([[1, 'e1'], [2, 'e2'], [3, 'e3']])).not.toThrow();
    expect(() => check([[1, 'e1'], [5, 'e5']])).not.toThrow();
    expect(() => check([[2, 'e2']])).not.toThrow();
    expect(() => check([[5, 'e5']])).not.toThrow(); // a single part may be of any size
  });

  test('parts out of order or repeated: InvalidPartOrder', () => {
    for (const chosen of [[[2, 'e2'], [1, 'e1']], [[1, 'e1'], [1, 'e1']], [[1, 'e1'], [3, 'e3'], [2, 'e2']]] as [number, string][][]) {
      const err = s3ErrorOf(() => check(chosen));
      expect(err.status).toBe(400);
      expect(err.code).toBe('InvalidPartOrder');
    }
  });

  test('a part never uploaded, or named with another ETag: InvalidPart naming it', () => {
    const missing = s3ErrorOf(() => check([[1, 'e1'], [4, 'e4']]));
    expect(missing.code).toBe('InvalidPart');
    expect(missing.extra.fields).toEqual({ PartNumber: '4', ETag: 'e4' });
    const wrongEtag = s3ErrorOf(() => check([[1, 'e1'], [2, 'e1']]));
    expect(wrongEtag.code).toBe('InvalidPart');
    expect(wrongEtag.extra.fields).toEqual({ PartNumber: '2', ETag: 'e1' });
  });

  test('a part other than the last below the minimum size: EntityTooSmall', () => {
    const err = s3ErrorOf(() => check([[3, 'e3'], [5, 'e5']]));
    expect(err.status).toBe(400);
    expect(err.code).toBe('EntityTooSmall');
    expect(err.extra.fields).toEqual({ PartNumber: '3', ProposedSize: String(MIN - 1), MinSizeAllowed: String(MIN) });
    expect(() => check([[1, 'e1'], [3, 'e3']])).not.toThrow(); // the same part is fine last
  });
});

describe('the multipart ETag', () => {
  const md5 = (data: string | Buffer) => createHash('md5').update(data).digest();

  test('known answer, computed outside Node', () => {
    // a=$(printf 'hello ' | md5sum | cut -c1-32); b=$(printf 'world' | md5sum | cut -c1-32)
    // printf '%s%s' $a $b | xxd -r -p | md5sum   ->  e09e4fd6265b36115fe3db32df945d84
    expect(multipartEtag(['f814893777bcc2295fff05f00e508da6', '7d793037a0760186574b0282f2f435e7'])).toBe('e09e4fd6265b36115fe3db32df945d84-2');
  });

  test('the MD5 of the concatenated binary MD5s of the part data, then -N', () => {
    const parts = [Buffer.alloc(5 * 1024 * 1024, 'a'), Buffer.alloc(5 * 1024 * 1024, 'b'), Buffer.from('tail')];
    const digests = parts.map((p) => md5(p));
    const expected = `${md5(Buffer.concat(digests)).toString('hex')}-3`;
    expect(multipartEtag(digests.map((d) => d.toString('hex')))).toBe(expected);
    // Not the MD5 of the whole object, nor of the hex strings.
    expect(expected.startsWith(md5(Buffer.concat(parts)).toString('hex'))).toBe(false);
    expect(multipartEtag(digests.map((d) => d.toString('hex')))).not.toBe(`${md5(digests.map((d) => d.toString('hex')).join('')).toString('hex')}-3`);
  });

  test('one part still gets -1, and the order of the parts matters', () => {
    const one = md5('only');
    expect(multipartEtag([one.toString('hex')])).toBe(`${md5(one).toString('hex')}-1`);
    const [x, y] = [md5('x').toString('hex'), md5('y').toString('hex')];
    expect(multipartEtag([x, y])).not.toBe(multipartEtag([y, x]));
  });

  test('upper-case hex digests give the same ETag', () => {
    const hex = md5('z').toString('hex');
    expect(multipartEtag([hex.toUpperCase()])).toBe(multipartEtag([hex]));
  });
});
