import { describe, expect, test } from 'vitest';
import { chooseReadSources, type SourceCandidate } from '../../gateway/data/read-sources.js';

const all = (k: number, m: number, patch: Partial<Record<number, Partial<SourceCandidate>>> = {}): SourceCandidate[] =>
  Array.from({ length: k + m }, (_, chunk) => ({ chunk, present: true, usable: true, busy: 0, ...patch[chunk] }));

describe('degraded read sources', () => {
  test('data chunks first: a healthy file reads its k data chunks', () => {
    expect(chooseReadSources(4, all(4, 2))).toEqual({ sources: [0, 1, 2, 3], lost: [] });
  });

  test('a lost data chunk is replaced by the parity chunk on the least busy node', () => {
    const c = all(4, 2, { 1: { usable: false }, 4: { busy: 3 }, 5: { busy: 1 } });
    expect(chooseReadSources(4, c)).toEqual({ sources: [0, 2, 3, 5], lost: [1] });
    const tie = all(4, 2, { 2: { usable: false } });
    expect(chooseReadSources(4, tie).sources).toEqual([0, 1, 3, 4]);
  });

  test('data chunks past the end of a small file count as zeros, not as lost', () => {
    const small = all(4, 2, { 1: { present: false, usable: false }, 2: { present: false, usable: false }, 3: { present: false, usable: false }, 0: { usable: false } });
    expect(chooseReadSources(4, small)).toEqual({ sources: [1, 2, 3, 4], lost: [0] });
  });

  test('more than m lost: fewer than k sources, every lost chunk named', () => {
    const c = all(4, 2, { 0: { usable: false }, 3: { usable: false }, 5: { usable: false } });
    const r = chooseReadSources(4, c);
    expect(r.sources.length).toBe(3);
    expect(r.lost).toEqual([0, 3, 5]);
  });
});
