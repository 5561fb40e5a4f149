// Uploads, downloads and deletes through a bench cluster's gateway, each checked: the upload must
// be stored whole with the cluster's k and m, the download must give back every byte.
import { BENCH_REST_AUTH } from './bench-credentials.js';
import { randomBytes } from 'node:crypto';
import { type BenchCluster } from './bench-cluster.js';
import { getAndHash, MiB, multipartFrame, patternBlocks, postStream } from './bench-support.js';

const SEED = randomBytes(MiB);

export interface ChunkJson {
  chunk_number: number;
  role: 'data' | 'parity';
  state: string;
  server_address: string | null;
}

export interface StoredFile {
  fileId: string;
  checksum: string;
  size: number;
  chunks: ChunkJson[];
}

export async function uploadToGateway(bc: BenchCluster, size: number): Promise<StoredFile & { seconds: number }> {
  const frame = multipartFrame(`bench-${size}.bin`);
  const res = await postStream(
    `${bc.url}/files`,
    { 'Content-Type': frame.contentType, 'Content-Length': frame.contentLength(size), ...BENCH_REST_AUTH },
    patternBlocks(size, SEED),
    frame.prefix,
    frame.suffix,
  );
  if (res.status !== 201) throw new Error(`${bc.label}: upload failed: ${res.status} ${res.body}`);
  const file = JSON.parse(res.body) as { file_id: string; checksum: string; k: number; m: number; chunks: ChunkJson[] };
  if (file.k !== bc.k || file.m !== bc.m) throw new Error(`${bc.label}: the file was stored with k=${file.k}, m=${file.m}`);
  // A chunk stored as missing means a node was not (yet) back: the figure would be a degraded upload.
  const missing = file.chunks.filter((c) => c.state !== 'ok').map((c) => c.chunk_number);
  if (missing.length) throw new Error(`${bc.label}: upload left chunks ${missing.join(', ')} missing; the cluster was not whole`);
  return { fileId: file.file_id, checksum: file.checksum, size, chunks: file.chunks, seconds: res.seconds };
}

/** Downloads and checks every byte (size and SHA-256); returns the seconds taken. */
export async function downloadFromGateway(bc: BenchCluster, file: StoredFile): Promise<number> {
  const got = await getAndHash(`${bc.url}/files/${file.fileId}`, BENCH_REST_AUTH);
  if (got.status !== 200 || got.bytes !== file.size || got.sha256 !== file.checksum) {
    throw new Error(`${bc.label}: download gave status ${got.status}, ${got.bytes} bytes, sha256 ${got.sha256.slice(0, 12)}…`);
  }
  return got.seconds;
}

export async function deleteFromGateway(bc: BenchCluster, file: StoredFile): Promise<void> {
  const res = await fetch(`${bc.url}/files/${file.fileId}`, { method: 'DELETE', headers: BENCH_REST_AUTH });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${bc.label}: delete failed: ${res.status}`);
}

