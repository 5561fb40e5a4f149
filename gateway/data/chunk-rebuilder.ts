// Rebuilds chunks of a file from its other chunks: reads the whole file through the stripe reader
// (which decodes around the chunks being rebuilt), codes it again stripe by stripe, and sends only
// the rebuilt chunks to their new nodes. The digest of what was read (SHA-256 for /files, MD5 for S3
// objects and parts) must equal the file's, so a rebuild never writes bytes that differ from the upload.
import { createHash } from 'node:crypto';
import type { NodeAccess } from '../cluster/node-registry.js';
import type { NodeClient } from '../cluster/node-client.js';
import type { ChunkRow } from '../metadata/metadata.js';
import { ChunkSender } from './chunk-sender.js';
import type { ErasureCoder } from './erasure-code.js';
import { readFileRange, type StoredFile } from './stripe-reader.js';
import { StripeWriter } from './stripe-writer.js';
import { chunkLength } from './stripe-layout.js';
import type { Throttle } from './throttle.js';

export interface RebuildOptions {
  access: NodeAccess;
  coder: (k: number, m: number) => ErasureCoder;
  stallMs: number;
  throttle: Throttle;
  signal: AbortSignal;
}

export class RebuildError extends Error {}

/** The end-to-end digest a file was stored with: the /files SHA-256, or the S3 MD5. */
export interface FileDigest {
  algorithm: 'sha256' | 'md5';
  hex: string;
}

/**
 * Writes the chunks in `targets` (chunk number -> node), reading from every chunk not `lost`. Resolves with
 * the size of each rebuilt chunk once every node holds its chunk durably; rejects if any target
 * failed, the file could not be read, or its bytes no longer match its checksum.
 */
export async function rebuildChunks(
  file: StoredFile,
  digest: FileDigest,
  chunks: ChunkRow[],
  targets: Map<number, NodeClient>,
  lost: Set<number>,
  options: RebuildOptions,
): Promise<Map<number, number>> {
  const layout = { unit: file.stripe_unit, width: file.stripe_width, parity: file.parity_width };
  const byNumber = new Map(chunks.map((c) => [c.chunk_number, c]));
  // Lost chunks are not read from, whatever their state says; chunks being moved still are.
  const sources = chunks.map((c) => (lost.has(c.chunk_number) ? { ...c, state: 'healing' as const } : c));
  const writer = new StripeWriter(
    layout,
    options.coder(layout.width, layout.parity),
    (n) => {
      const node = targets.get(n);
      return node ? new ChunkSender(node, byNumber.get(n)!.chunk_id, options.stallMs) : null;
    },
    layout.width + layout.parity, // the writer never gives up for the chunks it does not write
  );
  const hash = createHash(digest.algorithm);
  let writing: Promise<void> = Promise.resolve();
  const aborted = (): void => writer.abort();
  options.signal.addEventListener('abort', aborted);
  try {
    await readFileRange(
      file,
      sources,
      0,
      file.size,
      // The reader may hand over the next stripe before the last one is taken; the writer takes one
      // piece at a time, in order, and the reader keeps each buffer until its piece was taken.
      (bytes) =>
        (writing = writing.then(async () => {
          if (options.signal.aborted) throw new RebuildError('rebuild cancelled');
          await options.throttle.take(bytes.length);
          hash.update(bytes);
          await writer.write(bytes);
        })),
      { access: options.access, coder: options.coder, stallMs: options.stallMs, onFault: () => undefined },
    );
    const written = await writer.finish();
    const read = hash.digest('hex');
    if (written.size !== file.size || read !== digest.hex) {
      throw new RebuildError(`file ${file.id} read back as ${written.size} bytes with ${digest.algorithm} ${read}, expected ${digest.hex}`);
    }
    const sizes = new Map<number, number>();
    for (const n of targets.keys()) {
      const chunk = written.chunks.find((c) => c.chunkNumber === n);
      if (!chunk || chunk.state !== 'ok') throw new RebuildError(`chunk ${n} could not be written: ${chunk?.error ?? 'not written'}`);
      if (chunk.size !== chunkLength(file.size, n, layout)) throw new RebuildError(`chunk ${n} has the wrong length`);
      sizes.set(n, chunk.size);
    }
    return sizes;
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    options.signal.removeEventListener('abort', aborted);
  }
}
