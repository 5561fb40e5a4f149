// All SQL of self-repair: the heal queue (claimed with leases and SKIP LOCKED), the switch of a
// rebuilt chunk to its new node, heal history, scrub passes and the redundancy report.
import type pg from 'pg';
import { inTransaction } from './metadata.js';
import type { MovableChunk } from '../cluster/rebalance-plan.js';

export interface HealJob {
  fileId: string;
  chunkNumbers: number[]; // to rebuild
  moveNumbers: number[]; // to move off their node (drain, rebalance)
  reason: string;
  attempts: number;
}

export interface ChunkMove {
  kind: 'heal' | 'move';
  chunkNumber: number;
  fromNode: number | null;
  toNode: number;
  size: number;
}

export interface ScrubRun {
  id: number;
  startedAt: Date;
  finishedAt: Date | null;
  cursorFileId: string | null;
  cursorChunk: number | null;
  chunksChecked: number;
  bytesChecked: number;
  problemsFound: number;
}

export interface ScrubChunk {
  fileId: string;
  chunkNumber: number;
  chunkId: string;
  nodeId: number | null;
  address: string | null;
  size: number;
  state: string;
}

export interface RedundancyReport {
  files: number;
  fully_redundant: number;
  degraded: { missing_chunks: number; files: number; bytes: number }[];
  unreadable: number;
  bytes_at_risk: number;
  heal_queue: { files: number; chunks: number; due: number; claimed: number };
  heals: { done: number; failed: number; bytes: number; last_at: Date | null }; // chunks rebuilt (failed: rebuilds and moves)
  moves: { done: number; bytes: number }; // chunks moved by drains and rebalancing
}

/** How many due files a claim compares by lost chunks. */
const CLAIM_WINDOW = 1000;

const ms = (n: number): string => `${Math.max(0, Math.round(n))} milliseconds`;

/** Chunks on a node that is down or dead, or not in state ok, do not count as surviving. */
const LOST = `NOT (c.state = 'ok' AND n.status IS NOT NULL AND n.status NOT IN ('down', 'dead'))`;

/**
 * Files that have lost chunks, grouped by how many and by their parity. Starts from the lost chunks
 * (chunks_not_ok_idx, and the chunks of down or dead nodes by chunks_node_idx), so it costs next to
 * nothing while the cluster is healthy, whatever the number of files; the join of every file with
 * its chunks it replaces took 4 s at a million files, and ran every ALERT_POLL_MS. Same rule as LOST:
 * a chunk in state ok always has a node (chunks_ok_has_node), and that node exists (foreign key).
 */
export const LOSS_GROUPS = `
  WITH lost_chunks AS (
    SELECT file_id, chunk_number FROM chunks WHERE state <> 'ok'
    UNION
    SELECT c.file_id, c.chunk_number FROM chunks c JOIN storage_nodes n ON n.id = c.node_id
    WHERE n.status IN ('down', 'dead')),
  per_file AS (SELECT file_id, count(*)::int AS lost FROM lost_chunks GROUP BY file_id)
  SELECT p.lost, f.parity_width AS parity, count(*)::int8 AS files, COALESCE(sum(f.size), 0)::int8 AS bytes
  FROM per_file p JOIN files f ON f.id = p.file_id AND f.status = 'completed'
  GROUP BY p.lost, f.parity_width ORDER BY p.lost`;

/** A row of LOSS_GROUPS: how many completed files (and their bytes) with this parity lost `lost` chunks. */
interface LossGroup {
  lost: number;
  parity: number;
  files: number;
  bytes: number;
}

function scrubRun(r: Record<string, unknown>): ScrubRun {
  return {
    id: Number(r.id),
    startedAt: r.started_at as Date,
    finishedAt: (r.finished_at as Date | null) ?? null,
    cursorFileId: (r.cursor_file_id as string | null) ?? null,
    cursorChunk: (r.cursor_chunk as number | null) ?? null,
    chunksChecked: Number(r.chunks_checked),
    bytesChecked: Number(r.bytes_checked),
    problemsFound: Number(r.problems_found),
  };
}

export class RepairStore {
  constructor(private readonly pool: pg.Pool) {}

  // ---- the heal queue ----

