// Direct I/O (O_DIRECT) of chunk data on the storage node, against real processes and real files:
// the chunk files a node writes with O_DIRECT (DIRECT_IO=auto) are the very bytes it writes through
// the page cache (DIRECT_IO=off), at sizes around the 4 KiB alignment and the 1 MiB staging slabs;
// the node really opens its files with O_DIRECT (seen in /proc/<pid>/fdinfo); damage on disk is
// still caught on a direct read; a disk that refuses O_DIRECT and a pool of slabs that runs out
// fall back to buffered I/O; DIRECT_IO is validated at start.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { constants } from 'node:fs';
import { mkdtemp, open, readdir, readFile, readlink, realpath, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDefaultHighWaterMark } from 'node:stream';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStorageClient, type StorageServiceClient } from '../proto/storage-proto.js';
import type { PutChunkResponse__Output } from '../proto/generated/storage/PutChunkResponse.js';
import { limitCallReadAhead } from '../proto/call-read-ahead.js';
import { DIRECT_READ_MIN_BYTES, SLABS } from '../storage-node/direct-io.js';
import { ROOT, TEST_CLUSTER_TOKEN } from './helpers/processes.js';
import { startNodeWithClient as startNode, type NodeWithClient as Node } from './helpers/storage-node-client.js';
import {
  MiB,
  chunkFile,
  filesUnder,
  getChunk,
  getChunkMessages,
  grpcError,
  pieces,
  putChunk,
  sha256,
  statChunk,
  verifyChunk,
  waitFor,
  xxh64Blocks,
} from './helpers/storage-client.js';

const BLOCK = 65536;
const HEADER = 64;
const ALIGN = 4096;
/** O_DIRECT as this platform numbers it (040000 on x86-64, 0200000 on arm64). */
const O_DIRECT = constants.O_DIRECT;
const TMPFS_MAGIC = 0x01021994;
const NOT_AVAILABLE = /direct I\/O is not available in (\S+): chunk data goes through the page cache/;

/** Length of a chunk file of `size` bytes of data: header, data, 8 bytes of xxHash64 per 64 KiB block. */
const expectedFileBytes = (size: number): number => HEADER + size + 8 * Math.ceil(size / BLOCK);

// Things a single test started (nodes, folders), undone after it whatever its outcome.
const undoAfterTest: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (undoAfterTest.length > 0) await undoAfterTest.pop()!();
});

async function nodeForTest(env: NodeJS.ProcessEnv = {}): Promise<Node> {
  const node = await startNode(env);
  undoAfterTest.push(() => node.cleanup());
  return node;
}

async function tempDirForTest(parent = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(parent, 'storage-node-direct-io-'));
  undoAfterTest.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The open files of process `pid` whose path `match`es, with the flags of their open file description. */
async function openFiles(pid: number, match: (path: string) => boolean): Promise<Array<{ fd: number; path: string; flags: number }>> {
  const found: Array<{ fd: number; path: string; flags: number }> = [];
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    let path: string;
    let info: string;
    try {
      path = await readlink(`/proc/${pid}/fd/${fd}`);
      if (!match(path)) continue;
      info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // closed meanwhile
    }
    const flags = /^flags:\s+([0-7]+)$/m.exec(info);
    if (!flags) throw new Error(`no flags in /proc/${pid}/fdinfo/${fd}:\n${info}`);
    found.push({ fd: Number(fd), path, flags: parseInt(flags[1]!, 8) });
  }
  return found;
}

/** The node's temporary files of chunks being written, DATA_DIR/tmp/*.part, as open files. */
async function openPartFiles(pid: number, dataDir: string): Promise<Array<{ fd: number; path: string; flags: number }>> {
  const tmp = join(await realpath(dataDir), 'tmp') + '/';
  return openFiles(pid, (path) => path.startsWith(tmp) && path.endsWith('.part'));
}

/** Bytes process `pid` has caused to be fetched from storage (not the page cache), from /proc/<pid>/io. */
async function diskReadBytes(pid: number): Promise<number> {
  const m = /^read_bytes:\s+(\d+)$/m.exec(await readFile(`/proc/${pid}/io`, 'utf8'));
  if (!m) throw new Error(`no read_bytes in /proc/${pid}/io`);
  return Number(m[1]);
}

const hasDirect = (flags: number): boolean => (flags & O_DIRECT) !== 0;

