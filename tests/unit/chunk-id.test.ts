import { describe, expect, test } from 'vitest';
import { chunkIdProblem, chunkRelativePath } from '../../storage-node/chunk-id.js';

describe('chunk ids', () => {
  test('valid and invalid ids', () => {
    for (const ok of ['a', 'A-b_c.d', 'x'.repeat(128), '0b0e4a52-8d7c-4c8e-9a39-1f2e3d4c5b6a.5', '...']) expect(chunkIdProblem(ok)).toBeNull();
    for (const bad of ['', '.', '..', '../x', 'a/b', 'a\\b', 'x'.repeat(129), 'é', 'a b', 'a\0b']) expect(chunkIdProblem(bad)).not.toBeNull();
  });
  test('paths stay two shard folders deep below chunks/', () => {
    const p = chunkRelativePath('abc');
    expect(p).toMatch(/^chunks\/[0-9a-f]{2}\/[0-9a-f]{2}\/abc$/);
    expect(chunkRelativePath('abc')).toBe(p);
  });
});
