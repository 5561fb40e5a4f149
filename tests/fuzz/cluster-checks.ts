// What every fuzz surface asserts about the cluster afterwards: every process still running, the
// resident memory of a process back under a bound, no server failure in the gateway's log, and
// nothing left behind by failed requests (no `uploading` row, no temporary file on a node, no chunk
// file whose file row is gone, no deletion still queued).
import type { ChildProcess } from 'node:child_process';
import type pg from 'pg';
import type { TestCluster } from '../helpers/cluster.js';
import { nodeDir } from '../helpers/cluster-nodes.js';
import { isRunning, pollUntil } from '../helpers/raw-upload.js';
import { residentBytes, storedFiles } from '../helpers/storage-client.js';

export const MiB = 1024 * 1024;

/** The processes of the cluster that are no longer running, with how they ended. */
export function deadProcesses(c: TestCluster): string[] {
  const all: Array<[string, ChildProcess]> = [['gateway', c.gateway.child], ...c.nodes.map((n): [string, ChildProcess] => [n.name, n.child])];
  return all.filter(([, child]) => !isRunning(child)).map(([name, child]) => `${name} (exit ${child.exitCode}, signal ${child.signalCode})`);
}

/**
 * Resident memory of `pid`, polled until it is under `bound` or `timeoutMs` passes (V8 gives
 * memory back after a collection, which an idle process runs within seconds); the last value.
 */
export async function settledResident(pid: number, bound: number, timeoutMs = 20_000): Promise<number> {
  return pollUntil(() => residentBytes(pid), (rss) => rss <= bound, timeoutMs, 250);
}

/**
 * What the gateway logged as failures: of requests (REST and S3 log each 5xx so; with the line
 * after, which holds the error), of downloads cut after their first byte, of reads that had to
 * decode around a node, of the janitor.
 */
export function serverErrors(output: string): string[] {
  const lines = output.split('\n');
  return lines.flatMap((l, i) => (/^(gateway|s3): [A-Z-]+ |download of .* cut|degraded read|^janitor: /.test(l) ? [`${l} ${lines[i + 1] ?? ''}`] : []));
}

/** What a process prints (stdout and stderr), read from a mark on: each surface looks at its own lines. */
export class ProcessLog {
  private text = '';

  constructor(child: ChildProcess, private readonly maxChars = 50_000_000) {
    const add = (d: Buffer): void => {
      if (this.text.length < this.maxChars) this.text += d.toString();
    };
    child.stdout?.on('data', add);
    child.stderr?.on('data', add);
  }

  mark(): number {
    return this.text.length;
  }

  since(mark: number): string {
    return this.text.slice(mark);
  }
}

export interface Leftovers {
  /** `files` rows still `uploading`: id (filename). */
  uploading: string[];
  /** Temporary files in the nodes' tmp folders. */
  tempFiles: string[];
  /** Chunk files whose file (the id before the dot) has no row. */
  orphanChunks: string[];
  /** Chunk deletions still queued. */
  queuedDeletions: number;
}

export async function leftovers(c: TestCluster, pool: pg.Pool): Promise<Leftovers> {
  const uploading = (await pool.query<{ id: string; filename: string }>(`SELECT id, filename FROM files WHERE status = 'uploading' ORDER BY id`)).rows.map(
    (r) => `${r.id} (${r.filename.slice(0, 60)})`,
  );
  const ids = new Set((await pool.query<{ id: string }>('SELECT id FROM files')).rows.map((r) => r.id));
  const queuedDeletions = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM chunk_deletions')).rows[0]!.n);
  const tempFiles: string[] = [];
  const orphanChunks: string[] = [];
  for (let i = 0; i < c.nodes.length; i++) {
    for (const f of await storedFiles(nodeDir(c, i))) {
      const name = f.split('/').pop()!;
      if (f.startsWith('tmp/')) tempFiles.push(`${c.nodes[i]!.name}: ${f}`);
      else if (!ids.has(name.split('.')[0]!)) orphanChunks.push(`${c.nodes[i]!.name}: ${name}`);
    }
  }
  return { uploading, tempFiles, orphanChunks, queuedDeletions };
}

export const nothingLeft = (l: Leftovers): boolean =>
  l.uploading.length === 0 && l.tempFiles.length === 0 && l.orphanChunks.length === 0 && l.queuedDeletions === 0;

/** Leftovers polled until there are none or `timeoutMs` passes (cleanups finish after the answer). */
export function settledLeftovers(c: TestCluster, pool: pg.Pool, timeoutMs = 20_000): Promise<Leftovers> {
  return pollUntil(() => leftovers(c, pool), nothingLeft, timeoutMs, 250);
}

/** Chunk files on the nodes, by file id: for comparing with what was there before. */
export async function fileIdsWithChunks(c: TestCluster): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let i = 0; i < c.nodes.length; i++) {
    for (const f of await storedFiles(nodeDir(c, i))) ids.add(f.split('/').pop()!.split('.')[0]!);
  }
  return ids;
}
