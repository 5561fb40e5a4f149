// Heals one file claimed from the heal queue: decides per queued chunk whether it is really lost
// (VerifyChunk when its node answers), rebuilds the lost ones and copies the ones to move onto nodes
// that hold no other chunk of the file, checks what the nodes hold, and switches the metadata in one
// transaction (old copies go through the deletion queue, then are deleted at once where possible).
import type { ErasureCoder } from '../data/erasure-code.js';
import { rebuildChunks, type FileDigest } from '../data/chunk-rebuilder.js';
import { chunkLength } from '../data/stripe-layout.js';
import type { Throttle } from '../data/throttle.js';
import type { ChunkRow, Metadata } from '../metadata/metadata.js';
import type { ChunkMove, HealJob, RepairStore } from '../metadata/repair-store.js';
import { checkChunk } from './chunk-check.js';
import type { ChunkDeleter } from './chunk-deleter.js';
import { chooseRebuildTargets, triage } from './heal-plan.js';
import type { NodeClient } from './node-client.js';
import type { NodeRegistry } from './node-registry.js';
import { healEnded } from '../metrics/repair-metrics.js';
import { log } from '../../proto/log.js';

/** What became of a claimed file: chunks done with (healed, moved, or found intact), and when to look again. */
export interface HealOutcome {
  done: number[];
  retryMs: number;
  failure: string | null;
}

/** Where a rebuilt or moved chunk goes, and where it was. */
interface Target {
  kind: 'heal' | 'move';
  nodeId: number;
  client: NodeClient;
  chunkId: string;
  fromNode: number | null;
  fromAddress: string | null;
}

