// The storage nodes known to this gateway: their clients, periodic health probes, and the figures
// placement needs (bytes held, bytes promised to uploads in flight).
import { NodeClient } from './node-client.js';
import type { Metadata, NodeRow } from '../metadata/metadata.js';
import type { PlacementCandidate } from './placement.js';

export interface NodeState {
  id: number;
  address: string;
  name: string | null;
  status: NodeRow['status'];
  totalSpace: number | null;
  availableSpace: number | null;
  usedSpace: number; // as last reported by the node, plus chunks stored since
  reservedBytes: number; // promised to uploads in flight
  lastSeenAt: Date | null;
  error: string | null;
}

export class NodeRegistry {
  private readonly clients = new Map<number, NodeClient>();
  private readonly states = new Map<number, NodeState>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly metadata: Metadata,
    private readonly timeoutMs: number,
  ) {}

  async start(configured: string[], intervalMs: number): Promise<void> {
    await this.metadata.ensureNodes(configured);
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const c of this.clients.values()) c.close();
  }

  /** Picks up nodes registered elsewhere and probes every node once. */
  async refresh(): Promise<void> {
    try {
      for (const row of await this.metadata.listNodes()) this.track(row);
    } catch {
      // The database is unreachable: keep probing the nodes already known.
    }
    await Promise.all([...this.states.keys()].map((id) => this.probe(id)));
  }

  private track(row: NodeRow): void {
    if (this.states.has(row.id)) return;
    this.clients.set(row.id, new NodeClient(row.id, row.address, this.timeoutMs));
    this.states.set(row.id, {
      id: row.id,
      address: row.address,
      name: row.node_name,
      status: 'unknown',
      totalSpace: row.total_space,
      availableSpace: row.available_space,
      usedSpace: row.used_space ?? 0,
      reservedBytes: 0,
      lastSeenAt: row.last_seen_at,
      error: null,
    });
  }

  async probe(id: number): Promise<NodeState> {
    const state = this.states.get(id)!;
    try {
      const h = await this.clients.get(id)!.health();
      Object.assign(state, {
        status: h.status === 'healthy' ? 'healthy' : 'low_space',
        name: h.nodeId || state.name,
        totalSpace: h.totalSpace,
        availableSpace: h.availableSpace,
        usedSpace: h.usedSpace,
        lastSeenAt: new Date(),
        error: h.status === 'healthy' ? null : `node reports ${h.status}`,
      });
    } catch (err) {
      state.status = 'down';
      state.error = err instanceof Error ? err.message : String(err);
    }
    await this.metadata
      .recordNodeHealth(id, {
        status: state.status,
        name: state.name ?? undefined,
        total: state.totalSpace ?? undefined,
        available: state.availableSpace ?? undefined,
        used: state.status === 'down' ? undefined : state.usedSpace,
      })
      .catch(() => undefined);
    return state;
  }

  /** Registers a node at run time and probes it at once, so the next upload may use it. */
  async register(address: string): Promise<{ node: NodeState; created: boolean }> {
    const { node, created } = await this.metadata.registerNode(address);
    this.track(node);
    return { node: await this.probe(node.id), created };
  }

  client(nodeId: number): NodeClient {
    const c = this.clients.get(nodeId);
    if (!c) throw new Error(`storage node ${nodeId} is not known to this gateway`);
    return c;
  }

  /** The client for a node this gateway may not have loaded yet (registered by another gateway). */
  clientFor(nodeId: number, address: string): NodeClient {
    if (!this.clients.has(nodeId)) {
      this.clients.set(nodeId, new NodeClient(nodeId, address, this.timeoutMs));
    }
    return this.clients.get(nodeId)!;
  }

  list(): NodeState[] {
    return [...this.states.values()].sort((a, b) => a.id - b.id);
  }

  healthyCount(): number {
    return this.list().filter((s) => s.status === 'healthy').length;
  }

  candidates(): PlacementCandidate[] {
    return this.list().map((s) => ({ id: s.id, usedBytes: s.usedSpace + s.reservedBytes, writable: s.status === 'healthy' }));
  }

  reserve(nodeIds: number[], bytesEach: number): void {
    for (const id of nodeIds) this.states.get(id)!.reservedBytes += bytesEach;
  }

  release(nodeIds: number[], bytesEach: number): void {
    for (const id of nodeIds) this.states.get(id)!.reservedBytes -= bytesEach;
  }

  /** A chunk landed on a node: count it until the next probe reports it. */
  stored(nodeId: number, bytes: number): void {
    const s = this.states.get(nodeId);
    if (s) s.usedSpace += bytes;
  }
}
