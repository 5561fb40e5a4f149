// The pure parts of the consistency check: which chunk rows a file should have, when an orphan is
// old enough to delete, and the counts of a report.
import { describe, expect, it } from 'vitest';
import { absentChunkNumbers, countByKind, incompleteFile, missingChunk, orphanChunk, orphanIsStale } from '../../gateway/cluster/consistency-findings.js';

const layout = { unit: 1024, width: 4, parity: 2 };

describe('absentChunkNumbers', () => {
  it('follows the stripe layout: data chunks per unit up to k, parity for a non-empty file', () => {
    expect(absentChunkNumbers(0, layout, [])).toEqual([]);
    expect(absentChunkNumbers(1, layout, [])).toEqual([0, 4, 5]);
    expect(absentChunkNumbers(3 * 1024, layout, [0, 1, 2, 4, 5])).toEqual([]);
    expect(absentChunkNumbers(3 * 1024 + 1, layout, [0, 1, 2, 4, 5])).toEqual([3]);
    expect(absentChunkNumbers(100 * 1024, layout, [0, 2, 3, 4])).toEqual([1, 5]);
    expect(absentChunkNumbers(100 * 1024, { unit: 1024, width: 4 }, [0, 1, 2, 3])).toEqual([]);
  });
});

describe('orphans', () => {
  it('are stale from ORPHAN_GRACE_MS on, and the recommendation says what to do', () => {
    expect(orphanIsStale(1_000, 60_999, 60_000)).toBe(false);
    expect(orphanIsStale(1_000, 61_000, 60_000)).toBe(true);
    const row = { nodeId: 3, address: '127.0.0.1:50053', chunkId: 'x.0', size: 10, ageMs: 90_000 };
    expect(orphanChunk({ ...row, stale: true }).recommendation).toMatch(/^delete it/);
    expect(orphanChunk({ ...row, stale: false }).recommendation).toMatch(/^leave it/);
    expect(orphanChunk({ ...row, stale: true }).detail).toBe('node 3 (127.0.0.1:50053) holds x.0 (10 bytes, 90 s old), which no file names');
  });
});

describe('reports', () => {
  it('count every kind, 0 when absent; an incomplete file beyond its parity is not repairable from the cluster', () => {
    const f = missingChunk({ fileId: 'f', chunkNumber: 1, chunkId: 'f.1', nodeId: 2, address: 'a' });
    expect(countByKind([f, f])).toEqual({ missing_chunk: 2, wrong_size: 0, misplaced_chunk: 0, orphan_chunk: 0, duplicate_placement: 0, incomplete_file: 0 });
    expect(incompleteFile({ fileId: 'f', absent: [1, 2], parity: 2 }).recommendation).toMatch(/queue a heal/);
    expect(incompleteFile({ fileId: 'f', absent: [1, 2, 3], parity: 2 }).recommendation).toMatch(/restore the metadata/);
  });
});
