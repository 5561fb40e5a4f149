import { describe, expect, test } from 'vitest';
import { compareKeys, listModel, minimumPages } from '../helpers/s3-list-model.js';

const objects = (...keys: string[]) => keys.map((key, i) => ({ key, size: i }));

describe('S3 listing model', () => {
  test('orders keys by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF5E (3 bytes, EF BD 9E) sorts before U+1F600 (4 bytes, F0 9F 98 80) in UTF-8, but after it
    // in UTF-16, where the emoji is a surrogate pair starting with 0xD83D.
    const keys = ['\u{1F600}', '\uFF5E', 'a', 'B', 'é'];
    expect(keys.slice().sort()).toEqual(['B', 'a', 'é', '\u{1F600}', '\uFF5E']);
    expect(keys.slice().sort(compareKeys)).toEqual(['B', 'a', 'é', '\uFF5E', '\u{1F600}']);
  });

  test('without a delimiter: every key under the prefix, sorted', () => {
    const m = listModel(objects('b/2', 'a', 'b/1', 'c/x/y', 'ba'), 'b');
    expect(m.contents.map((o) => o.key)).toEqual(['b/1', 'b/2', 'ba']);
    expect(m.commonPrefixes).toEqual([]);
  });

  test('with a delimiter: keys past the prefix that contain it roll up once into common prefixes', () => {
    const m = listModel(objects('a/1', 'a/2', 'a/b/3', 'top', 'c//d', 'a/b/c/4', 'z/'), '', '/');
    expect(m.contents.map((o) => o.key)).toEqual(['top']);
    expect(m.commonPrefixes).toEqual(['a/', 'c/', 'z/']);
    const a = listModel(objects('a/1', 'a/2', 'a/b/3', 'a/b/c/4', 'a/'), 'a/', '/');
    expect(a.contents.map((o) => o.key)).toEqual(['a/', 'a/1', 'a/2']);
    expect(a.commonPrefixes).toEqual(['a/b/']);
    // The delimiter is looked for after the prefix only, and may be longer than one character.
    const ab = listModel(objects('x--1--2', 'x--3', 'y'), 'x--', '--');
    expect(ab.contents.map((o) => o.key)).toEqual(['x--3']);
    expect(ab.commonPrefixes).toEqual(['x--1--']);
  });

  test('keeps sizes with their keys', () => {
    expect(listModel([{ key: 'k', size: 7 }]).contents).toEqual([{ key: 'k', size: 7 }]);
  });

  test('minimum page count counts keys and common prefixes together', () => {
    const m = listModel(objects('a/1', 'b/1', 'c', 'd', 'e'), '', '/');
    expect(minimumPages(m, 2)).toBe(3);
    expect(minimumPages(m, 5)).toBe(1);
    expect(minimumPages(listModel([]), 10)).toBe(1);
  });
});
