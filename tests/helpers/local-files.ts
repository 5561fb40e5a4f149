// Local files for client tests: written from a random pattern without holding them in memory, and
// compared by digest, as an S3 client would see them.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { patternBlocks } from './raw-upload.js';

/** Writes `size` bytes of a fresh random pattern to `path` (folders made); returns their MD5 (hex). */
export async function writePatternFile(path: string, size: number): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const md5 = createHash('md5');
  const file = await open(path, 'w');
  try {
    for (const block of patternBlocks(size)) {
      md5.update(block);
      await file.write(block);
    }
  } finally {
    await file.close();
  }
  return md5.digest('hex');
}

/** Hex digest of a stream (a file, an SDK GetObject body). */
export async function streamDigest(stream: Readable | AsyncIterable<Uint8Array>, algorithm = 'md5'): Promise<{ digest: string; size: number }> {
  const hash = createHash(algorithm);
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: hash.digest('hex'), size };
}

export async function fileMd5(path: string): Promise<string> {
  return (await streamDigest(createReadStream(path))).digest;
}

export const md5Hex = (data: Buffer | string): string => createHash('md5').update(data).digest('hex');

/** The ETag S3 gives a multipart object: MD5 of the parts' binary MD5s, a dash, the part count. */
export function multipartEtag(partMd5s: string[]): string {
  return `${md5Hex(Buffer.concat(partMd5s.map((m) => Buffer.from(m, 'hex'))))}-${partMd5s.length}`;
}

/** CRC-32 (the ISO-HDLC one S3 calls CRC32) as S3 headers carry it: 4 bytes big-endian, base64. */
export function crc32Base64(data: Buffer): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(data) >>> 0);
  return b.toString('base64');
}

/** Every file under `dir` as relative path (with /) → MD5, for comparing two trees. */
export async function treeMd5s(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(dir, path).split('\\').join('/')] = await fileMd5(path);
  }
  return out;
}
