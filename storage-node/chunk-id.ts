// Chunk ids and where they live on disk. Pure: no I/O.
import { createHash } from 'node:crypto';

const CHUNK_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** Returns why `id` is not a valid chunk id, or null when it is. */
export function chunkIdProblem(id: string): string | null {
  if (id.length === 0) return 'chunk_id is empty';
  if (id.length > 128) return `chunk_id is ${id.length} characters long, the limit is 128`;
  if (!CHUNK_ID.test(id)) return 'chunk_id may contain only A-Z, a-z, 0-9, "_", "." and "-"';
  if (id === '.' || id === '..') return `chunk_id "${id}" is reserved`;
  return null;
}

/**
 * Relative path of a chunk below the data directory: chunks/ab/cd/<id>, where ab/cd come from a
 * hash of the id, so a million chunks spread over 65,536 folders instead of one.
 * The id has been validated, so it is a single safe path segment.
 */
export function chunkRelativePath(id: string): string {
  const h = createHash('sha256').update(id).digest('hex');
  return `chunks/${h.slice(0, 2)}/${h.slice(2, 4)}/${id}`;
}
