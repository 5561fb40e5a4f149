// The storage nodes known to this gateway: their clients, periodic health probes, a circuit breaker
// per node, and the figures placement needs (bytes held, bytes promised to uploads in flight).
import { credentials, status, type ChannelCredentials } from '@grpc/grpc-js';
import { CircuitBreaker, type BreakerSettings } from './circuit-breaker.js';
import { NodeClient } from './node-client.js';
import type { Metadata, NodeRow } from '../metadata/metadata.js';
import type { PlacementCandidate } from './placement.js';
import type { HealthCheckResponse__Output } from '../../proto/generated/storage/HealthCheckResponse.js';

/** How long a registration waits for HealthCheck at a new address before refusing it. */
export const REGISTRATION_PROBE_MS = 3_000;

/** A registration refused: no storage node answers at the address. */
export class NodeRefused extends Error {}

/** A registration refused: the node at the address answers UNAUTHENTICATED (it has another cluster token). */
export class NodeUnauthenticated extends Error {}

const isUnauthenticated = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === status.UNAUTHENTICATED;

export interface RegistryOptions {
  /** Sent with every call to a node (CLUSTER_TOKEN); undefined: none (AUTH=off). */
  clusterToken?: string;
  /** How long a registration waits for HealthCheck at a new address. */
  registrationProbeMs?: number;
  /** Of every client, the registration probe's too (NODE_TLS_CA: TLS); unset: plain HTTP/2. */
  credentials?: ChannelCredentials;
}

/** The share of a node's disk in use, as it last reported (null before it has). */
export function diskFill(n: Pick<NodeState, 'totalSpace' | 'availableSpace'>): number | null {
  return n.totalSpace ? (n.totalSpace - (n.availableSpace ?? 0)) / n.totalSpace : null;
}

export interface NodeState {
  id: number;
  address: string;
  name: string | null; // the node id the node reports: one physical node, whatever address names it
  status: NodeRow['status'];
  totalSpace: number | null;
  availableSpace: number | null;
  usedSpace: number; // as last reported by the node, plus chunks stored since
  reservedBytes: number; // promised to uploads in flight
  draining: boolean; // takes no new chunks; its chunks are being moved away
  lastSeenAt: Date | null;
  error: string | null;
}

/** Told of every change of a node's status (alerts); called synchronously, so it must be quick and not throw. */
export type NodeStatusListener = (state: NodeState, previous: NodeState['status']) => void;

/** What the data path needs to know about nodes, and tells back about them. */
export interface NodeAccess {
  clientFor(nodeId: number, address: string): NodeClient;
  /** False while the node's circuit breaker is open: do not even try it. */
  isAvailable(nodeId: number): boolean;
  callFailed(nodeId: number, err: unknown): void;
  callSucceeded(nodeId: number): void;
  /** Chunk reads running on the node, so that degraded reads can prefer the least busy. */
  activeReads(nodeId: number): number;
  readStarted(nodeId: number): void;
  readEnded(nodeId: number): void;
}

export class NodeRegistry implements NodeAccess {
  private readonly clients = new Map<number, NodeClient>();
  private readonly states = new Map<number, NodeState>();
  private readonly breakers = new Map<number, CircuitBreaker>();
  private readonly reads = new Map<number, number>();
  /** When each node was first tracked, so that a listing started earlier does not drop it. */
  private readonly trackedSince = new Map<number, number>();
  /** Nodes being removed: no new placements on them meanwhile. */
  private readonly leaving = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly statusListeners: NodeStatusListener[] = [];

  constructor(
    private readonly metadata: Metadata,
    private readonly timeoutMs: number,
    private readonly breaker: BreakerSettings = { failures: 3, recoveries: 2 },
    /** A node down for this long is dead: its chunks are rebuilt elsewhere. */
    private readonly deadAfterMs = 600_000,
    options: RegistryOptions = {},
  ) {
    this.clusterToken = options.clusterToken;
    this.registrationProbeMs = options.registrationProbeMs ?? REGISTRATION_PROBE_MS;
    this.credentials = options.credentials ?? credentials.createInsecure();
  }

  private readonly clusterToken: string | undefined;
  private readonly registrationProbeMs: number;
  private readonly credentials: ChannelCredentials;

