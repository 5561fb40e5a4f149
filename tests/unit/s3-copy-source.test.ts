// Against CopyObject/UploadPartCopy: x-amz-copy-source is "bucket/key", URL-encoded, with an optional
// leading slash and ?versionId=; x-amz-copy-source-range is bytes=first-last, zero-based and inclusive.
import { describe, expect, test } from 'vitest';
import { parseCopySource, parseCopySourceRange } from '../../gateway/s3/copy-source.js';
import { s3ErrorOf } from '../helpers/s3-error-of.js';

describe('x-amz-copy-source', () => {
  test('bucket and key, with or without a leading slash', () => {
    expect(parseCopySource('awsexamplebucket/reports/january.pdf')).toEqual({ bucket: 'awsexamplebucket', key: 'reports/january.pdf' });
    expect(parseCopySource('/awsexamplebucket/reports/january.pdf')).toEqual({ bucket: 'awsexamplebucket', key: 'reports/january.pdf' });
  });

  test('the value is URL-decoded: encoded slashes, spaces, plus, percent, ? and unicode', () => {
    expect(parseCopySource('b/reports%2Fjanuary.pdf')).toEqual({ bucket: 'b', key: 'reports/january.pdf' });
    expect(parseCopySource('b%2Fdir%2Fkey')).toEqual({ bucket: 'b', key: 'dir/key' });
    expect(parseCopySource('b/my%20file.txt').key).toBe('my file.txt');
    expect(parseCopySource('b/a%2Bb').key).toBe('a+b');
    expect(parseCopySource('b/a+b').key).toBe('a+b');
    expect(parseCopySource('b/100%25').key).toBe('100%');
    expect(parseCopySource('b/what%3F').key).toBe('what?');
    expect(parseCopySource('b/caf%C3%A9%F0%9F%98%80').key).toBe('café😀');
  });

  test('the key keeps its own leading, trailing and doubled slashes and spaces', () => {
    expect(parseCopySource('b//k').key).toBe('/k');
    expect(parseCopySource('b/dir/').key).toBe('dir/');
    expect(parseCopySource('b/%20k%20').key).toBe(' k ');
  });

  test('?versionId=null names the current version (versioning is off); other versions are refused', () => {
    expect(parseCopySource('b/k?versionId=null')).toEqual({ bucket: 'b', key: 'k' });
    expect(parseCopySource('b/a%3Fb?versionId=null')).toEqual({ bucket: 'b', key: 'a?b' });
    const err = s3ErrorOf(() => parseCopySource('awsexamplebucket/reports/january.pdf?versionId=QUpfdndhfd8438MNFDN93jdnJFkdmqnh893'));
    expect(err.status).toBe(400);
    expect(err.code).toBe('InvalidArgument');
    expect(err.extra.fields?.ArgumentName).toBe('x-amz-copy-source');
  });

  test('no bucket, no key or bad escapes are InvalidArgument', () => {
    for (const value of ['', 'bucket', 'bucket/', '/bucket', '/bucket/', '/', '//key', 'b/%zz', 'b/%E0%A4%A', 'b/a%00', 'b%00/k']) {
      const err = s3ErrorOf(() => parseCopySource(value));
      expect(err.status, value).toBe(400);
      expect(err.code, value).toBe('InvalidArgument');
    }
  });
});

describe('x-amz-copy-source-range', () => {
  test('absent: the whole source', () => {
    expect(parseCopySourceRange(undefined, 100)).toEqual({ start: 0, end: 100 });
    expect(parseCopySourceRange(undefined, 0)).toEqual({ start: 0, end: 0 });
  });

  test('bytes=first-last is inclusive; the answer ends exclusive', () => {
    expect(parseCopySourceRange('bytes=0-9', 100)).toEqual({ start: 0, end: 10 });
    expect(parseCopySourceRange('bytes=0-0', 100)).toEqual({ start: 0, end: 1 });
    expect(parseCopySourceRange('bytes=99-99', 100)).toEqual({ start: 99, end: 100 });
    expect(parseCopySourceRange('bytes=5242880-10485759', 20_000_000)).toEqual({ start: 5_242_880, end: 10_485_760 });
  });

  test('other forms are InvalidArgument naming the header', () => {
    for (const value of ['0-9', 'bytes=0', 'bytes=-10', 'bytes=10-', 'bytes=0-9,20-29', 'bytes=a-b', 'items=0-9', 'bytes=0x0-9', 'bytes= 0-9']) {
      const err = s3ErrorOf(() => parseCopySourceRange(value, 100));
      expect(err.status, value).toBe(400);
      expect(err.code, value).toBe('InvalidArgument');
      expect(err.extra.fields, value).toEqual({ ArgumentName: 'x-amz-copy-source-range', ArgumentValue: value });
    }
  });

  test('a range past the end of the source, or backwards, is refused', () => {
    // S3 answers 400 InvalidArgument "Range specified is not valid for source object of size: N".
    for (const value of ['bytes=0-100', 'bytes=100-100', 'bytes=50-200', 'bytes=10-5', 'bytes=0-0']) {
      const size = value === 'bytes=0-0' ? 0 : 100;
      const err = s3ErrorOf(() => parseCopySourceRange(value, size));
      expect(err.status, value).toBe(400);
      expect(err.code, value).toBe('InvalidArgument');
      expect(err.message, value).toBe(`Range specified is not valid for source object of size: ${size}`);
    }
  });
});
