// The shapes of GET /buckets/{bucket}/entries and /entries/{id}, and the name a download is saved
// under. Pure.

export interface Entry {
  id: string;
  name: string;
  size: number;
  content_type: string;
  modified_at: string;
  etag: string | null;
  sha256: string | null;
  multipart: boolean;
}

export interface EntryPage {
  entries: Entry[];
  next_cursor: string | null;
}

export interface MappedChunk {
  chunk_number: number;
  chunk_id: string;
  size: number;
  server_id: number | null;
  server_address: string | null;
  role: 'data' | 'parity';
  state: 'ok' | 'missing' | 'healing';
  node_status: string | null;
  node_draining: boolean;
}

export interface EntryDetail {
  bucket: string;
  id: string;
  name: string;
  key: string | null;
  filename: string;
  size: number;
  content_type: string;
  created_at: string;
  modified_at: string;
  etag: string | null;
  md5: string | null;
  sha256: string | null;
  checksums: Record<string, string>;
  metadata: Record<string, string>;
  k: number;
  m: number;
  stripe_unit: number;
  chunks: MappedChunk[];
  parts: { part_number: number; size: number; k: number; m: number; chunks: MappedChunk[] }[];
  part_count: number;
  parts_truncated: boolean;
}

/** The name a download is saved under: the file name, or an S3 key's last segment. */
export function downloadName(name: string): string {
  const last = name.split('/').filter(Boolean).pop();
  return (last ?? name).replace(/[\u0000-\u001f\u007f]/g, '_') || 'download';
}

/** How a chunk stands, in words: its own state, and whether its node can serve it now. */
export function chunkCondition(c: MappedChunk): { label: string; tone: 'ok' | 'warn' | 'bad' } {
  if (c.state === 'missing') return { label: 'missing', tone: 'bad' };
  if (c.state === 'healing') return { label: 'healing', tone: 'warn' };
  if (c.node_status === 'down' || c.node_status === 'dead') return { label: `ok, node ${c.node_status}`, tone: 'bad' };
  if (c.node_draining) return { label: 'ok, node draining', tone: 'warn' };
  return { label: 'ok', tone: 'ok' };
}