  /** Every client to a node is made here, so all carry the token and the credentials. */
  private newClient(id: number, address: string, timeoutMs = this.timeoutMs): NodeClient {
    return new NodeClient(id, address, timeoutMs, this.clusterToken, this.credentials);
  }

  private readonly startedAt = Date.now();

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

  onStatusChange(listener: NodeStatusListener): void {
    this.statusListeners.push(listener);
  }

  private setStatus(state: NodeState, next: NodeState['status']): void {
    const previous = state.status;
    state.status = next;
    if (previous === next) return;
    for (const listener of this.statusListeners) {
      try {
        listener(state, previous);
      } catch {
        // A listener's failure is not the registry's: the status is recorded either way.
      }
    }
  }

  /** Picks up nodes registered, moved or removed elsewhere, and probes every node once. */
  async refresh(): Promise<void> {
    const listedAt = Date.now();
    try {
      const rows = await this.metadata.listNodes();
      for (const row of rows) {
        this.track(row);
        this.states.get(row.id)!.draining = row.draining; // set by any gateway
        // Moved by another gateway's registration (see register).
        if (this.states.get(row.id)!.address !== row.address) this.readdress(row);
      }
      const listed = new Set(rows.map((r) => r.id));
      // A node tracked after the listing began may be missing from it only because it is new.
      for (const id of this.states.keys()) if (!listed.has(id) && this.trackedSince.get(id)! < listedAt) this.forget(id);
    } catch {
      // The database is unreachable: keep probing the nodes already known.
    }
    await Promise.all([...this.states.keys()].map((id) => this.probe(id)));
  }

  private track(row: NodeRow): void {
    if (this.states.has(row.id)) return;
    this.trackedSince.set(row.id, Date.now());
    if (!this.clients.has(row.id)) this.clients.set(row.id, this.newClient(row.id, row.address));
    this.breakers.set(row.id, new CircuitBreaker(this.breaker));
    this.states.set(row.id, {
      id: row.id,
      address: row.address,
      name: row.node_name,
      status: 'unknown',
      totalSpace: row.total_space,
      availableSpace: row.available_space,
      usedSpace: row.used_space ?? 0,
      reservedBytes: 0,
      draining: row.draining,
      lastSeenAt: row.last_seen_at,
      error: null,
    });
  }

  private breakerOf(nodeId: number): CircuitBreaker {
    let b = this.breakers.get(nodeId);
    if (!b) this.breakers.set(nodeId, (b = new CircuitBreaker(this.breaker)));
    return b;
  }

  async probe(id: number): Promise<NodeState> {
    return (await this.probeOnce(id)).state;
  }

  /** One HealthCheck of a node, recorded; also says why it failed. */
  private async probeOnce(id: number): Promise<{ state: NodeState; failure?: unknown }> {
    let failure: unknown;
    const state = this.states.get(id)!;
    const client = this.clients.get(id)!;
    const breaker = this.breakerOf(id);
    try {
      const h = await client.health();
      breaker.probeSucceeded();
      Object.assign(state, {
        name: h.nodeId || state.name,
        totalSpace: h.totalSpace,
        availableSpace: h.availableSpace,
        usedSpace: h.usedSpace,
        lastSeenAt: new Date(),
        error: breaker.open ? 'recovering: waiting for more good probes' : h.status === 'healthy' ? null : `node reports ${h.status}`,
      });
      this.setStatus(state, breaker.open ? 'down' : h.status === 'healthy' ? 'healthy' : 'low_space');
    } catch (err) {
      failure = err;
      breaker.failure();
      state.error = err instanceof Error ? err.message : String(err);
      // One missed probe is not an outage; the breaker decides when the node counts as down.
      if (breaker.open || state.status === 'unknown') this.setStatus(state, breaker.open ? this.downOrDead(state) : 'unknown');
    }
    await this.metadata
      .recordNodeHealth(id, {
        status: state.status,
        name: state.name ?? undefined,
        total: state.totalSpace ?? undefined,
        available: state.availableSpace ?? undefined,
        used: state.status === 'down' || state.status === 'dead' ? undefined : state.usedSpace,
      })
      .catch(() => undefined);
    return { state, failure };
  }

