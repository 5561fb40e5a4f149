// What a consistency check can find, and what to do about each kind. Pure: findings are built from
// rows the check read; the check (consistency-check.ts) does the reading and the repairs.
import { chunkNumbers, type StripeLayout } from '../data/stripe-layout.js';

export type FindingKind =
  /** The metadata places a chunk on a node that does not hold it. */
  | 'missing_chunk'
  /** The node holds the chunk at another size than the metadata says. */
  | 'wrong_size'
  /** The metadata places a chunk on one node; another node holds it, at the right size. */
  | 'misplaced_chunk'
  /** A node holds a chunk that no metadata names (and that no deletion is queued for). */
  | 'orphan_chunk'
  /** Two chunks of one file on one node: losing that node costs the file two chunks. */
  | 'duplicate_placement'
  /** A completed file whose chunk rows are not all there. */
  | 'incomplete_file';

export const FINDING_KINDS: readonly FindingKind[] = [
  'missing_chunk',
  'wrong_size',
  'misplaced_chunk',
  'orphan_chunk',
  'duplicate_placement',
  'incomplete_file',
];

export interface Finding {
  kind: FindingKind;
  fileId?: string;
  chunkNumber?: number;
  chunkId?: string;
  nodeId?: number;
  /** Where it is instead (misplaced_chunk). */
  foundOnNodeId?: number;
  detail: string;
  recommendation: string;
  /** With ?repair=true: what was done ('none' when the finding is left alone on purpose). */
  repair?: string;
}

/** Whether an orphan is old enough to delete: younger ones may belong to an upload in flight. */
export function orphanIsStale(modifiedAtMs: number, nowMs: number, graceMs: number): boolean {
  return nowMs - modifiedAtMs >= graceMs;
}

export function missingChunk(row: { fileId: string; chunkNumber: number; chunkId: string; nodeId: number; address: string }): Finding {
  return {
    kind: 'missing_chunk',
    ...pick(row),
    detail: `chunk ${row.chunkNumber} of file ${row.fileId} (${row.chunkId}) should be on node ${row.nodeId} (${row.address}), which does not hold it`,
    recommendation: 'queue a heal: the chunk is rebuilt from the file\'s other chunks',
  };
}

export function wrongSize(row: { fileId: string; chunkNumber: number; chunkId: string; nodeId: number; address: string; expected: number; found: number }): Finding {
  return {
    kind: 'wrong_size',
    ...pick(row),
    detail: `chunk ${row.chunkId} on node ${row.nodeId} (${row.address}) holds ${row.found} bytes, the metadata says ${row.expected}`,
    recommendation: 'queue a heal: the chunk is checked and rebuilt from the file\'s other chunks',
  };
}

export function misplacedChunk(row: { fileId: string; chunkNumber: number; chunkId: string; nodeId: number; foundOnNodeId: number }): Finding {
  return {
    kind: 'misplaced_chunk',
    ...pick(row),
    foundOnNodeId: row.foundOnNodeId,
    detail: `chunk ${row.chunkId} is recorded on node ${row.nodeId} but held (at the right size) by node ${row.foundOnNodeId}`,
    recommendation: `point the chunk's row at node ${row.foundOnNodeId}, where it is (no data moves)`,
  };
}

export function orphanChunk(row: { nodeId: number; address: string; chunkId: string; size: number; ageMs: number; stale: boolean }): Finding {
  const age = `${Math.round(row.ageMs / 1000)} s old`;
  return {
    kind: 'orphan_chunk',
    chunkId: row.chunkId,
    nodeId: row.nodeId,
    detail: `node ${row.nodeId} (${row.address}) holds ${row.chunkId} (${row.size} bytes, ${age}), which no file names`,
    recommendation: row.stale
      ? 'delete it: no file needs it (the janitor deletes such chunks too, after ORPHAN_GRACE_MS)'
      : 'leave it for now: it is younger than ORPHAN_GRACE_MS and may belong to an upload in flight',
  };
}

export function duplicatePlacement(row: { fileId: string; nodeId: number; address: string; chunkNumbers: number[] }): Finding {
  return {
    kind: 'duplicate_placement',
    fileId: row.fileId,
    nodeId: row.nodeId,
    chunkNumber: row.chunkNumbers[1],
    detail: `chunks ${row.chunkNumbers.join(', ')} of file ${row.fileId} are all on node ${row.nodeId} (${row.address})`,
    recommendation: 'move all but one of them to other nodes (a loss of this node would take several chunks of the file)',
  };
}

/** Chunk numbers a completed file should have rows for and has not (empty when none are absent). */
export function absentChunkNumbers(size: number, layout: StripeLayout, present: readonly number[]): number[] {
  const have = new Set(present);
  return chunkNumbers(size, layout).filter((n) => !have.has(n));
}

export function incompleteFile(row: { fileId: string; absent: number[]; parity: number }): Finding {
  const recoverable = row.absent.length <= row.parity;
  return {
    kind: 'incomplete_file',
    fileId: row.fileId,
    detail: `file ${row.fileId} has no rows for chunks ${row.absent.join(', ')}`,
    recommendation: recoverable
      ? 'record the absent chunks as missing and queue a heal: the file can be rebuilt from the chunks it has'
      : `more chunks are absent than the file has parity (${row.parity}): restore the metadata from a backup`,
  };
}

function pick(row: { fileId: string; chunkNumber: number; chunkId: string; nodeId: number }) {
  return { fileId: row.fileId, chunkNumber: row.chunkNumber, chunkId: row.chunkId, nodeId: row.nodeId };
}

/** Findings counted by kind, every kind present (0 when none). */
export function countByKind(findings: readonly Finding[]): Record<FindingKind, number> {
  const counts = Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as Record<FindingKind, number>;
  for (const f of findings) counts[f.kind] += 1;
  return counts;
}
