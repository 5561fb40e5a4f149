// The JSON shapes of files, chunks, nodes and access keys in responses.
import type { TokenInfo } from '../auth/api-tokens.js';
import type { ChunkRow, FileRow } from '../metadata/metadata.js';
import type { KeyInfo } from '../auth/access-keys.js';
import { diskFill, type NodeState } from '../cluster/node-registry.js';

export function fileJson(f: FileRow) {
  return {
    file_id: f.id,
    filename: f.filename,
    content_type: f.content_type,
    size: f.size,
    checksum: f.checksum,
    status: f.status,
    created_at: f.created_at.toISOString(),
    updated_at: f.updated_at.toISOString(),
    completed_at: f.completed_at?.toISOString() ?? null,
    k: f.stripe_width,
    m: f.parity_width,
    stripe_unit: f.stripe_unit,
  };
}

export function chunkJson(c: ChunkRow, k: number) {
  return {
    chunk_number: c.chunk_number,
    chunk_id: c.chunk_id,
    size: c.size,
    checksum: c.checksum, // SHA-256 for chunks written before block checksums; null since
    server_id: c.node_id,
    server_address: c.address,
    role: c.chunk_number < k ? 'data' : 'parity',
    state: c.state,
  };
}

export function nodeJson(n: NodeState) {
  const fill = diskFill(n);
  return {
    id: n.id,
    address: n.address,
    name: n.name,
    status: n.status,
    draining: n.draining,
    total_space: n.totalSpace,
    available_space: n.availableSpace,
    used_space: n.usedSpace,
    disk_fill: fill === null ? null : Math.round(fill * 10_000) / 10_000,
    last_seen_at: n.lastSeenAt?.toISOString() ?? null,
    error: n.error,
  };
}

/** An access key without its secret. */
export function keyJson(k: KeyInfo) {
  return {
    access_key_id: k.accessKeyId,
    name: k.name,
    is_root: k.isRoot,
    created_at: k.createdAt.toISOString(),
    revoked_at: k.revokedAt?.toISOString() ?? null,
    grants: k.grants.map((g) => ({ bucket: g.bucket, read: g.read, write: g.write })),
  };
}

export function tokenJson(t: TokenInfo) {
  return {
    id: t.id,
    name: t.name,
    scope: t.scope,
    prefix: t.prefix,
    is_root: t.isRoot,
    created_at: t.createdAt.toISOString(),
    revoked_at: t.revokedAt?.toISOString() ?? null,
  };
}