  /**
   * Registers a node at run time (POST /admin/nodes, or a node announcing itself) and probes it at
   * once, so the next upload may use it. A known address is answered as it is (`created: false`). A
   * new address is stored only if a storage node answers HealthCheck there within
   * REGISTRATION_PROBE_MS (otherwise NodeRefused), and only if no row carries the node id it reports:
   * one physical node is one node whatever address names it. When that node no longer answers at its
   * recorded address, the row moves to the new address (a node whose IP changed); otherwise the new
   * address is an alias and the existing node is answered. A node that answers UNAUTHENTICATED
   * (started with another CLUSTER_TOKEN) is refused with NodeUnauthenticated: not stored when new,
   * and when known, left as it is but not answered as registered.
   */
  async register(address: string): Promise<{ node: NodeState; created: boolean }> {
    const known = await this.metadata.nodeByAddress(address);
    if (known) {
      this.track(known);
      const { state, failure } = await this.probeOnce(known.id);
      if (isUnauthenticated(failure)) {
        throw new NodeUnauthenticated(`node ${known.id} at ${address} is registered, but it ${this.tokenRefusal()}; nothing was changed`);
      }
      return { node: state, created: false };
    }
    const reported = await this.askNewNode(address);
    const { node, created } = await this.metadata.registerNode(address, reported.nodeId || null);
    this.track(node);
    if (!created && node.address !== address && !(await this.answersAs(node.id, reported.nodeId))) {
      const moved = await this.metadata.moveNode(node.id, address);
      if (moved) this.readdress(moved);
    }
    return { node: await this.probe(node.id), created };
  }

  /** HealthCheck at an address not registered yet; NodeRefused unless a storage node answers in time. */
  private async askNewNode(address: string): Promise<HealthCheckResponse__Output> {
    const client = this.newClient(0, address, this.registrationProbeMs);
    try {
      const h = await client.health();
      if (!h.status) throw new Error('the answer carries no status');
      return h;
    } catch (err) {
      if (isUnauthenticated(err)) throw new NodeUnauthenticated(`the storage node at ${address} ${this.tokenRefusal()}; nothing was registered`);
      const why = err instanceof Error ? err.message : String(err);
      throw new NodeRefused(
        `no storage node answered HealthCheck at ${address} within ${this.registrationProbeMs} ms (${why}); nothing was registered`,
      );
    } finally {
      client.close();
    }
  }

  /** Why a node answers UNAUTHENTICATED, for the refusal's message. */
  private tokenRefusal(): string {
    return this.clusterToken === undefined
      ? 'refuses calls without a cluster token (UNAUTHENTICATED), and this gateway has none (AUTH=off without CLUSTER_TOKEN): set CLUSTER_TOKEN on the gateway'
      : "refuses this gateway's cluster token (UNAUTHENTICATED): it was started with another CLUSTER_TOKEN; start it with this cluster's token";
  }

  /** Whether the registered node still answers at its recorded address as `name`. */
  private async answersAs(id: number, name: string): Promise<boolean> {
    try {
      return (await this.client(id).health()).nodeId === name;
    } catch {
      return false;
    }
  }

  /** A node's row got a new address: a new client, a fresh breaker. */
  private readdress(row: NodeRow): void {
    this.clients.get(row.id)?.close();
    this.clients.set(row.id, this.newClient(row.id, row.address));
    this.breakers.set(row.id, new CircuitBreaker(this.breaker));
    const state = this.states.get(row.id);
    if (state) state.address = row.address;
  }

  /**
   * Removes a node that holds no chunk from the database and from this gateway (no more probes, not
   * listed). New placements skip it while the database decides. See Metadata.removeNode for the
   * results other than `removed`.
   */
  async remove(id: number): ReturnType<Metadata['removeNode']> {
    this.leaving.add(id);
    try {
      const result = await this.metadata.removeNode(id);
      if (typeof result === 'object' && 'removed' in result) this.forget(id);
      return result;
    } finally {
      this.leaving.delete(id);
    }
  }

  private forget(id: number): void {
    this.clients.get(id)?.close();
    for (const map of [this.clients, this.states, this.breakers, this.reads, this.trackedSince]) map.delete(id);
  }

  client(nodeId: number): NodeClient {
    const c = this.clients.get(nodeId);
    if (!c) throw new Error(`storage node ${nodeId} is not known to this gateway`);
    return c;
  }

