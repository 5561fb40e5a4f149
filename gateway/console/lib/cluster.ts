// The shapes of the admin API's answers the Cluster page reads, and how a node's row is put
// together from /admin/status (breaker, chunks) and /admin/nodes (space). Pure.

export interface StatusNode {
  id: number;
  address: string;
  name: string | null;
  status: string;
  breaker: 'closed' | 'open';
  draining: boolean;
  disk_fill: number | null;
  chunks: number | null;
  chunk_bytes: number | null;
  last_seen_at: string | null;
  error: string | null;
}

export interface SpaceNode {
  id: number;
  total_space: number | null;
  available_space: number | null;
  used_space: number | null;
  chunks: number;
  chunk_bytes: number;
}

export interface Redundancy {
  files: number;
  fully_redundant: number;
  degraded: { missing_chunks: number; files: number; bytes: number }[];
  unreadable: number;
  bytes_at_risk: number;
  heal_queue: { files: number; chunks: number; due: number; claimed: number };
  heals: { done: number; failed: number; bytes: number; last_at: string | null };
  moves?: { done: number; bytes: number };
}

export interface CheckSummary {
  id: number;
  state: 'running' | 'done' | 'failed';
  started_at: string;
  finished_at: string | null;
}

export interface SystemStatus {
  nodes: StatusNode[];
  consistency_check: CheckSummary | { error: string } | null;
  healer: { workers: number; busy: number };
  database: { reachable: boolean; latency_ms?: number; error?: string };
}

export interface NodeRow extends StatusNode {
  used: number | null;
  total: number | null;
}

export function nodeRows(status: StatusNode[], spaces: SpaceNode[]): NodeRow[] {
  const byId = new Map(spaces.map((s) => [s.id, s]));
  return status.map((n) => {
    const s = byId.get(n.id);
    const total = s?.total_space ?? null;
    const used = total !== null && s?.available_space !== null && s?.available_space !== undefined ? total - s.available_space : null;
    // /admin/nodes counts every node (0 for an empty one); /admin/status may not have the counts.
    return { ...n, used, total, chunks: s?.chunks ?? n.chunks, chunk_bytes: s?.chunk_bytes ?? n.chunk_bytes };
  });
}

/** A node's health in words and tone (the colour is never the only sign). */
export function nodeHealth(n: StatusNode): { label: string; tone: 'ok' | 'warn' | 'bad' } {
  if (n.status === 'healthy') return n.draining ? { label: 'healthy, draining', tone: 'warn' } : { label: 'healthy', tone: 'ok' };
  if (n.status === 'low_space') return { label: 'low on space', tone: 'warn' };
  if (n.status === 'unknown') return { label: 'not probed yet', tone: 'warn' };
  return { label: n.status, tone: 'bad' }; // down, dead
}

export interface CheckRun {
  id: number;
  state: 'running' | 'done' | 'failed';
  repair: boolean;
  started_at: string;
  finished_at: string | null;
  report: {
    nodesChecked?: { id: number; address: string; chunks: number }[];
    nodesSkipped?: { id: number; address: string; reason: string }[];
    counts?: Record<string, number>;
    truncated?: boolean;
    findings?: { kind: string; fileId?: string; chunkNumber?: number; nodeId?: number; detail: string; recommendation: string; repair?: string }[];
    error?: string;
  } | null;
}