  /** Queues chunks of a completed file for healing (merged with what is queued already). */
  async queueHeal(fileId: string, chunkNumbers: number[], reason: string, delayMs = 0): Promise<void> {
    if (chunkNumbers.length === 0) return;
    await this.pool.query(
      `INSERT INTO heal_queue (file_id, chunk_numbers, reason, next_attempt_at)
       SELECT f.id, $2::int[], $3, now() + $4::interval FROM files f WHERE f.id = $1 AND f.status = 'completed'
       ON CONFLICT (file_id) DO UPDATE
         SET chunk_numbers = ARRAY(SELECT DISTINCT x FROM unnest(heal_queue.chunk_numbers || EXCLUDED.chunk_numbers) x ORDER BY x),
             reason = EXCLUDED.reason,
             next_attempt_at = LEAST(heal_queue.next_attempt_at, EXCLUDED.next_attempt_at)`,
      [fileId, chunkNumbers, reason.slice(0, 500), ms(delayMs)],
    );
  }

  /** Queues chunks of a completed file to be moved off their node (copied, checked, switched, deleted). */
  async queueMoves(fileId: string, chunkNumbers: number[], reason: string): Promise<void> {
    if (chunkNumbers.length === 0) return;
    await this.pool.query(
      `INSERT INTO heal_queue (file_id, move_numbers, reason)
       SELECT f.id, $2::int[], $3 FROM files f WHERE f.id = $1 AND f.status = 'completed'
       ON CONFLICT (file_id) DO UPDATE
         SET move_numbers = ARRAY(SELECT DISTINCT x FROM unnest(heal_queue.move_numbers || EXCLUDED.move_numbers) x ORDER BY x),
             reason = EXCLUDED.reason`,
      [fileId, chunkNumbers, reason.slice(0, 500)],
    );
  }

  /**
   * Queues every chunk a node holds: to rebuild (the node is dead) or to move (it is draining).
   * Returns the number of files queued.
   */
  async queueNodeChunks(nodeId: number, reason: string, kind: 'heal' | 'move'): Promise<number> {
    const column = kind === 'heal' ? 'chunk_numbers' : 'move_numbers';
    const r = await this.pool.query(
      `INSERT INTO heal_queue (file_id, ${column}, reason)
       SELECT c.file_id, array_agg(c.chunk_number ORDER BY c.chunk_number), $2
       FROM chunks c JOIN files f ON f.id = c.file_id AND f.status = 'completed'
       WHERE c.node_id = $1 GROUP BY c.file_id
       ON CONFLICT (file_id) DO UPDATE
         SET ${column} = ARRAY(SELECT DISTINCT x FROM unnest(heal_queue.${column} || EXCLUDED.${column}) x ORDER BY x),
             reason = EXCLUDED.reason, next_attempt_at = LEAST(heal_queue.next_attempt_at, now())`,
      [nodeId, reason.slice(0, 500)],
    );
    return r.rowCount ?? 0;
  }

  /**
   * Claims, among the CLAIM_WINDOW longest-due files, the one that has lost the most chunks (the
   * closest to being lost) for `leaseMs`.
   * SKIP LOCKED keeps two gateways claiming at the same moment from waiting on, or taking, one row.
   */
  async claimHeal(claimant: string, leaseMs: number): Promise<HealJob | null> {
    const r = await this.pool.query<{ file_id: string; chunk_numbers: number[]; move_numbers: number[]; reason: string; attempts: number }>(
      `WITH pick AS (
         SELECT q.file_id FROM heal_queue q
         WHERE q.file_id IN (
             -- Priorities are counted for the longest-due files only, so a claim stays cheap
             -- however long the queue (a node holding a million files may die).
             SELECT d.file_id FROM heal_queue d
             WHERE d.next_attempt_at <= now() AND (d.claimed_until IS NULL OR d.claimed_until < now())
             ORDER BY d.next_attempt_at LIMIT ${CLAIM_WINDOW})
           AND q.next_attempt_at <= now() AND (q.claimed_until IS NULL OR q.claimed_until < now())
         ORDER BY (SELECT count(*) FROM chunks c LEFT JOIN storage_nodes n ON n.id = c.node_id
                   WHERE c.file_id = q.file_id AND (${LOST} OR c.chunk_number = ANY (q.chunk_numbers))) DESC,
                  q.queued_at
         LIMIT 1 FOR UPDATE OF q SKIP LOCKED)
       UPDATE heal_queue q SET claimed_by = $1, claimed_until = now() + $2::interval, attempts = q.attempts + 1
       FROM pick WHERE q.file_id = pick.file_id
       RETURNING q.file_id, q.chunk_numbers, q.move_numbers, q.reason, q.attempts`,
      [claimant, ms(leaseMs)],
    );
    const row = r.rows[0];
    if (!row) return null;
    return { fileId: row.file_id, chunkNumbers: row.chunk_numbers, moveNumbers: row.move_numbers, reason: row.reason, attempts: row.attempts };
  }

