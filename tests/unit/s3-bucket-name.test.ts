// Against S3's general purpose bucket naming rules (Amazon S3 User Guide, "General purpose bucket naming rules").
import { expect, test } from 'vitest';
import { bucketNameProblem } from '../../gateway/s3/bucket-name.js';

test('valid names, including the shortest and the longest', () => {
  for (const name of ['abc', 'a1b', '123', 'my-bucket', 'my.bucket.name', 'a'.repeat(63), `a${'-'.repeat(61)}z`, 'bucket-1.example.com', '1.2.3', '1.2.3.4.5', 'a-.b', 'a.-b']) {
    expect(bucketNameProblem(name), name).toBeNull();
  }
});

test('between 3 and 63 characters', () => {
  for (const name of ['', 'a', 'ab', 'a'.repeat(64)]) expect(bucketNameProblem(name), name).toMatch(/between 3 and 63/);
});

test('only lowercase letters, numbers, dots and hyphens', () => {
  for (const name of ['MyBucket', 'my_bucket', 'my bucket', 'bucket!', 'café-bucket', 'buck/et', 'bucket\u0000']) {
    expect(bucketNameProblem(name), name).toMatch(/consist only of/);
  }
});

test('begins and ends with a letter or number', () => {
  for (const name of ['-bucket', 'bucket-', '.bucket', 'bucket.', '-.bucket', 'bucket.-', 'bucket-.']) {
    expect(bucketNameProblem(name), name).toMatch(/begin and end/);
  }
});

test('no two adjacent periods', () => {
  for (const name of ['my..bucket', 'a..b', 'a...b']) expect(bucketNameProblem(name), name).toMatch(/adjacent periods/);
});

test('not formatted as an IP address', () => {
  for (const name of ['192.168.5.4', '10.0.0.1', '999.999.999.999', '1.1.1.1']) expect(bucketNameProblem(name), name).toMatch(/IP address/);
  // Four dotted groups are an IP address; other shapes are ordinary names.
  for (const name of ['192.168.5.4a', '192.168.5', '192.168.5.4.1', '1234.1.1.1']) expect(bucketNameProblem(name), name).toBeNull();
});

test('reserved prefixes and suffixes', () => {
  for (const name of ['xn--bucket', 'sthree-bucket', 'sthree-configurator-x', 'amzn-s3-demo-bucket']) {
    expect(bucketNameProblem(name), name).toMatch(/reserved prefix/);
  }
  for (const name of ['bucket-s3alias', 'bucket--ol-s3', 'bucket.mrap', 'bucket--x-s3']) {
    expect(bucketNameProblem(name), name).toMatch(/reserved suffix/);
  }
  // Only at the start or the end.
  for (const name of ['my-xn--bucket', 'my-sthree-bucket', 'a-s3alias-b', 'a.mrap.b', 'xn-bucket', 'sthree']) {
    expect(bucketNameProblem(name), name).toBeNull();
  }
});