  /** The client for a node this gateway may not have loaded yet (registered by another gateway). */
  clientFor(nodeId: number, address: string): NodeClient {
    if (!this.clients.has(nodeId)) {
      this.clients.set(nodeId, this.newClient(nodeId, address));
    }
    return this.clients.get(nodeId)!;
  }

  /**
   * Down, or dead once unseen for `deadAfterMs`, counted from this gateway's start at the earliest: a
   * cluster started again after a pause must not declare every node dead at its first probe.
   */
  private downOrDead(state: NodeState): 'down' | 'dead' {
    const seen = Math.max(state.lastSeenAt?.getTime() ?? 0, this.startedAt);
    return Date.now() - seen >= this.deadAfterMs ? 'dead' : 'down';
  }

  /** Stops placements on a node at once (the database says so to other gateways at their next refresh). */
  markDraining(nodeId: number): void {
    const state = this.states.get(nodeId);
    if (state) state.draining = true;
  }

  /** What the healer needs to know of a node; undefined for a node this gateway does not know. */
  view(nodeId: number): { available: boolean; dead: boolean } | undefined {
    const state = this.states.get(nodeId);
    if (!state) return undefined;
    return { available: this.isAvailable(nodeId), dead: state.status === 'dead' };
  }

  isAvailable(nodeId: number): boolean {
    return !this.breakers.get(nodeId)?.open;
  }

  callFailed(nodeId: number, err: unknown): void {
    const breaker = this.breakerOf(nodeId);
    breaker.failure();
    const state = this.states.get(nodeId);
    if (state && breaker.open) {
      this.setStatus(state, this.downOrDead(state));
      state.error = err instanceof Error ? err.message : String(err);
    }
  }

  callSucceeded(nodeId: number): void {
    this.breakerOf(nodeId).callSucceeded();
  }

  activeReads(nodeId: number): number {
    return this.reads.get(nodeId) ?? 0;
  }

  readStarted(nodeId: number): void {
    this.reads.set(nodeId, this.activeReads(nodeId) + 1);
  }

  readEnded(nodeId: number): void {
    this.reads.set(nodeId, Math.max(0, this.activeReads(nodeId) - 1));
  }

  list(): NodeState[] {
    return [...this.states.values()].sort((a, b) => a.id - b.id);
  }

  /**
   * The writable nodes, one per physical node: two registered addresses that report the same node
   * id are one node (the first registered stands for it), so no file gets two chunks on one process.
   */
  private writable(): NodeState[] {
    const byName = new Map<string, NodeState>();
    for (const s of this.list()) {
      if (s.status !== 'healthy' || !this.isAvailable(s.id) || this.leaving.has(s.id) || s.draining) continue;
      const key = s.name ?? `#${s.id}`;
      if (!byName.has(key)) byName.set(key, s);
    }
    return [...byName.values()];
  }

  /** Every registered id of the physical node behind `nodeId` (itself included): one node, many addresses. */
  aliasesOf(nodeId: number): number[] {
    const name = this.states.get(nodeId)?.name;
    if (!name) return [nodeId];
    return this.list()
      .filter((s) => s.id === nodeId || s.name === name)
      .map((s) => s.id);
  }

  /** Distinct physical nodes that can take writes now. */
  healthyCount(): number {
    return this.writable().length;
  }

  candidates(): PlacementCandidate[] {
    return this.writable().map((s) => ({ id: s.id, usedBytes: s.usedSpace + s.reservedBytes, writable: true }));
  }

  /** Bytes promised to an upload in flight, per node. */
  reserve(bytesByNode: Map<number, number>): void {
    for (const [id, bytes] of bytesByNode) {
      const s = this.states.get(id);
      if (s) s.reservedBytes += bytes;
    }
  }

  release(bytesByNode: Map<number, number>): void {
    for (const [id, bytes] of bytesByNode) {
      const s = this.states.get(id);
      if (s) s.reservedBytes -= bytes;
    }
  }

  /** A chunk landed on a node: count it until the next probe reports it. */
  stored(nodeId: number, bytes: number): void {
    const s = this.states.get(nodeId);
    if (s) s.usedSpace += bytes;
  }
}
