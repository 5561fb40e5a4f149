import { describe, expect, test } from 'vitest';
import { parseS3Address } from '../../gateway/s3/s3-address.js';
import { s3ErrorOf } from '../helpers/s3-error-of.js';

const DOMAINS = ['s3.example.com', 's3.local'];
const path = (rawPath: string) => parseS3Address('localhost:9000', rawPath, DOMAINS);
const vhost = (host: string, rawPath: string) => parseS3Address(host, rawPath, DOMAINS);

describe('path style', () => {
  test('service, bucket and key', () => {
    expect(path('/')).toEqual({ bucket: null, key: null, resource: '/' });
    expect(path('/photos')).toEqual({ bucket: 'photos', key: null, resource: '/photos' });
    expect(path('/photos/2024/cat.jpg')).toEqual({ bucket: 'photos', key: '2024/cat.jpg', resource: '/photos/2024/cat.jpg' });
  });

  test('a trailing slash after the bucket names the bucket, not an empty key', () => {
    expect(path('/photos/')).toEqual({ bucket: 'photos', key: null, resource: '/photos' });
  });

  test('slashes after the bucket belong to the key, doubled or trailing', () => {
    expect(path('/photos//a')).toMatchObject({ bucket: 'photos', key: '/a' });
    expect(path('/photos/dir/')).toMatchObject({ bucket: 'photos', key: 'dir/' });
    expect(path('/photos//')).toMatchObject({ bucket: 'photos', key: '/' });
  });

  test('keys are percent-decoded: %2F is a slash, %20 a space, %25 a percent', () => {
    expect(path('/b/a%2Fb').key).toBe('a/b');
    expect(path('/b/a%2fb').key).toBe('a/b');
    expect(path('/b/my%20file.txt').key).toBe('my file.txt');
    expect(path('/b/100%25').key).toBe('100%');
    expect(path('/b/%3Fq%3D1%23frag').key).toBe('?q=1#frag');
  });

  test('a raw + stays a plus (RFC 3986 path; SDKs send a plus as %2B)', () => {
    expect(path('/b/a+b').key).toBe('a+b');
    expect(path('/b/a%2Bb').key).toBe('a+b');
  });

  test('unicode and emoji keys, percent-encoded as UTF-8 or already decoded', () => {
    expect(path('/b/caf%C3%A9/%F0%9F%98%80.png').key).toBe('café/😀.png');
    expect(path('/b/日本語/ファイル').key).toBe('日本語/ファイル');
  });

  test('keys keep leading and trailing spaces', () => {
    expect(path('/b/%20padded%20').key).toBe(' padded ');
  });

  test('the Host header does not matter when it is not under an S3 domain', () => {
    expect(parseS3Address(undefined, '/b/k', DOMAINS)).toMatchObject({ bucket: 'b', key: 'k' });
    expect(parseS3Address('127.0.0.1:9000', '/b/k', DOMAINS)).toMatchObject({ bucket: 'b', key: 'k' });
    expect(parseS3Address('[::1]:9000', '/b/k', DOMAINS)).toMatchObject({ bucket: 'b', key: 'k' });
    // The S3 domain itself (no bucket label) is path style too.
    expect(parseS3Address('s3.example.com', '/b/k', DOMAINS)).toMatchObject({ bucket: 'b', key: 'k' });
    expect(parseS3Address('S3.Example.COM:443', '/b/k', DOMAINS)).toMatchObject({ bucket: 'b', key: 'k' });
  });

  test('a malformed percent escape is InvalidURI (400)', () => {
    for (const raw of ['/b/%zz', '/b/%E0%A4%A', '/b/a%', '/b/%ED%A0%80', '/%zz/k']) {
      const err = s3ErrorOf(() => path(raw));
      expect(err.status, raw).toBe(400);
      expect(err.code, raw).toBe('InvalidURI');
    }
  });
});

describe('names the store cannot keep', () => {
  test('a key of 1,024 bytes is taken; one byte more is KeyTooLongError, counted in UTF-8', () => {
    expect(path(`/b/${'k'.repeat(1024)}`).key).toHaveLength(1024);
    expect(path(`/b/${'%C3%A9'.repeat(512)}`).key).toHaveLength(512); // 1,024 bytes
    for (const raw of [`/b/${'k'.repeat(1025)}`, `/b/${'%C3%A9'.repeat(512)}k`]) {
      const err = s3ErrorOf(() => path(raw));
      expect([err.status, err.code, err.extra.fields?.Size]).toEqual([400, 'KeyTooLongError', '1025']);
    }
    expect(s3ErrorOf(() => vhost('photos.s3.local', `/${'k'.repeat(1025)}`)).code).toBe('KeyTooLongError');
  });

  test('U+0000 in a key or a bucket name is InvalidArgument (PostgreSQL text cannot hold it)', () => {
    for (const raw of ['/b/a%00b', '/b/%00', '/b%00/k', '/b%00']) {
      const err = s3ErrorOf(() => path(raw));
      expect([err.status, err.code], raw).toEqual([400, 'InvalidArgument']);
    }
    expect(s3ErrorOf(() => vhost('photos.s3.local', '/a%00')).code).toBe('InvalidArgument');
  });
});

describe('virtual-host style', () => {
  test('the bucket is the label before the S3 domain; the whole path is the key', () => {
    expect(vhost('photos.s3.example.com', '/2024/cat.jpg')).toEqual({ bucket: 'photos', key: '2024/cat.jpg', resource: '/photos/2024/cat.jpg' });
    expect(vhost('photos.s3.example.com', '/')).toEqual({ bucket: 'photos', key: null, resource: '/photos' });
    expect(vhost('photos.s3.local', '/k')).toMatchObject({ bucket: 'photos', key: 'k' });
  });

  test('a port and upper case in the Host header are ignored', () => {
    expect(vhost('photos.s3.example.com:9000', '/k')).toMatchObject({ bucket: 'photos', key: 'k' });
    expect(vhost('Photos.S3.EXAMPLE.com:9000', '/k')).toMatchObject({ bucket: 'photos', key: 'k' });
  });

  test('bucket names with dots', () => {
    expect(vhost('my.dotted.bucket.s3.example.com', '/k')).toMatchObject({ bucket: 'my.dotted.bucket', key: 'k' });
  });

  test('the first path segment is part of the key, not a bucket', () => {
    expect(vhost('photos.s3.example.com', '/other/k')).toMatchObject({ bucket: 'photos', key: 'other/k' });
    expect(vhost('photos.s3.example.com', '//k')).toMatchObject({ bucket: 'photos', key: '/k' });
    expect(vhost('photos.s3.example.com', '/dir/')).toMatchObject({ bucket: 'photos', key: 'dir/' });
  });

  test('keys are decoded as in path style', () => {
    expect(vhost('photos.s3.example.com', '/a%2Fb+c%20d%F0%9F%98%80').key).toBe('a/b+c d😀');
    expect(s3ErrorOf(() => vhost('photos.s3.example.com', '/%G1')).code).toBe('InvalidURI');
  });

  test('a host that only ends with the domain text, without a dot before it, is not virtual-host style', () => {
    expect(vhost('evils3.example.com', '/b/k')).toMatchObject({ bucket: 'b', key: 'k' });
  });
});
