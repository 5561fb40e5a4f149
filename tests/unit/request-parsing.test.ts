import { describe, expect, test } from 'vitest';
import { decodeCursor, encodeCursor } from '../../gateway/http/list-cursor.js';
import { fileSizeFromHead, multipartBoundary, parseMultipartHead } from '../../gateway/http/multipart-head.js';
import {
  InvalidInput,
  parseAccessKeyId,
  parseByteRange,
  parseFileId,
  parseGrantBody,
  parseGrantBucket,
  parseListQuery,
  parseNewKeyBody,
} from '../../gateway/http/request-parsing.js';

describe('list query', () => {
  test('defaults and page mode', () => {
    expect(parseListQuery({})).toEqual({ mode: 'page', page: 1, perPage: 20 });
    expect(parseListQuery({ page: '3', per_page: '100' })).toEqual({ mode: 'page', page: 3, perPage: 100 });
  });
  test('bad values are rejected, not replaced', () => {
    for (const q of [{ per_page: '101' }, { per_page: '0' }, { page: '0' }, { page: 'x' }, { per_page: '-1' }, { page: '1.5' }, { foo: '1' }, { limit: '5', page: '2' }, { cursor: '!!' }, { limit: '0' }]) {
      expect(() => parseListQuery(q), JSON.stringify(q)).toThrow(InvalidInput);
    }
  });
  test('keyset mode carries the decoded cursor', () => {
    const cursor = encodeCursor({ createdAtMicros: '1795000000123456', fileId: '0b0e4a52-8d7c-4c8e-9a39-1f2e3d4c5b6a' });
    expect(parseListQuery({ limit: '10', cursor })).toEqual({
      mode: 'keyset',
      limit: 10,
      after: { createdAtMicros: '1795000000123456', fileId: '0b0e4a52-8d7c-4c8e-9a39-1f2e3d4c5b6a' },
    });
    expect(decodeCursor(Buffer.from('123.not-a-uuid').toString('base64url'))).toBeNull();
  });
  test('a cursor naming a time PostgreSQL cannot hold is not one of ours (it gave a 500)', () => {
    const id = '0b0e4a52-8d7c-4c8e-9a39-1f2e3d4c5b6a';
    const cursor = (micros: string): string => Buffer.from(`${micros}.${id}`).toString('base64url');
    for (const micros of ['9999999999999999999', '-9999999999999999999', '9223372036854775807', '253402300800000000', '-62135596800000001']) {
      expect(decodeCursor(cursor(micros)), micros).toBeNull();
      expect(() => parseListQuery({ limit: '1', cursor: cursor(micros) }), micros).toThrow(/cursor is not one this server issued/);
    }
    expect(decodeCursor(cursor('253402300799999999'))?.createdAtMicros).toBe('253402300799999999');
    expect(decodeCursor(cursor('-62135596800000000'))?.createdAtMicros).toBe('-62135596800000000');
  });
  test('a parameter given twice or as an object is refused by name; numbers past the range too', () => {
    expect(() => parseListQuery({ limit: ['1', '2'] })).toThrow(/limit must be given once/);
    expect(() => parseListQuery({ page: ['1', '2'] })).toThrow(/page must be given once/);
    expect(() => parseListQuery({ limit: '1', cursor: ['a', 'b'] })).toThrow(/cursor must be given once/);
    expect(() => parseListQuery({ per_page: { a: '1' } })).toThrow(/per_page must be given once/);
    // 2^53 + 1 and beyond would round; they are out of range whatever they round to.
    for (const value of ['9007199254740993', '99999999999999999999', '1000000001', '00000000000000000000000000001000000001']) {
      expect(() => parseListQuery({ page: value }), value).toThrow(/page must be a whole number from 1 to 1000000000/);
    }
    expect(parseListQuery({ page: '1000000000', per_page: '0100' })).toEqual({ mode: 'page', page: 1_000_000_000, perPage: 100 });
    expect(parseListQuery({ page: '0000000000000000000000000000101' })).toEqual({ mode: 'page', page: 101, perPage: 20 });
    expect(() => parseListQuery({ ['x'.repeat(10_000)]: '1' })).toThrow(/^unknown query parameter "x{40}\.\.\."/);
  });
});

