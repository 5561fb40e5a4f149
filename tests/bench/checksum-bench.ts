// node dist/tests/bench/checksum-bench.js — CPU-seconds per GiB of each S3 checksum as
// gateway/s3/checksums computes it, streaming 256 MiB in 1 MiB pieces (best of 3 runs, one core),
// with Node's zlib.crc32 (Node >= 20.15) beside the CRC32 for comparison.
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { CHECKSUM_ALGORITHMS } from '../../gateway/s3/checksums/checksum-algorithm.js';
import { createChecksum, createEtagHasher } from '../../gateway/s3/checksums/checksum.js';
import { MiB } from './bench-support.js';

const SIZE = 256 * MiB;
const PIECE = MiB;
const data = randomBytes(SIZE);
const pieces: Buffer[] = [];
for (let offset = 0; offset < SIZE; offset += PIECE) pieces.push(data.subarray(offset, offset + PIECE));

function cpuSecondsPerGiB(run: () => void): number {
  run(); // warm-up (and the lazy load of the CRC64NVME binding)
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const before = process.cpuUsage();
    run();
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / 1e6);
  }
  return (best * 1024 * MiB) / SIZE;
}

const rows: Array<[string, number]> = [];
for (const algorithm of CHECKSUM_ALGORITHMS) {
  rows.push([algorithm, cpuSecondsPerGiB(() => {
    const checksum = createChecksum(algorithm);
    for (const piece of pieces) checksum.update(piece);
    checksum.digest();
  })]);
}
rows.push(['MD5 (ETag)', cpuSecondsPerGiB(() => {
  const etag = createEtagHasher();
  for (const piece of pieces) etag.update(piece);
  etag.digest();
})]);
if (typeof (zlib as { crc32?: unknown }).crc32 === 'function') {
  const crc32 = (zlib as unknown as { crc32: (data: Uint8Array, value?: number) => number }).crc32;
  rows.push(['CRC32 with zlib.crc32', cpuSecondsPerGiB(() => {
    let value = 0;
    for (const piece of pieces) value = crc32(piece, value);
  })]);
}
console.log('checksum                 CPU-s/GiB  GiB per CPU-s');
for (const [name, perGiB] of rows) console.log(`${name.padEnd(24)} ${perGiB.toFixed(3).padStart(9)}  ${(1 / perGiB).toFixed(2).padStart(13)}`);
