// node dist/tests/bench/erasure-bench.js — speed of the erasure code (gateway/data/erasure-code.ts) for
// the default 4+2 stripe with 1 MiB shards: encoding, and rebuilding two lost data shards. Figures are
// GB (10^9 bytes) of stripe data (k shards) per CPU-second and per wall-clock second, medians of RUNS
// runs. The library works on libuv's thread pool; process.cpuUsage() counts every thread of the
// process, so the CPU figure includes that work. One call at a time, so one core at a time.
import { randomBytes } from 'node:crypto';
import { ErasureCoder } from '../../gateway/data/erasure-code.js';
import { median, MiB } from './bench-support.js';

const K = 4;
const M = 2;
const RUNS = 5;
const STRIPES_PER_RUN = 256; // 1 GiB of data per run
const TARGET_ENCODE_GBPS = 1; // per core (the requirement)

interface Figure {
  cpu: number; // GB of data per CPU-second
  wall: number; // GB of data per second
}

async function measure(stripes: number, dataBytes: number, op: () => Promise<void>): Promise<Figure> {
  for (let i = 0; i < 8; i++) await op(); // warm-up
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < stripes; i++) await op();
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const gb = (stripes * dataBytes) / 1e9;
  return { cpu: gb / cpuSeconds, wall: gb / wallSeconds };
}

interface Case {
  name: string;
  shardSize: number;
  op: (coder: ErasureCoder, data: Buffer, parity: Buffer, shardSize: number) => Promise<void>;
  target?: number;
}

const cases: Case[] = [
  { name: 'encode', shardSize: MiB, op: (c, d, p, s) => c.encode(d, p, s), target: TARGET_ENCODE_GBPS },
  { name: 'reconstruct 2 lost data shards', shardSize: MiB, op: (c, d, p, s) => c.reconstruct(d, p, s, [0, 1]) },
  // A size that is not a multiple of 8 takes the slower path: scratch copies plus a byte-wise tail.
  { name: 'encode, shards of 1 MiB + 1 byte', shardSize: MiB + 1, op: (c, d, p, s) => c.encode(d, p, s) },
];

/** Encodes, loses shards 0 and 1, rebuilds them, and checks them: the figures are for a coder that works. */
async function check(coder: ErasureCoder, shardSize: number): Promise<void> {
  const data = randomBytes(K * shardSize);
  const parity = Buffer.alloc(M * shardSize);
  await coder.encode(data, parity, shardSize);
  const damaged = Buffer.from(data);
  damaged.fill(0, 0, 2 * shardSize);
  await coder.reconstruct(damaged, parity, shardSize, [0, 1]);
  if (!damaged.equals(data)) throw new Error(`reconstruction is wrong for shardSize ${shardSize}`);
}

async function main(): Promise<void> {
  const coder = new ErasureCoder(K, M);
  const rows: string[][] = [];
  for (const c of cases) {
    await check(coder, c.shardSize);
    const data = randomBytes(K * c.shardSize);
    const parity = Buffer.alloc(M * c.shardSize);
    await coder.encode(data, parity, c.shardSize);
    const runs: Figure[] = [];
    for (let run = 0; run < RUNS; run++) {
      runs.push(await measure(STRIPES_PER_RUN, K * c.shardSize, () => c.op(coder, data, parity, c.shardSize)));
    }
    const cpu = median(runs.map((r) => r.cpu));
    const wall = median(runs.map((r) => r.wall));
    const verdict = c.target === undefined ? '' : `>= ${c.target} per core: ${cpu >= c.target ? 'ok' : 'LOW'}`;
    console.log(`${c.name}: per CPU-s ${runs.map((r) => r.cpu.toFixed(2)).join(' ')}; wall ${runs.map((r) => r.wall.toFixed(2)).join(' ')}`);
    rows.push([c.name, cpu.toFixed(2), wall.toFixed(2), verdict]);
  }
  const header = [`${K}+${M}, 1 MiB shards (median of ${RUNS})`, 'GB/s per CPU-s', 'GB/s wall', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 || i === 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  console.log();
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