describe('file id and ranges', () => {
  test('file ids must be UUIDs; a long one is cut in the message', () => {
    expect(parseFileId('0B0E4A52-8D7C-4C8E-9A39-1F2E3D4C5B6A')).toBe('0b0e4a52-8d7c-4c8e-9a39-1f2e3d4c5b6a');
    expect(() => parseFileId('abc')).toThrow(InvalidInput);
    let message = '';
    try {
      parseFileId('a'.repeat(100_000));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(`file id "${'a'.repeat(80)}..." is not a UUID`);
  });
  test('single ranges, suffixes, open ends, unsatisfiable and ignored headers', () => {
    expect(parseByteRange(undefined, 100)).toEqual({ kind: 'full' });
    expect(parseByteRange('bytes=0-0', 100)).toEqual({ kind: 'partial', start: 0, end: 1 });
    expect(parseByteRange('bytes=10-', 100)).toEqual({ kind: 'partial', start: 10, end: 100 });
    expect(parseByteRange('bytes=-30', 100)).toEqual({ kind: 'partial', start: 70, end: 100 });
    expect(parseByteRange('bytes=90-200', 100)).toEqual({ kind: 'partial', start: 90, end: 100 });
    expect(parseByteRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseByteRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseByteRange('garbage', 100)).toEqual({ kind: 'full' });
    expect(parseByteRange('bytes=0-1,50-60', 100)).toEqual({ kind: 'full' });
  });
});

describe('multipart head', () => {
  const boundary = '----abc123';
  const head = (disposition: string): Buffer =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: application/octet-stream\r\n\r\nDATA`);

  test('boundary from the content type', () => {
    expect(multipartBoundary(`multipart/form-data; boundary=${boundary}`)).toBe(boundary);
    expect(multipartBoundary('multipart/form-data; boundary="quoted b"')).toBe('quoted b');
    expect(multipartBoundary('application/json')).toBeNull();
    expect(multipartBoundary(undefined)).toBeNull();
  });

  test('the file size is exact for a standard single-file body, and bounded without the last CRLF', () => {
    const h = head('form-data; name="file"; filename="a.bin"');
    const parsed = parseMultipartHead(h, boundary)!;
    expect(parsed).toMatchObject({ isFile: true, fieldName: 'file', contentType: 'application/octet-stream' });
    const fileSize = 12345;
    const standard = parsed.headBytes + fileSize + `\r\n--${boundary}--\r\n`.length;
    expect(fileSizeFromHead(standard, boundary, parsed).expected).toBe(fileSize);
    const bare = standard - 2; // no CRLF after the closing delimiter
    expect(fileSizeFromHead(bare, boundary, parsed).max).toBe(fileSize);
  });

  test('the part content type keeps its parameters', () => {
    const h = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name=file; filename="a.txt"\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n`);
    expect(parseMultipartHead(h, boundary)).toMatchObject({ fieldName: 'file', contentType: 'text/plain; charset=iso-8859-1' });
  });

  test('incomplete heads and non-file first parts', () => {
    expect(parseMultipartHead(Buffer.from(`--${boundary}\r\nContent-Disp`), boundary)).toBeNull();
    expect(parseMultipartHead(head('form-data; name="note"'), boundary)!.isFile).toBe(false);
  });
});

describe('access key requests', () => {
  test('ids and grant buckets in paths', () => {
    expect(parseAccessKeyId('AKIAIOSFODNN7EXAMPLE')).toBe('AKIAIOSFODNN7EXAMPLE');
    for (const bad of ['ab', 'AK-1', 'x'.repeat(129)]) expect(() => parseAccessKeyId(bad), bad).toThrow(InvalidInput);
    expect(parseGrantBucket('my-bucket')).toBe('my-bucket');
    expect(parseGrantBucket('.files')).toBe('.files'); // the bucket of the REST /files API
    for (const bad of ['.Files', '..files', '.other', 'UPPER', 'a', 'a..b', '192.168.1.1', 'a_b', '-abc']) expect(() => parseGrantBucket(bad), bad).toThrow(InvalidInput);
  });
  test('new key body: nothing, {} or {name}', () => {
    expect(parseNewKeyBody(undefined)).toEqual({ name: '' });
    expect(parseNewKeyBody({})).toEqual({ name: '' });
    expect(parseNewKeyBody({ name: 'ci' })).toEqual({ name: 'ci' });
    for (const bad of [null, [], 'name', { name: 1 }, { name: 'x'.repeat(201) }, { name: 'a\u0000b' }, { is_root: true }]) {
      expect(() => parseNewKeyBody(bad), JSON.stringify(bad)).toThrow(InvalidInput);
    }
  });
  test('grant body: both booleans, nothing else', () => {
    expect(parseGrantBody({ read: true, write: false })).toEqual({ read: true, write: false });
    expect(parseGrantBody({ read: false, write: false })).toEqual({ read: false, write: false });
    for (const bad of [undefined, {}, { read: true }, { read: 'true', write: true }, { read: true, write: true, owner: true }, [true, true]]) {
      expect(() => parseGrantBody(bad), JSON.stringify(bad)).toThrow(InvalidInput);
    }
  });
});
