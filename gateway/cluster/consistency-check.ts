// The consistency check: compares what the metadata says each node holds with what each reachable
// node lists (ListChunks), and the chunk rows of every completed file with its layout. It runs in the
// background, one at a time in the cluster, and writes its report to the database; with `repair` it
// also queues heals and moves, fixes rows and queues deletions, each finding saying what was done.
//
// Candidates are confirmed before they are reported (StatChunk on the node, the row read again):
// uploads, heals and moves go on while the check runs, and a chunk that moved since its node was
// listed is not a finding.
import type { Metadata } from '../metadata/metadata.js';
import type { RepairStore } from '../metadata/repair-store.js';
import type { CheckSession, ConsistencyStore } from '../metadata/consistency-store.js';
import { chunkIdFor } from '../files/file-upload.js';
import { chunkLength } from '../data/stripe-layout.js';
import {
  absentChunkNumbers,
  countByKind,
  duplicatePlacement,
  incompleteFile,
  misplacedChunk,
  missingChunk,
  orphanChunk,
  orphanIsStale,
  wrongSize,
  type Finding,
} from './consistency-findings.js';
import type { NodeRegistry } from './node-registry.js';
import type { ChunkDeleter } from './chunk-deleter.js';
import { log } from '../../proto/log.js';

/** Findings of one kind kept in a report; the counts say when there were more. */
const MAX_FINDINGS = 1000;
const LISTING_BATCH = 1000;

export interface CheckReport {
  nodesChecked: Array<{ id: number; address: string; chunks: number }>;
  nodesSkipped: Array<{ id: number; address: string; reason: string }>;
  counts: ReturnType<typeof countByKind>;
  /** True when some kind had more than MAX_FINDINGS findings: only the first ones are listed. */
  truncated: boolean;
  findings: Finding[];
}

export class CheckAlreadyRunning extends Error {}