  /** Makes every unclaimed queued file due now (a node came back or joined: waiting chunks may have a place). */
  async retryAllNow(): Promise<void> {
    await this.pool.query(
      `UPDATE heal_queue SET next_attempt_at = now() WHERE next_attempt_at > now() AND (claimed_until IS NULL OR claimed_until < now())`,
    );
  }

  /** Extends a claim; false when it was lost (it ran out and another gateway took the file). */
  async renewClaim(fileId: string, claimant: string, leaseMs: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE heal_queue SET claimed_until = now() + $3::interval WHERE file_id = $1 AND claimed_by = $2`,
      [fileId, claimant, ms(leaseMs)],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /**
   * Gives a claim back. `done` chunk numbers leave the queue (the row goes when none is left); the
   * rest are tried again after `retryMs`.
   */
  async releaseClaim(fileId: string, claimant: string, done: number[], retryMs: number, error: string | null): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      const r = await c.query<{ left: number }>(
        `UPDATE heal_queue
         SET chunk_numbers = ARRAY(SELECT x FROM unnest(chunk_numbers) x WHERE NOT (x = ANY ($3::int[])) ORDER BY x),
             move_numbers = ARRAY(SELECT x FROM unnest(move_numbers) x WHERE NOT (x = ANY ($3::int[])) ORDER BY x),
             claimed_by = NULL, claimed_until = NULL, next_attempt_at = now() + $4::interval, last_error = $5,
             attempts = CASE WHEN $5::text IS NULL THEN 0 ELSE attempts END
         WHERE file_id = $1 AND claimed_by = $2
         RETURNING cardinality(chunk_numbers) + cardinality(move_numbers) AS left`,
        [fileId, claimant, done, ms(retryMs), error?.slice(0, 500) ?? null],
      );
      if (r.rows[0]?.left === 0) await c.query('DELETE FROM heal_queue WHERE file_id = $1 AND claimed_by IS NULL', [fileId]);
    });
  }

  /** Marks chunks about to be rebuilt, so that reads leave them alone meanwhile. */
  async markHealing(fileId: string, chunkNumbers: number[]): Promise<void> {
    await this.pool.query(
      `UPDATE chunks SET state = 'healing' WHERE file_id = $1 AND chunk_number = ANY ($2::int[])`,
      [fileId, chunkNumbers],
    );
  }

  /** A rebuild that failed: the chunks stay untrusted ('missing') until a later attempt succeeds. */
  async markMissing(fileId: string, chunkNumbers: number[]): Promise<void> {
    await this.pool.query(
      `UPDATE chunks SET state = 'missing' WHERE file_id = $1 AND chunk_number = ANY ($2::int[]) AND state = 'healing'`,
      [fileId, chunkNumbers],
    );
  }

  /**
   * Points rebuilt chunks at their new nodes, in one transaction with the deletion of the old
   * copies (queued), the end of their faults and the heal history. Returns the moves that could not
   * be applied because the file or the chunk row is gone (deleted meanwhile) or points elsewhere
   * now: their new copies are to be deleted instead.
   */
  async switchChunks(fileId: string, moves: ChunkMove[], claimant: string): Promise<ChunkMove[]> {
    return inTransaction(this.pool, async (c) => {
      const file = await c.query('SELECT id FROM files WHERE id = $1 FOR UPDATE', [fileId]);
      const orphaned: ChunkMove[] = [];
      for (const move of moves) {
        const updated =
          file.rowCount === 0
            ? { rows: [] as { chunk_id: string }[] }
            : await c.query<{ chunk_id: string }>(
                `UPDATE chunks SET node_id = $3, state = 'ok', size = $4
                 WHERE file_id = $1 AND chunk_number = $2 AND node_id IS NOT DISTINCT FROM $5
                 RETURNING chunk_id`,
                [fileId, move.chunkNumber, move.toNode, move.size, move.fromNode],
              );
        const chunkId = updated.rows[0]?.chunk_id;
        if (!chunkId) {
          // Gone, or moved by someone else meanwhile (a lease that ran out). If it now points at the
          // node this copy went to, that copy is the chunk: it must not be deleted.
          const now = await c.query<{ node_id: number | null }>('SELECT node_id FROM chunks WHERE file_id = $1 AND chunk_number = $2', [
            fileId,
            move.chunkNumber,
          ]);
          if (now.rows[0]?.node_id !== move.toNode) orphaned.push(move);
          continue;
        }
        if (move.fromNode !== null && move.fromNode !== move.toNode) {
          await c.query(
            `INSERT INTO chunk_deletions (node_id, chunk_id) VALUES ($1, $2)
             ON CONFLICT (node_id, chunk_id) DO UPDATE SET next_attempt_at = now()`,
            [move.fromNode, chunkId],
          );
        }
        await c.query('DELETE FROM chunk_faults WHERE file_id = $1 AND chunk_number = $2', [fileId, move.chunkNumber]);
        await c.query(
          `INSERT INTO heal_events (file_id, chunk_number, from_node, to_node, kind, healed_by, ok, bytes)
           VALUES ($1, $2, $3, $4, $5, $6, true, $7)`,
          [fileId, move.chunkNumber, move.fromNode, move.toNode, move.kind, claimant, move.size],
        );
      }
      return orphaned;
    });
  }

  async recordHealFailure(fileId: string, chunkNumbers: number[], claimant: string, error: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO heal_events (file_id, chunk_number, healed_by, ok, error)
       SELECT $1, unnest($2::int[]), $3, false, $4`,
      [fileId, chunkNumbers, claimant, error.slice(0, 500)],
    );
  }

  /** Nodes that a copy of `chunkId` may still be deleted from (not safe targets for a rebuild). */
  async pendingDeletionNodes(chunkIds: string[]): Promise<Map<string, Set<number>>> {
    const r = await this.pool.query<{ chunk_id: string; node_id: number }>(
      'SELECT chunk_id, node_id FROM chunk_deletions WHERE chunk_id = ANY ($1::text[])',
      [chunkIds],
    );
    const map = new Map<string, Set<number>>();
    for (const row of r.rows) {
      if (!map.has(row.chunk_id)) map.set(row.chunk_id, new Set());
      map.get(row.chunk_id)!.add(row.node_id);
    }
    return map;
  }

  // ---- rebalancing ----

  /** Chunks on the given nodes that could be moved (ok, their file not queued already), with their file's nodes. */
  async movableChunks(nodeIds: number[], limit: number): Promise<MovableChunk[]> {
    const r = await this.pool.query<{ file_id: string; chunk_number: number; node_id: number; size: number; file_nodes: number[] }>(
      `SELECT c.file_id, c.chunk_number, c.node_id, c.size,
              ARRAY(SELECT o.node_id FROM chunks o WHERE o.file_id = c.file_id AND o.node_id IS NOT NULL) AS file_nodes
       FROM chunks c JOIN files f ON f.id = c.file_id AND f.status = 'completed'
       WHERE c.node_id = ANY ($1::int[]) AND c.state = 'ok'
         AND NOT EXISTS (SELECT 1 FROM heal_queue q WHERE q.file_id = c.file_id)
       ORDER BY c.size DESC LIMIT $2`,
      [nodeIds, limit],
    );
    return r.rows.map((x) => ({ fileId: x.file_id, chunkNumber: x.chunk_number, nodeId: x.node_id, bytes: x.size, fileNodes: x.file_nodes }));
  }

  /** Chunks queued to move (drain, rebalance) and not moved yet. */
  async queuedMoves(): Promise<number> {
    const r = await this.pool.query<{ n: number }>('SELECT COALESCE(sum(cardinality(move_numbers)), 0)::int8 AS n FROM heal_queue');
    return r.rows[0]!.n;
  }

  // ---- scrubbing ----

  /**
   * The scrub pass to work on: the unfinished one (if its lease is free), or a new one when the
   * last finished at least `intervalMs` ago. Null: nothing to do now, or another gateway scrubs.
   */
  async claimScrub(claimant: string, leaseMs: number, intervalMs: number): Promise<ScrubRun | null> {
    return inTransaction(this.pool, async (c) => {
      await c.query('LOCK TABLE scrub_runs IN SHARE ROW EXCLUSIVE MODE');
      const open = await c.query('SELECT * FROM scrub_runs WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1');
      const current = open.rows[0] as Record<string, unknown> | undefined;
      if (current) {
        const until = current.claimed_until as Date | null;
        if (current.claimed_by !== claimant && until && until.getTime() > Date.now()) return null;
        const r = await c.query(
          `UPDATE scrub_runs SET claimed_by = $2, claimed_until = now() + $3::interval WHERE id = $1 RETURNING *`,
          [current.id, claimant, ms(leaseMs)],
        );
        return scrubRun(r.rows[0] as Record<string, unknown>);
      }
      const last = await c.query<{ finished_at: Date }>(
        `SELECT finished_at FROM scrub_runs WHERE finished_at > now() - $1::interval LIMIT 1`,
        [ms(intervalMs)],
      );
      if (last.rowCount) return null;
      const r = await c.query(
        `INSERT INTO scrub_runs (claimed_by, claimed_until) VALUES ($1, now() + $2::interval) RETURNING *`,
        [claimant, ms(leaseMs)],
      );
      return scrubRun(r.rows[0] as Record<string, unknown>);
    });
  }

  /** The next chunks of completed files after the cursor, in (file_id, chunk_number) order. */
  async chunksAfter(fileId: string | null, chunkNumber: number | null, limit: number): Promise<ScrubChunk[]> {
    const r = await this.pool.query<{
      file_id: string;
      chunk_number: number;
      chunk_id: string;
      node_id: number | null;
      address: string | null;
      size: number;
      state: string;
    }>(
      `SELECT c.file_id, c.chunk_number, c.chunk_id, c.node_id, n.address, c.size, c.state
       FROM chunks c JOIN files f ON f.id = c.file_id AND f.status = 'completed'
       LEFT JOIN storage_nodes n ON n.id = c.node_id
       WHERE $1::uuid IS NULL OR (c.file_id, c.chunk_number) > ($1::uuid, $2::int)
       ORDER BY c.file_id, c.chunk_number LIMIT $3`,
      [fileId, chunkNumber ?? -1, limit],
    );
    return r.rows.map((x) => ({
      fileId: x.file_id,
      chunkNumber: x.chunk_number,
      chunkId: x.chunk_id,
      nodeId: x.node_id,
      address: x.address,
      size: x.size,
      state: x.state,
    }));
  }

  /** Moves the cursor on and renews the lease; false when the lease was lost. */
  async scrubProgress(
    runId: number,
    claimant: string,
    leaseMs: number,
    step: { cursor: ScrubChunk | null; chunks: number; bytes: number; problems: number; finished: boolean },
  ): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE scrub_runs SET
         cursor_file_id = COALESCE($4, cursor_file_id), cursor_chunk = COALESCE($5, cursor_chunk),
         chunks_checked = chunks_checked + $6, bytes_checked = bytes_checked + $7, problems_found = problems_found + $8,
         finished_at = CASE WHEN $9 THEN now() ELSE NULL END,
         claimed_until = CASE WHEN $9 THEN NULL ELSE now() + $3::interval END,
         claimed_by = CASE WHEN $9 THEN NULL ELSE claimed_by END
       WHERE id = $1 AND claimed_by = $2`,
      [
        runId,
        claimant,
        ms(leaseMs),
        step.cursor?.fileId ?? null,
        step.cursor?.chunkNumber ?? null,
        step.chunks,
        step.bytes,
        step.problems,
        step.finished,
      ],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async scrubRuns(): Promise<{ current: ScrubRun | null; last: ScrubRun | null; totalChunks: number }> {
    const [current, last, total] = await Promise.all([
      this.pool.query('SELECT * FROM scrub_runs WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1'),
      this.pool.query('SELECT * FROM scrub_runs WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1'),
      this.pool.query<{ n: number }>(
        `SELECT count(*)::int8 AS n FROM chunks c JOIN files f ON f.id = c.file_id AND f.status = 'completed'`,
      ),
    ]);
    const run = (rows: unknown[]): ScrubRun | null => (rows[0] ? scrubRun(rows[0] as Record<string, unknown>) : null);
    return { current: run(current.rows), last: run(last.rows), totalChunks: total.rows[0]!.n };
  }

  // ---- the report ----

  private lossGroups(): Promise<LossGroup[]> {
    return this.pool.query<LossGroup>(LOSS_GROUPS).then((r) => r.rows);
  }

  private async healQueueFigures(): Promise<RedundancyReport['heal_queue']> {
    const r = await this.pool.query<{ files: number; chunks: number; due: number; claimed: number }>(
      `SELECT count(*)::int8 AS files, COALESCE(sum(cardinality(chunk_numbers)), 0)::int8 AS chunks,
              count(*) FILTER (WHERE next_attempt_at <= now())::int8 AS due,
              count(*) FILTER (WHERE claimed_until > now())::int8 AS claimed
       FROM heal_queue`,
    );
    return r.rows[0]!;
  }

  private async healFigures(): Promise<Pick<RedundancyReport, 'heals' | 'moves'>> {
    const r = await this.pool.query<{ done: number; failed: number; bytes: number; last_at: Date | null; moved: number; moved_bytes: number }>(
      `SELECT count(*) FILTER (WHERE ok AND kind = 'heal')::int8 AS done, count(*) FILTER (WHERE NOT ok)::int8 AS failed,
              COALESCE(sum(bytes) FILTER (WHERE ok AND kind = 'heal'), 0)::int8 AS bytes,
              max(at) FILTER (WHERE kind = 'heal') AS last_at,
              count(*) FILTER (WHERE ok AND kind = 'move')::int8 AS moved,
              COALESCE(sum(bytes) FILTER (WHERE ok AND kind = 'move'), 0)::int8 AS moved_bytes
       FROM heal_events`,
    );
    const h = r.rows[0]!;
    return { heals: { done: h.done, failed: h.failed, bytes: h.bytes, last_at: h.last_at }, moves: { done: h.moved, bytes: h.moved_bytes } };
  }

  /** What the alert watcher polls for: the report without the count of every file (a scan of them all). */
  async alertFigures(): Promise<Pick<RedundancyReport, 'unreadable' | 'heal_queue' | 'heals' | 'moves'>> {
    const [groups, queue, heals] = await Promise.all([this.lossGroups(), this.healQueueFigures(), this.healFigures()]);
    const unreadable = groups.filter((g) => g.lost > g.parity).reduce((a, g) => a + g.files, 0);
    return { unreadable, heal_queue: queue, ...heals };
  }

  async redundancy(): Promise<RedundancyReport> {
    const [total, groups, queue, heals] = await Promise.all([
      this.pool.query<{ files: number }>(`SELECT count(*)::int8 AS files FROM files WHERE status = 'completed'`),
      this.lossGroups(),
      this.healQueueFigures(),
      this.healFigures(),
    ]);
    const files = total.rows[0]!.files;
    const degraded = new Map<number, { files: number; bytes: number }>();
    let unreadable = 0;
    let atRisk = 0;
    let withLoss = 0;
    for (const r of groups) {
      withLoss += r.files;
      atRisk += r.bytes;
      if (r.lost > r.parity) unreadable += r.files;
      else {
        const d = degraded.get(r.lost) ?? { files: 0, bytes: 0 };
        degraded.set(r.lost, { files: d.files + r.files, bytes: d.bytes + r.bytes });
      }
    }
    return {
      files,
      fully_redundant: files - withLoss,
      degraded: [...degraded].sort(([a], [b]) => a - b).map(([missing, d]) => ({ missing_chunks: missing, ...d })),
      unreadable,
      bytes_at_risk: atRisk,
      heal_queue: queue,
      ...heals,
    };
  }
}