/** 1 s after the first failed attempt, doubling, at most 5 minutes. */
export const retryAfterFailure = (attempts: number): number => Math.min(300_000, 1000 * 2 ** Math.min(Math.max(0, attempts - 1), 9));

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class FileHealer {
  constructor(
    private readonly metadata: Metadata,
    private readonly store: RepairStore,
    private readonly registry: NodeRegistry,
    private readonly deleter: ChunkDeleter,
    private readonly coder: (k: number, m: number) => ErasureCoder,
    private readonly throttle: Throttle,
    private readonly settings: { claimant: string; stallMs: number; deadAfterMs: number },
  ) {}

  /**
   * Rebuilds the file's lost chunks and moves the chunks queued for moving. A failed rebuild is
   * recorded and answered with a retry; it throws only when it failed before writing anything.
   */
  async heal(job: HealJob, signal: AbortSignal): Promise<HealOutcome> {
    const done: number[] = [];
    let rebuilding: number[] = [];
    let waitFor = 0;
    const targets = new Map<number, Target>();
    try {
      const file = await this.metadata.getFile(job.fileId);
      const digest: FileDigest | null = file?.checksum
        ? { algorithm: 'sha256', hex: file.checksum }
        : file?.md5
          ? { algorithm: 'md5', hex: file.md5 }
          : null;
      if (!file || file.status !== 'completed' || !digest) {
        done.push(...job.chunkNumbers, ...job.moveNumbers);
        return { done, retryMs: 0, failure: null };
      }
      const chunks = await this.metadata.getChunks(job.fileId);
      const byNumber = new Map(chunks.map((c) => [c.chunk_number, c]));
      // Queued chunks, and any other chunk the metadata already knows is not there.
      const lost = new Set([...job.chunkNumbers, ...chunks.filter((c) => c.state !== 'ok').map((c) => c.chunk_number)]);
      const rebuild: ChunkRow[] = [];
      const move: ChunkRow[] = [];
      for (const n of new Set([...lost, ...job.moveNumbers])) {
        const chunk = byNumber.get(n);
        if (!chunk) {
          done.push(n); // not a chunk of this file (a small file has fewer)
          continue;
        }
        const verdict = triage(
          { chunkNumber: n, nodeId: chunk.node_id, state: chunk.state },
          chunk.node_id === null ? undefined : this.registry.view(chunk.node_id),
        );
        if (verdict === 'rebuild') rebuild.push(chunk);
        else if (verdict === 'wait') waitFor = this.waitRetryMs();
        else if (!lost.has(n)) move.push(chunk); // read while it is copied: the copy is checked after
        else {
          try {
            const condition = await checkChunk(this.registry.clientFor(chunk.node_id!, chunk.address!), chunk.chunk_id, chunk.size);
            if (condition.intact) done.push(n); // a false alarm: the node has it
            else rebuild.push(chunk);
          } catch {
            waitFor = this.waitRetryMs(); // the node could not be asked: ask again later
          }
        }
      }
      if (rebuild.length === 0 && move.length === 0) return { done, retryMs: waitFor, failure: null };

      const pending = await this.store.pendingDeletionNodes([...rebuild, ...move].map((c) => c.chunk_id));
      const layout = { unit: file.stripe_unit, width: file.stripe_width, parity: file.parity_width };
      const leaving = new Set([...rebuild, ...move].map((c) => c.chunk_number));
      const avoid = (c: ChunkRow, moving: boolean): Set<number> => {
        const nodes = new Set([...(pending.get(c.chunk_id) ?? [])].filter((id) => id !== c.node_id));
        if (moving && c.node_id !== null) for (const id of this.registry.aliasesOf(c.node_id)) nodes.add(id); // a move goes elsewhere
        return nodes;
      };
      const plan = chooseRebuildTargets(
        // A node registered under several addresses holds the kept chunk under each of them.
        chunks
          .filter((c) => !leaving.has(c.chunk_number))
          .flatMap((c) =>
            (c.node_id === null ? [null] : this.registry.aliasesOf(c.node_id)).map((nodeId) => ({ chunkNumber: c.chunk_number, nodeId, state: c.state })),
          ),
        [
          ...rebuild.map((c) => ({ chunkNumber: c.chunk_number, bytes: chunkLength(file.size, c.chunk_number, layout), avoid: avoid(c, false) })),
          ...move.map((c) => ({ chunkNumber: c.chunk_number, bytes: chunkLength(file.size, c.chunk_number, layout), avoid: avoid(c, true) })),
        ],
        this.registry.candidates(),
      );
      const rebuildNumbers = new Set(rebuild.map((c) => c.chunk_number));
      for (const [n, nodeId] of plan) {
        const chunk = byNumber.get(n)!;
        if (nodeId === null) waitFor = this.waitRetryMs(); // no writable node for it now
        else {
          targets.set(n, {
            kind: rebuildNumbers.has(n) ? 'heal' : 'move',
            nodeId,
            client: this.registry.client(nodeId),
            chunkId: chunk.chunk_id,
            fromNode: chunk.node_id,
            fromAddress: chunk.address,
          });
        }
      }
      if (targets.size === 0) return { done, retryMs: waitFor, failure: null };
      rebuilding = [...targets.keys()];
      const healing = rebuilding.filter((n) => rebuildNumbers.has(n));
      if (healing.length > 0) await this.store.markHealing(file.id, healing);
      const sizes = await rebuildChunks(
        file,
        digest,
        chunks,
        new Map([...targets].map(([n, t]) => [n, t.client])),
        new Set(healing),
        {
          access: this.registry,
          coder: this.coder,
          stallMs: this.settings.stallMs,
          throttle: this.throttle,
          signal: signal,
        },
      );
      // What the nodes hold now is what was sent: ask each before the metadata points at it.
      for (const [n, t] of targets) {
        const condition = await checkChunk(t.client, t.chunkId, sizes.get(n)!);
        if (!condition.intact) throw new Error(`rebuilt chunk ${n}: ${condition.problem}`);
      }
      const moves: ChunkMove[] = [...targets].map(([n, t]) => ({
        kind: t.kind,
        chunkNumber: n,
        fromNode: t.fromNode,
        toNode: t.nodeId,
        size: sizes.get(n)!,
      }));
      const orphaned = await this.store.switchChunks(file.id, moves, this.settings.claimant);
      done.push(...rebuilding);
      rebuilding = [];
      if (orphaned.length > 0) {
        // The file was deleted while it was healed: its new copies go too.
        await this.metadata.queueDeletions(orphaned.map((m) => ({ nodeId: m.toNode, chunkId: targets.get(m.chunkNumber)!.chunkId })), 0);
      }
      for (const m of moves) if (!orphaned.includes(m)) this.registry.stored(m.toNode, m.size);
      for (const m of moves) healEnded(m.kind, 'done', m.size);
      // The old copies were queued for deletion with the switch; delete them now where their node answers.
      await this.deleter.deleteNow(
        [...targets.values()]
          .filter((t) => t.fromNode !== null && t.fromAddress !== null && t.fromNode !== t.nodeId)
          .map((t) => ({ nodeId: t.fromNode!, address: t.fromAddress!, chunkId: t.chunkId })),
      );
      log.info(
        `healer: file ${file.id}: ${moves.map((m) => `${m.kind === 'heal' ? 'rebuilt' : 'moved'} chunk ${m.chunkNumber} to node ${m.toNode}`).join(', ')}`,
      );
      return { done, retryMs: waitFor, failure: null };
    } catch (err) {
      if (rebuilding.length === 0) throw err;
      await this.failed(job, rebuilding, targets, err);
      log.error(`healer: file ${job.fileId}: ${errorText(err)}`);
      return { done, retryMs: retryAfterFailure(job.attempts), failure: errorText(err) };
    }
  }

  /**
   * A failed rebuild: the chunks stay untrusted and the attempt is recorded. New copies some nodes
   * may have committed before another failed are queued for deletion (never the chunk's own node).
   */
  private async failed(
    job: HealJob,
    chunkNumbers: number[],
    targets: Map<number, Target>,
    err: unknown,
  ): Promise<void> {
    const copies = [...targets.values()].filter((t) => t.nodeId !== t.fromNode).map((t) => ({ nodeId: t.nodeId, chunkId: t.chunkId }));
    await this.metadata.queueDeletions(copies, 0).catch(() => undefined);
    const healing = chunkNumbers.filter((n) => targets.get(n)?.kind === 'heal');
    for (const n of chunkNumbers) healEnded(targets.get(n)?.kind ?? 'heal', 'failed');
    await this.store.markMissing(job.fileId, healing).catch(() => undefined);
    await this.store.recordHealFailure(job.fileId, chunkNumbers, this.settings.claimant, errorText(err)).catch(() => undefined);
  }

  /** How long a chunk whose node is down waits before it is looked at again. */
  private waitRetryMs(): number {
    return Math.max(1_000, Math.min(30_000, this.settings.deadAfterMs / 4));
  }
}