export class ConsistencyChecker {
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: ConsistencyStore,
    private readonly metadata: Metadata,
    private readonly repairs: RepairStore,
    private readonly registry: NodeRegistry,
    private readonly deleter: ChunkDeleter,
    private readonly options: { orphanGraceMs: number; claimant: string; healQueued: () => void },
  ) {}

  /** Starts a check in the background: its id. Throws CheckAlreadyRunning when one runs in the cluster. */
  async start(repair: boolean): Promise<number> {
    if (this.running) throw new CheckAlreadyRunning('a consistency check is running on this gateway');
    const session = await this.store.begin(repair, this.options.claimant);
    if (!session) throw new CheckAlreadyRunning('a consistency check is running on another gateway of this database');
    this.running = this.run(session, repair)
      .catch(async (err: unknown) => {
        log.error(`consistency check ${session.check.id}: failed: ${(err as Error).message}`);
        await session.finish('failed', { error: (err as Error).message }).catch(() => undefined);
      })
      .finally(async () => {
        await session.close();
        this.running = null;
      });
    return session.check.id;
  }

  /** Resolves when the check in progress (if any) has ended (tests, shutdown). */
  async idle(): Promise<void> {
    await this.running;
  }

  private async run(session: CheckSession, repair: boolean): Promise<void> {
    const startedAt = new Date();
    const checked: CheckReport['nodesChecked'] = [];
    const skipped: CheckReport['nodesSkipped'] = [];
    for (const node of this.registry.list()) {
      if (node.status === 'down' || node.status === 'dead') {
        skipped.push({ id: node.id, address: node.address, reason: `node is ${node.status}` });
        continue;
      }
      try {
        checked.push({ id: node.id, address: node.address, chunks: await this.loadListing(session, node.id) });
      } catch (err) {
        skipped.push({ id: node.id, address: node.address, reason: `listing failed: ${(err as Error).message}` });
      }
    }
    await session.indexListing();
    const listed = checked.map((n) => n.id);
    const addresses = new Map(this.registry.list().map((n) => [n.id, n.address]));
    const address = (id: number): string => addresses.get(id) ?? '?';

    const findings: Finding[] = [];
    let truncated = false;
    const keep = <T>(rows: T[]): T[] => {
      if (rows.length > MAX_FINDINGS) truncated = true;
      return rows.slice(0, MAX_FINDINGS);
    };

    const orphans = keep(await session.orphans(MAX_FINDINGS + 1));
    const orphanAt = new Map(orphans.map((o) => [o.chunkId, o]));
    const relocatedOrphans = new Set<string>();
    for (const row of keep(await session.absentOrResized(listed, startedAt, MAX_FINDINGS + 1))) {
      // Confirm with the node itself, and that the row still says the same.
      const now = await this.registry.client(row.nodeId).statChunk(row.chunkId).catch(() => undefined);
      if (now === undefined) continue; // the node cannot say right now: no verdict
      if (now !== null && now.size === row.size) continue; // written since its listing
      const elsewhere = orphanAt.get(row.chunkId);
      let finding: Finding;
      if (now === null && elsewhere && elsewhere.size === row.size) {
        finding = misplacedChunk({ ...row, foundOnNodeId: elsewhere.nodeId });
        relocatedOrphans.add(row.chunkId);
        if (repair) {
          const done = await this.store.relocateChunk({ ...row, fromNodeId: row.nodeId, toNodeId: elsewhere.nodeId });
          finding.repair = done ? `row now points at node ${elsewhere.nodeId}` : 'none: the row changed meanwhile';
        }
      } else {
        finding =
          now === null
            ? missingChunk({ ...row, address: address(row.nodeId) })
            : wrongSize({ ...row, address: address(row.nodeId), expected: row.size, found: now.size });
        if (repair) {
          await this.repairs.queueHeal(row.fileId, [row.chunkNumber], `consistency check ${session.check.id}: ${finding.kind}`);
          finding.repair = 'heal queued';
        }
      }
      findings.push(finding);
    }

    const now = Date.now();
    for (const o of orphans) {
      if (relocatedOrphans.has(o.chunkId)) continue; // reported (and fixed) as misplaced
      const stale = orphanIsStale(o.modifiedAtMs, now, this.options.orphanGraceMs);
      const finding = orphanChunk({ ...o, address: address(o.nodeId), ageMs: now - o.modifiedAtMs, stale });
      if (repair) {
        // Asked again at the last moment: a row may have come to name it since the listing.
        const known = await this.metadata.knownChunkIds([o.chunkId]);
        if (stale && !known.has(o.chunkId)) {
          await this.metadata.queueDeletions([{ nodeId: o.nodeId, chunkId: o.chunkId }], 0);
          finding.repair = 'deletion queued';
        } else finding.repair = 'none';
      }
      findings.push(finding);
    }

    for (const d of keep(await session.duplicatePlacements(MAX_FINDINGS + 1))) {
      const finding = duplicatePlacement({ ...d, address: address(d.nodeId) });
      if (repair) {
        await this.repairs.queueMoves(d.fileId, d.chunkNumbers.slice(1), `consistency check ${session.check.id}: duplicate placement`);
        finding.repair = `moves queued for chunks ${d.chunkNumbers.slice(1).join(', ')}`;
      }
      findings.push(finding);
    }

    for (const f of keep(await session.incompleteFiles(startedAt, MAX_FINDINGS + 1))) {
      const layout = { unit: f.stripeUnit, width: f.k, parity: f.m };
      const absent = absentChunkNumbers(f.size, layout, f.present);
      if (absent.length === 0) continue; // more rows than expected, none absent: nothing to rebuild
      const finding = incompleteFile({ fileId: f.fileId, absent, parity: f.m });
      if (repair) {
        if (absent.length <= f.m) {
          await this.store.addMissingChunks(
            f.fileId,
            absent.map((n) => ({ chunkNumber: n, chunkId: `${chunkIdFor(f.fileId, n)}.r${session.check.id}`, size: chunkLength(f.size, n, layout) })),
          );
          await this.repairs.queueHeal(f.fileId, absent, `consistency check ${session.check.id}: chunk rows absent`);
          finding.repair = 'absent chunks recorded as missing, heal queued';
        } else finding.repair = 'none';
      }
      findings.push(finding);
    }

    if (repair) {
      this.options.healQueued();
      await this.deleter.deleteDue(); // the deletions queued above, now rather than at the janitor's next pass
    }
    const report: CheckReport = { nodesChecked: checked, nodesSkipped: skipped, counts: countByKind(findings), truncated, findings };
    await session.finish('done', report);
    log.info(
      `consistency check ${session.check.id}${repair ? ' (repair)' : ''}: ${findings.length} findings ` +
        `(${Object.entries(report.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}); ` +
        `${checked.length} nodes listed, ${skipped.length} skipped`,
    );
  }

  /** Streams a node's listing into the session's table: how many chunks it holds. */
  private async loadListing(session: CheckSession, nodeId: number): Promise<number> {
    let batch: Array<{ chunkId: string; size: number; modifiedAtMs: number }> = [];
    let total = 0;
    for await (const c of this.registry.client(nodeId).listChunks()) {
      batch.push({ chunkId: c.chunkId, size: Number(c.size), modifiedAtMs: Number(c.modifiedAtMs) });
      total += 1;
      if (batch.length >= LISTING_BATCH) {
        await session.addListing(nodeId, batch);
        batch = [];
      }
    }
    await session.addListing(nodeId, batch);
    return total;
  }
}