/** A PutChunk whose stream stays open until `finish()`; its answer settles `answer`. */
function openPut(client: StorageServiceClient, chunkId: string): {
  send(data: Buffer): void;
  finish(rest?: Buffer): Promise<PutChunkResponse__Output>;
  cancel(): Promise<ServiceError | null>;
} {
  let settle!: (r: { err: ServiceError | null; res?: PutChunkResponse__Output }) => void;
  const answer = new Promise<{ err: ServiceError | null; res?: PutChunkResponse__Output }>((r) => (settle = r));
  const call = client.putChunk((err, res) => settle({ err, res }));
  let first = true;
  const send = (data: Buffer): void => {
    for (const part of pieces(data)) {
      call.write(first ? { chunkId, data: part } : { data: part });
      first = false;
    }
  };
  return {
    send,
    async finish(rest) {
      if (rest) send(rest);
      call.end();
      const { err, res } = await answer;
      if (err) throw err;
      return res!;
    },
    async cancel() {
      call.cancel();
      return (await answer).err;
    },
  };
}

/** The gRPC status of StatChunk (status.OK when it succeeds). */
async function statChunkCode(c: StorageServiceClient, chunkId: string): Promise<number> {
  try {
    await statChunk(c, chunkId);
    return status.OK;
  } catch (err) {
    return (err as ServiceError).code;
  }
}

