// Against S3's object metadata documentation: Content-Type defaults to binary/octet-stream; user
// metadata (x-amz-meta-*) is limited to 2 KB, measured as the UTF-8 bytes of each key and value, and
// over it S3 answers 400 MetadataTooLarge; GetObject's response-* parameters override six headers.
import { describe, expect, test } from 'vitest';
import { objectHeadersFrom, responseOverrides } from '../../gateway/s3/object-headers.js';
import { s3ErrorOf } from '../helpers/s3-error-of.js';

/** How node:http hands over a header value sent as UTF-8 bytes: one character per byte (latin1). */
const onTheWire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describe('stored headers', () => {
  test('Content-Type defaults to binary/octet-stream', () => {
    expect(objectHeadersFrom({})).toEqual({ contentType: 'binary/octet-stream', stored: {} });
    expect(objectHeadersFrom({ 'content-type': '' }).contentType).toBe('binary/octet-stream');
    expect(objectHeadersFrom({ 'content-type': 'text/plain; charset=utf-8' }).contentType).toBe('text/plain; charset=utf-8');
  });

  test('a Content-Type that is too long or has control characters is InvalidArgument', () => {
    for (const type of ['a/' + 'b'.repeat(254), 'text/plain\u0000', 'text/\u001fplain', 'text/plain\u007f']) {
      const err = s3ErrorOf(() => objectHeadersFrom({ 'content-type': type }));
      expect(err.status).toBe(400);
      expect(err.code).toBe('InvalidArgument');
    }
    expect(objectHeadersFrom({ 'content-type': 'a/' + 'b'.repeat(253) }).contentType).toHaveLength(255);
  });

  test('the content headers and x-amz-meta-* are kept, nothing else', () => {
    const { stored } = objectHeadersFrom({
      'content-type': 'image/png',
      'content-encoding': 'gzip',
      'content-disposition': 'attachment; filename="a b.png"',
      'cache-control': 'max-age=60',
      'content-language': 'fr',
      expires: 'Thu, 01 Dec 2030 16:00:00 GMT',
      'x-amz-meta-color': 'blue',
      'x-amz-meta-empty': '',
      'content-length': '10',
      'content-md5': 'XrY7u+Ae7tCTyyK7j1rNww==',
      authorization: 'AWS4-HMAC-SHA256 ...',
      'x-amz-date': '20240310T120000Z',
      'x-amz-acl': 'private',
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      host: 'b.s3.example.com',
      'x-amz-metadata-directive': 'REPLACE',
    });
    expect(stored).toEqual({
      'content-encoding': 'gzip',
      'content-disposition': 'attachment; filename="a b.png"',
      'cache-control': 'max-age=60',
      'content-language': 'fr',
      expires: 'Thu, 01 Dec 2030 16:00:00 GMT',
      'x-amz-meta-color': 'blue',
      'x-amz-meta-empty': '',
    });
  });

  test('aws-chunked is how the body travelled, not a content encoding of the object', () => {
    expect(objectHeadersFrom({ 'content-encoding': 'aws-chunked' }).stored).toEqual({});
    expect(objectHeadersFrom({ 'content-encoding': 'aws-chunked,gzip' }).stored).toEqual({ 'content-encoding': 'gzip' });
    expect(objectHeadersFrom({ 'content-encoding': 'gzip, aws-chunked' }).stored).toEqual({ 'content-encoding': 'gzip' });
    expect(objectHeadersFrom({ 'content-encoding': 'gzip, br' }).stored).toEqual({ 'content-encoding': 'gzip, br' });
  });

  test('metadata values keep their spaces and non-ASCII bytes as sent', () => {
    const value = onTheWire(' café 😀 ');
    expect(objectHeadersFrom({ 'x-amz-meta-note': value }).stored['x-amz-meta-note']).toBe(value);
  });
});

describe('the 2 KB user metadata limit', () => {
  test('exactly 2048 bytes of names (without x-amz-meta-) and values is accepted, one more is MetadataTooLarge', () => {
    // "a" + 1023 bytes + "b" + 1023 bytes = 2048.
    const atLimit = { 'x-amz-meta-a': 'x'.repeat(1023), 'x-amz-meta-b': 'y'.repeat(1023) };
    expect(Object.keys(objectHeadersFrom(atLimit).stored)).toHaveLength(2);
    const err = s3ErrorOf(() => objectHeadersFrom({ ...atLimit, 'x-amz-meta-b': 'y'.repeat(1024) }));
    expect(err.status).toBe(400);
    expect(err.code).toBe('MetadataTooLarge');
    expect(err.extra.fields).toEqual({ MaxSizeAllowed: '2048' });
  });

  test('other headers do not count', () => {
    expect(() => objectHeadersFrom({ 'x-amz-meta-a': 'x'.repeat(2047), 'content-disposition': 'z'.repeat(4000), 'x-custom': 'q'.repeat(4000) })).not.toThrow();
  });

  test('non-ASCII values count their UTF-8 bytes as sent, once', () => {
    // "k" + 1020 x "é" (2 bytes each) + 7 ASCII bytes = 1 + 2040 + 7 = 2048 bytes on the wire.
    const value = onTheWire('é'.repeat(1020) + 'abcdefg');
    expect(() => objectHeadersFrom({ 'x-amz-meta-k': value })).not.toThrow();
    expect(s3ErrorOf(() => objectHeadersFrom({ 'x-amz-meta-k': value + 'h' })).code).toBe('MetadataTooLarge');
    // 512 emoji are 2048 bytes: with the one-byte name, one byte too many.
    expect(s3ErrorOf(() => objectHeadersFrom({ 'x-amz-meta-k': onTheWire('😀'.repeat(512)) })).code).toBe('MetadataTooLarge');
    expect(() => objectHeadersFrom({ 'x-amz-meta-k': onTheWire('😀'.repeat(511) + 'abc') })).not.toThrow();
  });
});

describe('response-* overrides', () => {
  test('the six parameters S3 documents, and nothing else', () => {
    const q = new URLSearchParams({
      'response-content-type': 'text/html',
      'response-content-language': 'de',
      'response-expires': 'Thu, 01 Dec 2030 16:00:00 GMT',
      'response-cache-control': 'no-cache',
      'response-content-disposition': 'attachment; filename="r.txt"',
      'response-content-encoding': 'identity',
      'response-x-amz-meta-color': 'red',
      'response-etag': 'x',
      'x-id': 'GetObject',
    });
    expect(responseOverrides(q)).toEqual({
      'Content-Type': 'text/html',
      'Content-Language': 'de',
      Expires: 'Thu, 01 Dec 2030 16:00:00 GMT',
      'Cache-Control': 'no-cache',
      'Content-Disposition': 'attachment; filename="r.txt"',
      'Content-Encoding': 'identity',
    });
  });

  test('values are taken decoded from the query string', () => {
    const q = new URLSearchParams('response-content-disposition=attachment%3B%20filename%3D%22caf%C3%A9%20%2B%201.txt%22');
    expect(responseOverrides(q)).toEqual({ 'Content-Disposition': 'attachment; filename="café + 1.txt"' });
    expect(responseOverrides(new URLSearchParams(''))).toEqual({});
  });
});