/** Flips one bit of the byte at `position` of a file and makes it durable, as bitrot on the disk would. */
async function flipByte(path: string, position: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    const { bytesRead } = await fh.read(byte, 0, 1, position);
    expect(bytesRead).toBe(1);
    byte[0]! ^= 0x04;
    await fh.write(byte, 0, 1, position);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Expects DATA_LOSS with details naming the chunk and the damaged block's offset in the chunk. */
async function expectBitrot(call: Promise<unknown>, chunkId: string, blockOffset: number, label: string): Promise<void> {
  const { code, details } = await grpcError(call);
  expect(code, `${label}: ${details}`).toBe(status.DATA_LOSS);
  expect(details, label).toContain(chunkId);
  expect(details, label).toContain(`offset ${blockOffset}`);
}

/**
 * Expects the chunk file of `data` on disk to be exactly the format, built here independently of
 * the node's code: header (magic, SHA-256, size, block size), the data, the xxHash64 table.
 */
function expectChunkFileOf(file: Buffer, data: Buffer, label: string): void {
  expect(file.length, label).toBe(expectedFileBytes(data.length));
  expect(file.subarray(0, 8).toString('latin1'), label).toBe('CHUNKv2\n');
  expect(file.subarray(8, 40).toString('hex'), label).toBe(sha256(data));
  expect(Number(file.readBigUInt64BE(40)), label).toBe(data.length);
  expect(file.readUInt32BE(48), label).toBe(BLOCK);
  expect(file.subarray(HEADER, HEADER + data.length).equals(data), `${label}: data region`).toBe(true);
  expect(file.subarray(HEADER + data.length).equals(xxh64Blocks(data)), `${label}: checksum table`).toBe(true);
}

/**
 * A data size whose checksum table starts before file offset `border` and ends after it, e.g.
 * 1 MiB - 72 for 1 MiB (16 blocks, a table of 128 bytes from file offset 1 MiB - 8).
 */
function tableAcross(border: number): number {
  const size = border - HEADER - 4 * Math.ceil(border / BLOCK);
  const tableStart = HEADER + size;
  const tableEnd = tableStart + 8 * Math.ceil(size / BLOCK);
  if (!(tableStart < border && tableEnd > border)) throw new Error(`size ${size}: table [${tableStart}, ${tableEnd}) does not cross ${border}`);
  return size;
}

/** A data size whose chunk file is exactly `fileBytes` long (a multiple of the alignment: no final cut). */
function fileOfExactly(fileBytes: number): number {
  for (let size = fileBytes - HEADER; size > 0; size--) if (expectedFileBytes(size) === fileBytes) return size;
  throw new Error(`no size makes a file of ${fileBytes} bytes`);
}

const SIZES: Array<[string, number]> = [
  ['0', 0],
  ['1', 1],
  ['4031', 4031],
  ['4032 (data ends at file offset 4096)', 4032],
  ['4033', 4033],
  ['file of exactly 4096 bytes', fileOfExactly(ALIGN)],
  ['65536', 65536],
  ['1 MiB - 65', MiB - 65],
  ['1 MiB - 64 (data ends at file offset 1 MiB)', MiB - 64],
  ['1 MiB - 63', MiB - 63],
  ['1 MiB', MiB],
  ['file of exactly 1 MiB', fileOfExactly(MiB)],
  ['table across 1 MiB', tableAcross(MiB)],
  ['table across 2 MiB', tableAcross(2 * MiB)],
  ['2 MiB + 4096 - 64', 2 * MiB + 4096 - 64],
  ['3 MiB + 12345', 3 * MiB + 12345],
];

/** Message sizes the chunks are sent in, taken in turn: slab borders fall inside messages. */
const MESSAGE_SIZES = [MiB, BLOCK + 3, 3 * ALIGN + 1];

/** Ranges (chunk offsets) across the file's 4 KiB and 1 MiB borders and the chunk's own, that fit in `size`. */
function rangesFor(size: number): Array<{ offset: number; length: number }> {
  const candidates = [
    { offset: ALIGN - HEADER - 10, length: 20 }, // file offset 4096
    { offset: ALIGN - 1, length: 2 }, // chunk offset 4096
    { offset: 1, length: ALIGN + 1 },
    { offset: MiB - HEADER - 3, length: 7 }, // file offset 1 MiB
    { offset: MiB - 5, length: 10 }, // chunk offset 1 MiB
    { offset: MiB - HEADER - ALIGN - 1, length: 2 * ALIGN + 3 },
    { offset: BLOCK - 1, length: MiB + 2 }, // over a whole slab
    { offset: 2 * MiB - HEADER - 1, length: 2 }, // file offset 2 MiB
    { offset: 1, length: size - 2 },
    { offset: size - 1, length: 1 },
    { offset: Math.max(0, size - ALIGN - 7), length: Math.min(size, ALIGN + 7) },
  ];
  return candidates.filter((r) => r.offset >= 0 && r.length > 0 && r.offset + r.length <= size);
}

describe('direct I/O of chunk data (DIRECT_IO=auto) against buffered (DIRECT_IO=off)', () => {
  let direct: Node;
  let buffered: Node;
  beforeAll(async () => {
    [direct, buffered] = await Promise.all([startNode({ DIRECT_IO: 'auto', LOG_LEVEL: 'info' }), startNode({ DIRECT_IO: 'off', LOG_LEVEL: 'info' })]);
  });
  afterAll(async () => {
    await Promise.all([direct?.cleanup(), buffered?.cleanup()]);
  });

  it('the node on the test disk (ext4 or the like) does not fall back', async () => {
    // Else every test below would compare buffered I/O with itself. tmpfs takes O_DIRECT since
    // Linux 6.6 but keeps everything in memory, which the reading test below cannot tell apart.
    expect((await statfs(direct.proc.dataDir)).type, `TMPDIR ${tmpdir()} is on tmpfs: point it at a disk`).not.toBe(TMPFS_MAGIC);
    await new Promise((r) => setTimeout(r, 200)); // the line would follow the start line
    expect(direct.proc.output()).not.toMatch(NOT_AVAILABLE);
    expect(buffered.proc.output()).not.toMatch(NOT_AVAILABLE); // off: nothing to report
  });

  it('round trips at sizes around the 4 KiB and 1 MiB borders give the same bytes and the same file on disk', async () => {
    for (const [i, [label, size]] of SIZES.entries()) {
      const id = `sizes-${i}`;
      const data = randomBytes(size);
      const messageSize = MESSAGE_SIZES[i % MESSAGE_SIZES.length];
      for (const node of [direct, buffered]) {
        const res = await putChunk(node.client, id, data, { messageSize, checksum: sha256(data) });
        expect([res.size, res.checksum], label).toEqual([size, sha256(data)]);
      }
      for (const node of [direct, buffered]) {
        const which = `${label}, ${node === direct ? 'auto' : 'off'}`;
        const got = await getChunk(node.client, id);
        expect(got.length, which).toBe(size);
        expect(sha256(got), which).toBe(sha256(data));
        for (const range of rangesFor(size)) {
          const part = await getChunk(node.client, id, range);
          expect(part.equals(data.subarray(range.offset, range.offset + range.length)), `${which} ${JSON.stringify(range)}`).toBe(true);
        }
        if (size > 0) {
          // With block checksums: whole blocks, read the same way.
          const messages = await getChunkMessages(node.client, id, { offset: size - 1, length: 1, withBlockChecksums: true });
          const last = Math.floor((size - 1) / BLOCK) * BLOCK;
          expect(Buffer.concat(messages.map((m) => m.data)).equals(data.subarray(last)), which).toBe(true);
        }
        const verified = await verifyChunk(node.client, id);
        expect([verified.exists, verified.ok, verified.size, verified.errorMessage], which).toEqual([true, true, size, '']);
      }
      const [onDirect, onBuffered] = await Promise.all([
        chunkFile(direct.proc.dataDir, id).then((p) => readFile(p)),
        chunkFile(buffered.proc.dataDir, id).then((p) => readFile(p)),
      ]);
      expect(onDirect.length, label).toBe(expectedFileBytes(size));
      expect((await stat(await chunkFile(direct.proc.dataDir, id))).size, label).toBe(expectedFileBytes(size));
      expectChunkFileOf(onDirect, data, `${label}, auto`);
      expect(onDirect.equals(onBuffered), `${label}: the two nodes' chunk files differ`).toBe(true);
    }
    for (const node of [direct, buffered]) expect(await filesUnder(join(node.proc.dataDir, 'tmp'))).toEqual([]);
  });

  it('an overwrite with a shorter chunk leaves a file of the new length (no tail of the old one)', async () => {
    for (const node of [direct, buffered]) {
      await putChunk(node.client, 'shrinks', randomBytes(3 * MiB + 999));
      const data = randomBytes(MiB - 63);
      await putChunk(node.client, 'shrinks', data);
      expectChunkFileOf(await readFile(await chunkFile(node.proc.dataDir, 'shrinks')), data, node === direct ? 'auto' : 'off');
      expect((await getChunk(node.client, 'shrinks')).equals(data)).toBe(true);
    }
  });

  it('the temporary file of a PutChunk in progress is open with O_DIRECT under auto, without it under off', async () => {
    for (const node of [direct, buffered]) {
      const which = node === direct ? 'auto' : 'off';
      const pid = node.proc.child.pid!;
      const data = randomBytes(5 * MiB + 777);
      const put = openPut(node.client, `in-progress-${which}`);
      put.send(data.subarray(0, 3 * MiB));
      expect(await waitFor(async () => (await openPartFiles(pid, node.proc.dataDir)).length === 1), which).toBe(true);
      const [part] = await openPartFiles(pid, node.proc.dataDir);
      expect(hasDirect(part!.flags), `${which}: flags 0${part!.flags.toString(8)} of ${part!.path}`).toBe(which === 'auto');
      // Still open after more data, and still the same way.
      await new Promise((r) => setTimeout(r, 100));
      const again = await openPartFiles(pid, node.proc.dataDir);
      expect(again.map((f) => [f.path, hasDirect(f.flags)]), which).toEqual([[part!.path, which === 'auto']]);

      const res = await put.finish(data.subarray(3 * MiB));
      expect([res.size, res.checksum], which).toEqual([data.length, sha256(data)]);
      expect(await openPartFiles(pid, node.proc.dataDir), which).toEqual([]);
      expect(await filesUnder(join(node.proc.dataDir, 'tmp')), which).toEqual([]);
      expect((await getChunk(node.client, `in-progress-${which}`)).equals(data), which).toBe(true);
      expectChunkFileOf(await readFile(await chunkFile(node.proc.dataDir, `in-progress-${which}`)), data, which);
    }
  });

  it('a GetChunk in progress reads the chunk through a second descriptor opened with O_DIRECT under auto', async () => {
    const data = randomBytes(32 * MiB + 4097);
    for (const node of [direct, buffered]) {
      const which = node === direct ? 'auto' : 'off';
      const id = `reading-${which}`;
      await putChunk(node.client, id, data);
      const path = await realpath(await chunkFile(node.proc.dataDir, id));
      const pid = node.proc.child.pid!;
      const defaultReadAhead = getDefaultHighWaterMark(true);
      limitCallReadAhead(1);
      const call = node.client.getChunk({ chunkId: id });
      limitCallReadAhead(defaultReadAhead);
      call.on('error', () => undefined); // the cancel below
      try {
        await once(call, 'data');
        call.pause(); // the node stalls on flow control with the chunk open
        const wanted = which === 'auto' ? 2 : 1;
        await waitFor(async () => (await openFiles(pid, (p) => p === path)).length === wanted);
        await new Promise((r) => setTimeout(r, 100));
        const files = await openFiles(pid, (p) => p === path);
        const flags = files.map((f) => `0${f.flags.toString(8)}`).join(', ');
        expect(files.length, `${which}: ${flags}`).toBe(wanted);
        expect(files.filter((f) => hasDirect(f.flags)).length, `${which}: ${flags}`).toBe(which === 'auto' ? 1 : 0);
      } finally {
        call.cancel();
      }
      // Both descriptors are closed once the caller has gone.
      expect(await waitFor(async () => (await openFiles(pid, (p) => p === path)).length === 0), which).toBe(true);

      // What the reads take from the disk: with O_DIRECT every read of the data goes to the disk,
      // and leaves nothing in the page cache for the next; through the page cache the data written
      // (or read once) is there already.
      const fromDisk: number[] = [];
      for (let round = 0; round < 2; round++) {
        const before = await diskReadBytes(pid);
        expect(sha256(await getChunk(node.client, id)), which).toBe(sha256(data));
        fromDisk.push((await diskReadBytes(pid)) - before);
      }
      console.log(`${which}: whole reads of ${data.length} bytes took ${fromDisk.join(' and ')} bytes from the disk`);
      if (which === 'auto') for (const bytes of fromDisk) expect(bytes, `${which}: ${fromDisk}`).toBeGreaterThanOrEqual(data.length);
      else expect(fromDisk[1], `${which}: ${fromDisk}`).toBeLessThan(data.length / 4); // the measure tells them apart
    }
  });

  it('under auto a chunk under DIRECT_READ_MIN_BYTES is read through the page cache (a small object stays cached), one of that size from the disk every time', async () => {
    const pid = direct.proc.child.pid!;
    const fromDisk = async (id: string, data: Buffer): Promise<number[]> => {
      await putChunk(direct.client, id, data);
      const taken: number[] = [];
      for (let round = 0; round < 3; round++) {
        const before = await diskReadBytes(pid);
        expect(sha256(await getChunk(direct.client, id)), id).toBe(sha256(data));
        taken.push((await diskReadBytes(pid)) - before);
      }
      return taken;
    };
    const small = await fromDisk('small-cached', randomBytes(DIRECT_READ_MIN_BYTES - 1));
    const large = await fromDisk('large-direct', randomBytes(DIRECT_READ_MIN_BYTES));
    console.log(`disk bytes of three whole reads: ${DIRECT_READ_MIN_BYTES - 1} bytes ${small.join(', ')}; ${DIRECT_READ_MIN_BYTES} bytes ${large.join(', ')}`);
    // The first read of the small one may fill the cache from the disk (it was written around it);
    // the later ones find it there.
    expect(small[1]! + small[2]!, `small: ${small}`).toBeLessThan(DIRECT_READ_MIN_BYTES / 4);
    for (const bytes of large) expect(bytes, `large: ${large}`).toBeGreaterThanOrEqual(DIRECT_READ_MIN_BYTES);
  });

  it('a flipped byte in a chunk written with direct I/O fails a direct read covering it with DATA_LOSS naming the offset', async () => {
    const { client: c, proc } = direct;
    const data = randomBytes(3 * MiB + 1000);
    await putChunk(c, 'rot', data);
    const badAt = MiB + 70_000; // in block 17, in the second slab of the file
    const blockOffset = 17 * BLOCK;
    await flipByte(await chunkFile(proc.dataDir, 'rot'), HEADER + badAt);

    await expectBitrot(getChunk(c, 'rot'), 'rot', blockOffset, 'full');
    for (const range of [
      { offset: badAt, length: 1 },
      { offset: blockOffset, length: BLOCK },
      { offset: ALIGN - 1, length: 2 * MiB },
      { offset: blockOffset - 1, length: 2 },
      { offset: blockOffset + BLOCK - 1 },
    ]) {
      await expectBitrot(getChunk(c, 'rot', range), 'rot', blockOffset, JSON.stringify(range));
      await expectBitrot(getChunkMessages(c, 'rot', { ...range, withBlockChecksums: true }), 'rot', blockOffset, `${JSON.stringify(range)} with block checksums`);
    }
    for (const range of [
      { offset: 0, length: blockOffset },
      { offset: blockOffset + BLOCK, length: data.length - blockOffset - BLOCK },
      { offset: MiB - 5, length: 10 },
    ]) {
      expect((await getChunk(c, 'rot', range)).equals(data.subarray(range.offset, range.offset + range.length)), JSON.stringify(range)).toBe(true);
    }
    const verified = await verifyChunk(c, 'rot');
    expect([verified.ok, verified.badBlocks]).toEqual([false, [17]]);

    // At the very first byte of data (the block the header shares) and the very last (in the padded
    // final block the writer cut back).
    const edges = randomBytes(2 * MiB + 123);
    await putChunk(c, 'rot-first', edges);
    await putChunk(c, 'rot-last', edges);
    await flipByte(await chunkFile(proc.dataDir, 'rot-first'), HEADER);
    await flipByte(await chunkFile(proc.dataDir, 'rot-last'), HEADER + edges.length - 1);
    const lastBlock = Math.floor((edges.length - 1) / BLOCK) * BLOCK;
    await expectBitrot(getChunk(c, 'rot-first', { offset: 0, length: 1 }), 'rot-first', 0, 'first byte');
    await expectBitrot(getChunk(c, 'rot-last', { offset: edges.length - 1, length: 1 }), 'rot-last', lastBlock, 'last byte');
    expect((await getChunk(c, 'rot-first', { offset: BLOCK })).equals(edges.subarray(BLOCK))).toBe(true);
    expect((await getChunk(c, 'rot-last', { offset: 0, length: lastBlock })).equals(edges.subarray(0, lastBlock))).toBe(true);
    expect((await verifyChunk(c, 'rot-first')).badBlocks).toEqual([0]);
    expect((await verifyChunk(c, 'rot-last')).badBlocks).toEqual([lastBlock / BLOCK]);
  });

  it('cancelled PutChunks with direct I/O leave no file behind and give their slabs back', async () => {
    const { client: c, proc } = direct;
    const pid = proc.child.pid!;
    const cancelAll = async (count: number, label: string): Promise<number> => {
      const puts = Array.from({ length: count }, (_, i) => openPut(c, `cancelled-${label}-${i}`));
      for (const put of puts) put.send(randomBytes(MiB + ALIGN + 1));
      expect(await waitFor(async () => (await openPartFiles(pid, proc.dataDir)).length === count, 20_000), label).toBe(true);
      const directCount = (await openPartFiles(pid, proc.dataDir)).filter((p) => hasDirect(p.flags)).length;
      const errors = await Promise.all(puts.map((put) => put.cancel()));
      for (const err of errors) expect(err?.code, label).toBe(status.CANCELLED);
      expect(await waitFor(async () => (await filesUnder(join(proc.dataDir, 'tmp'))).length === 0), label).toBe(true);
      expect(await waitFor(async () => (await openPartFiles(pid, proc.dataDir)).length === 0), label).toBe(true);
      return directCount;
    };
    // Twice as many as the pool holds, in two rounds: the second round finds every slab free again.
    expect(await cancelAll(SLABS + 8, 'first')).toBe(SLABS);
    expect(await cancelAll(SLABS + 1, 'second')).toBe(SLABS);
    for (let i = 0; i < SLABS + 8; i++) await expect(statChunkCode(c, `cancelled-first-${i}`)).resolves.toBe(status.NOT_FOUND);
  });

  it(`${SLABS + 8} concurrent PutChunks (more than the pool of slabs) all store the right bytes, some of them through the page cache`, async () => {
    const { client: c, proc } = direct;
    const pid = proc.child.pid!;
    const chunks = Array.from({ length: SLABS + 8 }, (_, i) => ({ id: `many-${i}`, data: randomBytes(1.5 * MiB + i) }));
    const puts = chunks.map((chunk) => openPut(c, chunk.id));
    // Every stream open at once, each with 1 MiB written, before any ends.
    puts.forEach((put, i) => put.send(chunks[i]!.data.subarray(0, MiB)));
    const allOpen = await waitFor(async () => (await openPartFiles(pid, proc.dataDir)).length === chunks.length, 20_000);
    const parts = await openPartFiles(pid, proc.dataDir);
    expect(allOpen, `${parts.length} temporary files open`).toBe(true);
    const directCount = parts.filter((p) => hasDirect(p.flags)).length;
    console.log(`${chunks.length} concurrent writes: ${directCount} with O_DIRECT, ${parts.length - directCount} buffered`);
    // The pool's slabs are all free again after the earlier tests' writes and reads (a slab not
    // given back would show here), and nothing else is in flight.
    expect(directCount).toBe(SLABS);
    expect(parts.length - directCount).toBe(chunks.length - SLABS);

    const results = await Promise.all(puts.map((put, i) => put.finish(chunks[i]!.data.subarray(MiB))));
    results.forEach((res, i) => expect([res.chunkId, res.size, res.checksum]).toEqual([chunks[i]!.id, chunks[i]!.data.length, sha256(chunks[i]!.data)]));
    expect(await filesUnder(join(proc.dataDir, 'tmp'))).toEqual([]);

    // Read back all at once too: reads beyond the pool go through the page cache as well.
    const got = await Promise.all(chunks.map((chunk) => getChunk(c, chunk.id)));
    got.forEach((bytes, i) => expect(sha256(bytes), chunks[i]!.id).toBe(sha256(chunks[i]!.data)));
    for (const chunk of chunks) {
      expectChunkFileOf(await readFile(await chunkFile(proc.dataDir, chunk.id)), chunk.data, chunk.id);
    }
    const verified = await Promise.all(chunks.map((chunk) => verifyChunk(c, chunk.id)));
    verified.forEach((v, i) => expect(v.ok, `${chunks[i]!.id}: ${v.errorMessage}`).toBe(true));
  });
});

/**
 * Whether files in `dir` take O_DIRECT, found out here independently of the node: an aligned 4 KiB
 * write (WebAssembly memory is page-aligned) to a file opened with O_DIRECT.
 */
async function acceptsODirect(dir: string): Promise<boolean> {
  const path = join(dir, 'probe-by-the-test');
  try {
    const fh = await open(path, constants.O_CREAT | constants.O_WRONLY | constants.O_DIRECT, 0o600);
    try {
      const aligned = Buffer.from(new WebAssembly.Memory({ initial: 1, maximum: 1 }).buffer);
      return (await fh.write(aligned, 0, ALIGN, 0)).bytesWritten === ALIGN;
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  } finally {
    await rm(path, { force: true });
  }
}

/** PutChunk of `data` with the temporary file's flags looked at half way; checks the stored chunk. */
async function putWatchingFlags(node: { client: StorageServiceClient; pid: number; dataDir: string; chunkFileDir: string }, id: string, data: Buffer): Promise<number> {
  const put = openPut(node.client, id);
  put.send(data.subarray(0, 2 * MiB));
  expect(await waitFor(async () => (await openPartFiles(node.pid, node.dataDir)).length === 1)).toBe(true);
  const [part] = await openPartFiles(node.pid, node.dataDir);
  const res = await put.finish(data.subarray(2 * MiB));
  expect([res.size, res.checksum]).toEqual([data.length, sha256(data)]);
  expect((await getChunk(node.client, id)).equals(data)).toBe(true);
  expect((await getChunk(node.client, id, { offset: MiB - 70, length: 4200 })).equals(data.subarray(MiB - 70, MiB + 4130))).toBe(true);
  const file = await readFile(await chunkFile(node.chunkFileDir, id));
  expectChunkFileOf(file, data, id);
  const verified = await verifyChunk(node.client, id);
  expect([verified.ok, verified.errorMessage]).toEqual([true, '']);
  return part!.flags;
}

describe('a disk that refuses O_DIRECT', () => {
  it('tmpfs (/dev/shm): the node uses O_DIRECT exactly when the disk takes it, says so when not, and round trips a 3 MiB + 5 byte chunk', async () => {
    const dataDir = await tempDirForTest('/dev/shm');
    // tmpfs refuses O_DIRECT before Linux 6.6 and takes it since.
    const takesDirect = await acceptsODirect(dataDir);
    const node = await nodeForTest({ DATA_DIR: dataDir, DIRECT_IO: 'auto', LOG_LEVEL: 'info' });
    console.log(`tmpfs ${takesDirect ? 'takes' : 'refuses'} O_DIRECT on this kernel`);
    if (!takesDirect) expect(await waitFor(async () => NOT_AVAILABLE.test(node.proc.output()), 5_000), node.proc.output()).toBe(true);
    const data = randomBytes(3 * MiB + 5);
    const flags = await putWatchingFlags({ client: node.client, pid: node.proc.child.pid!, dataDir, chunkFileDir: dataDir }, 'on-tmpfs', data);
    expect(hasDirect(flags), `flags 0${flags.toString(8)}`).toBe(takesDirect);
    expect(NOT_AVAILABLE.test(node.proc.output()), node.proc.output()).toBe(!takesDirect);
  });

  it('ramfs (always refuses O_DIRECT): the node logs that direct I/O is not available and round trips a 3 MiB + 5 byte chunk through the page cache', async () => {
    // ramfs mounted over an empty folder in a mount namespace of the node's own (unshare), so
    // nothing is mounted for anyone else and the mount goes with the node; its files are reached
    // through /proc/<pid>/root.
    const mountPoint = await tempDirForTest();
    const userNs = process.getuid?.() === 0 ? [] : ['--user', '--map-root-user'];
    const child: ChildProcess = spawn(
      'unshare',
      [...userNs, '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t ramfs ramfs "$DATA_DIR" && exec "$0" "$1"', process.execPath, join(ROOT, 'dist/storage-node/main.js')],
      {
        env: {
          ...process.env,
          GRPC_HOST: '127.0.0.1',
          GRPC_PORT: '0',
          DATA_DIR: mountPoint,
          CLUSTER_TOKEN: TEST_CLUSTER_TOKEN,
          DIRECT_IO: 'auto',
          LOG_LEVEL: 'info',
          DISK_RESERVE_BYTES: '0', // ramfs reports no free space
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = once(child, 'exit');
    undoAfterTest.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    });
    expect(await waitFor(async () => /listening on [^\s]+:(\d+)/.test(out) || child.exitCode !== null, 30_000), out).toBe(true);
    const port = /listening on [^\s]+:(\d+)/.exec(out)?.[1];
    expect(port, `the node did not start on ramfs:\n${out}`).toBeDefined();
    const c = createStorageClient(`127.0.0.1:${port}`, {}, TEST_CLUSTER_TOKEN);
    undoAfterTest.push(async () => c.close());

    expect(await waitFor(async () => NOT_AVAILABLE.test(out), 5_000), out).toBe(true);
    expect(NOT_AVAILABLE.exec(out)![1]).toBe(mountPoint);
    const pid = child.pid!; // sh exec'd the node in unshare's own process
    const inNamespace = `/proc/${pid}/root${mountPoint}`;
    expect((await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')).toContain(join(ROOT, 'dist/storage-node/main.js'));
    const data = randomBytes(3 * MiB + 5);
    const flags = await putWatchingFlags({ client: c, pid, dataDir: mountPoint, chunkFileDir: inNamespace }, 'on-ramfs', data);
    expect(hasDirect(flags), `flags 0${flags.toString(8)}`).toBe(false);
    expect(await filesUnder(join(inNamespace, 'tmp'))).toEqual([]);
  });
});

describe('DIRECT_IO setting', () => {
  it('DIRECT_IO=sometimes stops the node at start with a non-zero exit and one line naming DIRECT_IO', async () => {
    const dataDir = await tempDirForTest();
    for (const value of ['sometimes']) {
      const child = spawn(process.execPath, [join(ROOT, 'dist/storage-node/main.js')], {
        env: { ...process.env, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', DATA_DIR: dataDir, CLUSTER_TOKEN: TEST_CLUSTER_TOKEN, DIRECT_IO: value },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code, value).not.toBe(0);
      expect(code, value).not.toBeNull();
      const lines = out.trim().split('\n');
      expect(lines, out).toHaveLength(1);
      expect(lines[0]).toContain('DIRECT_IO');
      expect(lines[0]).toContain(value);
    }
  });

  it('DIRECT_IO is read case-insensitively: OFF and Auto start the node', async () => {
    for (const value of ['OFF', ' Auto ']) {
      const node = await nodeForTest({ DIRECT_IO: value });
      const data = randomBytes(MiB + 1);
      await putChunk(node.client, 'x', data);
      expect((await getChunk(node.client, 'x')).equals(data), value).toBe(true);
    }
  });
});
