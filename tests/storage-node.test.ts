// The storage node against real processes: each test talks gRPC to `node dist/storage-node/main.js`
// on an ephemeral port and looks at the node's data folder on disk.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, open, rm, stat, statfs, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer as createHttpServer } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { freePort } from './bench/bench-support.js';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { createStorageClient } from '../proto/storage-proto.js';
import type { GetChunkResponse__Output } from '../proto/generated/storage/GetChunkResponse.js';
import { getDefaultHighWaterMark } from 'node:stream';
import { limitCallReadAhead } from '../proto/call-read-ahead.js';
import { ROOT, TEST_CLUSTER_TOKEN } from './helpers/processes.js';
import { startNodeWithClient as startNode, type NodeWithClient as Node } from './helpers/storage-node-client.js';
import {
  MiB,
  bytesRead,
  chunkFile,
  deleteChunk,
  filesUnder,
  getChunk,
  getChunkMessages,
  grpcCode,
  grpcError,
  health,
  listChunks,
  putChunk,
  peakResidentBytes,
  resetPeakResident,
  residentBytes,
  sampleMemory,
  sha256,
  statChunk,
  storedFiles,
  streamChunk,
  verifyChunk,
  waitFor,
  xxh64Blocks,
} from './helpers/storage-client.js';

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

async function tempDirForTest(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'storage-node-test-'));
  undoAfterTest.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A node shared by the tests of one describe block. */
function sharedNode(env: NodeJS.ProcessEnv = {}): () => Node {
  let node: Node | undefined;
  beforeAll(async () => {
    node = await startNode(env);
  });
  afterAll(async () => {
    await node?.cleanup();
  });
  return () => node!;
}

/** Polls (bounded) until the node keeps no file for chunks, finished or temporary. */
async function expectNoFilesSoon(dataDir: string): Promise<void> {
  await waitFor(async () => (await storedFiles(dataDir)).length === 0);
  expect(await storedFiles(dataDir)).toEqual([]);
}

/** Polls (bounded) until `dir` holds no file and has held none for `quietMs`. */
async function staysEmpty(dir: string, quietMs: number, timeoutMs: number): Promise<boolean> {
  let emptySince: number | null = null;
  return waitFor(async () => {
    if ((await filesUnder(dir)).length > 0) emptySince = null;
    else emptySince ??= Date.now();
    return emptySince !== null && Date.now() - emptySince >= quietMs;
  }, timeoutMs);
}

const INVALID_IDS = ['../x', '', 'a'.repeat(129), 'a/b', '.', '..', 'a\\b', 'sp ace', 'é'];

describe('PutChunk, GetChunk, StatChunk and DeleteChunk', () => {
  const node = sharedNode();

  it('put answers with chunkId, success, size and the SHA-256 the node computed', async () => {
    const data = randomBytes(3 * MiB + 123);
    const res = await putChunk(node().client, 'put-fields', data);
    expect(res.chunkId).toBe('put-fields');
    expect(res.success).toBe(true);
    expect(res.errorMessage).toBe('');
    expect(res.size).toBe(data.length);
    expect(res.checksum).toBe(sha256(data));
  });

  it('get returns the bytes exactly, in messages of at most 1 MiB, and their SHA-256 is StatChunk checksum', async () => {
    const data = randomBytes(5 * MiB + 7);
    await putChunk(node().client, 'get-exact', data, { checksum: sha256(data) });
    const parts: Buffer[] = [];
    const { maxMessage, messages } = await streamChunk(node().client, 'get-exact', {}, (d) => parts.push(d));
    const got = Buffer.concat(parts);
    expect(got.equals(data)).toBe(true);
    expect(maxMessage).toBeLessThanOrEqual(MiB);
    expect(messages).toBeGreaterThanOrEqual(6);
    const st = await statChunk(node().client, 'get-exact');
    expect(st.chunkId).toBe('get-exact');
    expect(st.size).toBe(data.length);
    expect(st.checksum).toBe(sha256(got));
  });

  it('accepts the checksum in the last message of the stream, and in upper case', async () => {
    const data = randomBytes(2 * MiB + 1);
    const last = await putChunk(node().client, 'checksum-last', data, { checksum: sha256(data), checksumAt: 'last' });
    expect(last.success).toBe(true);
    const upper = await putChunk(node().client, 'checksum-upper', data, { checksum: sha256(data).toUpperCase() });
    expect(upper.checksum).toBe(sha256(data));
  });

  it('a 128-character id made of every allowed character class is valid', async () => {
    const id = `Az09_.-${'x'.repeat(121)}`;
    expect(id.length).toBe(128);
    const data = randomBytes(1000);
    await putChunk(node().client, id, data);
    expect((await getChunk(node().client, id)).equals(data)).toBe(true);
  });

  it('a 0-byte chunk round trips', async () => {
    const empty = Buffer.alloc(0);
    const res = await putChunk(node().client, 'empty-chunk', empty, { checksum: sha256(empty) });
    expect(res.success).toBe(true);
    expect(res.size).toBe(0);
    expect(res.checksum).toBe(sha256(empty));
    const got = await getChunk(node().client, 'empty-chunk');
    expect(got.length).toBe(0);
    const st = await statChunk(node().client, 'empty-chunk');
    expect([st.size, st.checksum]).toEqual([0, sha256(empty)]);
    const listed = (await listChunks(node().client)).find((c) => c.chunkId === 'empty-chunk');
    expect(listed?.size).toBe(0);
  });

  it('get, stat and delete of an unknown id are NOT_FOUND', async () => {
    expect(await grpcCode(getChunk(node().client, 'never-stored'))).toBe(status.NOT_FOUND);
    expect(await grpcCode(statChunk(node().client, 'never-stored'))).toBe(status.NOT_FOUND);
    expect(await grpcCode(deleteChunk(node().client, 'never-stored'))).toBe(status.NOT_FOUND);
  });

  it('delete answers success, removes the file, and then get is NOT_FOUND', async () => {
    const data = randomBytes(MiB + 5);
    await putChunk(node().client, 'to-delete', data);
    const before = (await storedFiles(node().proc.dataDir)).filter((f) => f.endsWith('/to-delete'));
    expect(before).toHaveLength(1);
    const usedBefore = (await health(node().client)).usedSpace;
    const res = await deleteChunk(node().client, 'to-delete');
    expect(res.success).toBe(true);
    expect(await grpcCode(getChunk(node().client, 'to-delete'))).toBe(status.NOT_FOUND);
    expect(await grpcCode(statChunk(node().client, 'to-delete'))).toBe(status.NOT_FOUND);
    expect(await grpcCode(deleteChunk(node().client, 'to-delete'))).toBe(status.NOT_FOUND);
    expect((await storedFiles(node().proc.dataDir)).filter((f) => f.endsWith('/to-delete'))).toEqual([]);
    expect((await health(node().client)).usedSpace).toBe(usedBefore - data.length);
  });

  it('get, stat and delete with an invalid id fail INVALID_ARGUMENT', async () => {
    for (const id of INVALID_IDS) {
      expect(await grpcCode(getChunk(node().client, id)), id).toBe(status.INVALID_ARGUMENT);
      expect(await grpcCode(statChunk(node().client, id)), id).toBe(status.INVALID_ARGUMENT);
      expect(await grpcCode(deleteChunk(node().client, id)), id).toBe(status.INVALID_ARGUMENT);
    }
  });

  it('a wrong checksum on an existing id fails DATA_LOSS and keeps the old chunk', async () => {
    const old = randomBytes(MiB + 9);
    await putChunk(node().client, 'keep-old', old);
    const other = randomBytes(2 * MiB);
    const code = await grpcCode(putChunk(node().client, 'keep-old', other, { checksum: sha256(old), checksumAt: 'last' }));
    expect(code).toBe(status.DATA_LOSS);
    expect((await getChunk(node().client, 'keep-old')).equals(old)).toBe(true);
    expect((await statChunk(node().client, 'keep-old')).checksum).toBe(sha256(old));
    expect(await filesUnder(join(node().proc.dataDir, 'tmp'))).toEqual([]);
  });

  it('accepts messages of 16 MiB (above gRPC default 4 MiB limit)', async () => {
    const data = randomBytes(32 * MiB + 100);
    const res = await putChunk(node().client, 'big-messages', data, { messageSize: 16 * MiB, checksum: sha256(data) });
    expect(res.size).toBe(data.length);
    expect((await getChunk(node().client, 'big-messages')).equals(data)).toBe(true);
  });

  it('ranged reads return exactly the asked bytes; past the end is OUT_OF_RANGE', async () => {
    const data = randomBytes(5 * MiB + 777);
    const size = data.length;
    await putChunk(node().client, 'ranged', data);
    const cases: Array<[{ offset?: number; length?: number }, Buffer]> = [
      [{ offset: 1000, length: 3 * MiB }, data.subarray(1000, 1000 + 3 * MiB)],
      [{ offset: MiB - 1, length: 2 }, data.subarray(MiB - 1, MiB + 1)],
      [{ offset: 2 * MiB + 5 }, data.subarray(2 * MiB + 5)],
      [{ length: 10 }, data.subarray(0, 10)],
      [{ offset: 0, length: 0 }, Buffer.alloc(0)],
      [{ offset: 17, length: 0 }, Buffer.alloc(0)],
      [{ offset: size - 1, length: 1 }, data.subarray(size - 1)],
      [{ offset: size }, Buffer.alloc(0)],
      [{ offset: 0, length: size }, data],
    ];
    for (const [range, expected] of cases) {
      const got = await getChunk(node().client, 'ranged', range);
      expect(got.length, JSON.stringify(range)).toBe(expected.length);
      expect(got.equals(expected), JSON.stringify(range)).toBe(true);
    }
    for (const range of [{ offset: size + 1 }, { offset: 10, length: size }, { offset: size, length: 1 }, { offset: 4 * size }]) {
      expect(await grpcCode(getChunk(node().client, 'ranged', range)), JSON.stringify(range)).toBe(status.OUT_OF_RANGE);
    }
  });

  it('advertises an 8 MiB HTTP/2 receive window per stream and per connection (the patched grpc-js option)', async () => {
    // At HTTP/2's 64 KiB a PutChunk caller waits for a window update every 64 KiB.
    const session = http2Connect(`http://${node().proc.address}`);
    try {
      session.on('error', () => {}); // the assertions below say what went wrong
      await once(session, 'remoteSettings');
      expect(session.remoteSettings.initialWindowSize).toBe(8 * MiB);
      // The connection's window grows by a WINDOW_UPDATE that follows the settings.
      expect(await waitFor(async () => session.state.remoteWindowSize === 8 * MiB, 5_000, 10), `connection window ${session.state.remoteWindowSize}`).toBe(true);
    } finally {
      session.destroy();
    }
  });

  it('ten concurrent puts, then ten concurrent gets of different chunks, all verified', async () => {
    const chunks = Array.from({ length: 10 }, (_, i) => ({ id: `concurrent-${i}`, data: randomBytes(i * 700_000 + 13 * i + 1) }));
    const puts = await Promise.all(chunks.map((c) => putChunk(node().client, c.id, c.data, { checksum: sha256(c.data) })));
    puts.forEach((res, i) => {
      expect(res.chunkId).toBe(chunks[i]!.id);
      expect(res.size).toBe(chunks[i]!.data.length);
    });
    const gets = await Promise.all(chunks.map((c) => getChunk(node().client, c.id)));
    gets.forEach((got, i) => expect(got.equals(chunks[i]!.data), chunks[i]!.id).toBe(true));
    const stats = await Promise.all(chunks.map((c) => statChunk(node().client, c.id)));
    stats.forEach((st, i) => expect(st.checksum).toBe(sha256(chunks[i]!.data)));
  });

  it('the same id written concurrently by several writers, with reads in between, never reads back mixed', async () => {
    const client = node().client;
    const id = 'contended';
    const usedBefore = (await health(client)).usedSpace;
    const versions = Array.from({ length: 5 }, (_, i) => randomBytes(4 * MiB + i * 4099));
    const known = new Set(versions.map(sha256));
    await putChunk(client, id, versions[0]!);

    let writing = true;
    const reads: string[] = [];
    const reader = async (): Promise<void> => {
      while (writing) reads.push(sha256(await getChunk(client, id)));
    };
    const writer = async (data: Buffer): Promise<void> => {
      for (let round = 0; round < 3; round++) {
        const res = await putChunk(client, id, data, { messageSize: 256 * 1024, checksum: sha256(data) });
        expect(res.checksum).toBe(sha256(data));
      }
    };
    const readers = [reader(), reader(), reader()];
    try {
      await Promise.all(versions.slice(1).map(writer));
    } finally {
      writing = false;
    }
    await Promise.all(readers);

    expect(reads.length).toBeGreaterThanOrEqual(3);
    for (const r of reads) expect(known.has(r)).toBe(true);
    const final = await getChunk(client, id);
    expect(versions.slice(1).map(sha256)).toContain(sha256(final));
    const st = await statChunk(client, id);
    expect([st.size, st.checksum]).toEqual([final.length, sha256(final)]);
    const h = await health(client);
    expect(h.usedSpace).toBe(usedBefore + final.length);
    expect(await filesUnder(join(node().proc.dataDir, 'tmp'))).toEqual([]);
  });

  it('an overwrite replaces the chunk and keeps used_space and chunk_count exact', async () => {
    const client = node().client;
    const before = await health(client);
    const a = randomBytes(3 * MiB + 1);
    const b = randomBytes(MiB + 2);
    await putChunk(client, 'overwrite', a);
    let h = await health(client);
    expect([h.usedSpace, h.chunkCount]).toEqual([before.usedSpace + a.length, before.chunkCount + 1]);
    await putChunk(client, 'overwrite', b);
    h = await health(client);
    expect([h.usedSpace, h.chunkCount]).toEqual([before.usedSpace + b.length, before.chunkCount + 1]);
    expect((await getChunk(client, 'overwrite')).equals(b)).toBe(true);
    const listed = (await listChunks(client)).filter((c) => c.chunkId === 'overwrite');
    expect(listed.map((c) => c.size)).toEqual([b.length]);
    await deleteChunk(client, 'overwrite');
    h = await health(client);
    expect([h.usedSpace, h.chunkCount]).toEqual([before.usedSpace, before.chunkCount]);
  });

  it('a reader that stops makes the node stop reading the disk after a few MiB (GetChunk honours flow control)', async () => {
    const client = node().client;
    const size = 256 * MiB;
    const hash = createHash('sha256');
    const block = randomBytes(MiB);
    function* parts(): Generator<Buffer> {
      for (let i = 0; i < size / MiB; i++) {
        const part = Buffer.from(block);
        part.writeUInt32BE(i, 0);
        hash.update(part);
        yield part;
      }
    }
    await putChunk(client, 'slow-reader', parts());
    const expected = hash.digest('hex');
    const pid = node().proc.child.pid!;

    for (const withBlockChecksums of [false, true]) {
      const label = `withBlockChecksums=${withBlockChecksums}`;
      const rssBefore = await residentBytes(pid);
      // rchar counts every byte the node reads, from the chunk file (page cache or not) and from
      // sockets; while its caller is paused the node receives almost nothing on the socket.
      const readBefore = await bytesRead(pid);
      // The caller's own queue of received messages: 1 instead of 16, as the gateway's (set for
      // this one stream: the default is read when a stream is made).
      const defaultReadAhead = getDefaultHighWaterMark(true);
      limitCallReadAhead(1);
      const call = client.getChunk({ chunkId: 'slow-reader', withBlockChecksums });
      limitCallReadAhead(defaultReadAhead);
      expect(call.readableHighWaterMark).toBe(1);
      const readHash = createHash('sha256');
      let received = 0;
      const [first] = (await once(call, 'data')) as [{ data: Buffer }];
      readHash.update(first.data);
      received += first.data.length;
      call.pause();
      await new Promise((r) => setTimeout(r, 1000));
      const readPaused = (await bytesRead(pid)) - readBefore;
      await new Promise((r) => setTimeout(r, 500));
      const readLater = (await bytesRead(pid)) - readBefore;
      const rssPaused = await residentBytes(pid);
      call.on('data', (msg: { data: Buffer }) => {
        readHash.update(msg.data);
        received += msg.data.length;
      });
      call.resume();
      await once(call, 'end');
      expect(received, label).toBe(size);
      expect(readHash.digest('hex'), label).toBe(expected);
      console.log(`${label}: paused reader, node read ${(readPaused / MiB).toFixed(1)} MiB, then ${((readLater - readPaused) / 1024).toFixed(1)} KiB more`);
      // What the node has read: the HTTP/2 receive window of the caller (8 MiB) and the message in
      // its queue, plus the node's own send window (2 messages) and one group read ahead. Reading
      // on regardless would reach the whole 256 MiB within the pause.
      expect(readPaused, label).toBeLessThan(20 * MiB);
      expect(readLater - readPaused, label).toBeLessThan(MiB); // and it stays stopped
      expect(rssPaused - rssBefore, label).toBeLessThan(64 * MiB);
    }
  });
});

describe('writes that fail leave nothing on disk', () => {
  const IDLE_TIMEOUT_MS = 2_000;
  const node = sharedNode({ PUT_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) });
  const nothingStored = async (): Promise<void> => {
    expect(await storedFiles(node().proc.dataDir)).toEqual([]);
    expect(await listChunks(node().client)).toEqual([]);
    expect((await health(node().client)).usedSpace).toBe(0);
  };

  it('invalid ids (../x, empty, 129 chars, a/b, ., .., ...) fail INVALID_ARGUMENT with nothing written', async () => {
    for (const id of INVALID_IDS) {
      const code = await grpcCode(putChunk(node().client, id, randomBytes(2 * MiB)));
      expect(code, JSON.stringify(id)).toBe(status.INVALID_ARGUMENT);
    }
    await nothingStored();
    // ../x must not have landed next to the data folder either.
    await expect(stat(join(node().proc.dataDir, '..', 'x'))).rejects.toThrow();
  });

  it('a stream whose first message has no chunk_id fails INVALID_ARGUMENT', async () => {
    const code = await grpcCode(putChunk(node().client, '', [randomBytes(1000)]));
    expect(code).toBe(status.INVALID_ARGUMENT);
    await nothingStored();
  });

  it('a checksum mismatch fails DATA_LOSS and keeps nothing', async () => {
    const data = randomBytes(3 * MiB + 5);
    const wrong = sha256(Buffer.concat([data, Buffer.from([0])]));
    for (const checksumAt of ['first', 'last'] as const) {
      const code = await grpcCode(putChunk(node().client, 'mismatch', data, { checksum: wrong, checksumAt }));
      expect(code, checksumAt).toBe(status.DATA_LOSS);
    }
    expect(await grpcCode(statChunk(node().client, 'mismatch'))).toBe(status.NOT_FOUND);
    await nothingStored();
  });

  it('a checksum that is not 64 hex digits fails INVALID_ARGUMENT and keeps nothing', async () => {
    const code = await grpcCode(putChunk(node().client, 'bad-checksum', randomBytes(1000), { checksum: 'xyz' }));
    expect(code).toBe(status.INVALID_ARGUMENT);
    await nothingStored();
  });

  it('a PutChunk stream cancelled halfway leaves no file, not even in tmp/', async () => {
    const client = node().client;
    const tmp = join(node().proc.dataDir, 'tmp');
    let failed!: (err: ServiceError | null) => void;
    const answer = new Promise<ServiceError | null>((resolve) => (failed = resolve));
    const call = client.putChunk((err) => failed(err));
    const block = randomBytes(MiB);
    for (let i = 0; i < 8; i++) {
      if (!call.write(i === 0 ? { chunkId: 'cancelled', data: block } : { data: block })) await once(call, 'drain');
    }
    // The node has really started writing: its temporary file holds several MiB.
    const started = await waitFor(async () => {
      const [part] = await filesUnder(tmp);
      return part !== undefined && (await stat(join(tmp, part))).size >= 4 * MiB;
    });
    expect(started).toBe(true);
    call.cancel();
    const err = await answer;
    expect(err?.code).toBe(status.CANCELLED);
    await expectNoFilesSoon(node().proc.dataDir);
    await nothingStored();
    // The id is still free to be written afterwards.
    const data = randomBytes(MiB);
    await putChunk(client, 'cancelled', data);
    expect((await getChunk(client, 'cancelled')).equals(data)).toBe(true);
    await deleteChunk(client, 'cancelled');
  });

  it('a PutChunk stream broken by the death of its caller leaves no file', async () => {
    // A separate caller process, killed with SIGKILL while it streams (it sends at most 512 MiB).
    const script = `
      const { createStorageClient } = await import(process.argv[1]);
      const call = createStorageClient(process.argv[2], {}, process.argv[3]).putChunk(() => {});
      const block = Buffer.alloc(1024 * 1024, 7);
      let sent = 0;
      const pump = () => {
        while (sent < 512) { sent++; if (!call.write(sent === 1 ? { chunkId: 'broken', data: block } : { data: block })) return call.once('drain', pump); }
      };
      pump();
      setInterval(() => {}, 1000);`;
    const protoModule = pathToFileURL(join(ROOT, 'dist', 'proto', 'storage-proto.js')).href;
    const caller = spawn(process.execPath, ['--input-type=module', '-e', script, protoModule, node().proc.address, TEST_CLUSTER_TOKEN], {
      stdio: 'ignore',
    });
    const exited = once(caller, 'exit');
    undoAfterTest.push(async () => {
      if (caller.exitCode === null && caller.signalCode === null) caller.kill('SIGKILL');
      await exited;
    });
    const tmp = join(node().proc.dataDir, 'tmp');
    const started = await waitFor(async () => {
      const [part] = await filesUnder(tmp);
      return part !== undefined && (await stat(join(tmp, part))).size >= 4 * MiB;
    }, 20_000);
    expect(started).toBe(true);
    caller.kill('SIGKILL');
    await exited;
    await expectNoFilesSoon(node().proc.dataDir);
    await nothingStored();
  });

  it('a PutChunk cancelled after 8 of 32 MiB leaves no temporary file behind (old and new callers)', async () => {
    const client = node().client;
    const tmp = join(node().proc.dataDir, 'tmp');
    const data = randomBytes(32 * MiB);
    for (const style of ['checksum', 'block checksums + skip_sha256'] as const) {
      let answered!: (err: ServiceError | null) => void;
      const answer = new Promise<ServiceError | null>((resolve) => (answered = resolve));
      const call = client.putChunk((err) => answered(err));
      for (let i = 0; i < 8; i++) {
        const part = data.subarray(i * MiB, (i + 1) * MiB);
        const first = i === 0 ? { chunkId: 'cancelled-8-of-32' } : {};
        const extra =
          style === 'checksum'
            ? i === 0 ? { checksum: sha256(data) } : {}
            : { blockChecksums: xxh64Blocks(part), ...(i === 0 ? { skipSha256: true } : {}) };
        if (!call.write({ ...first, ...extra, data: part })) await once(call, 'drain');
      }
      // Cancelled at once: grpc-js then still opens the stream and sends the 8 messages, but never
      // ends or resets it (see storage-service.ts); the node gives it up after PUT_IDLE_TIMEOUT_MS.
      call.cancel();
      expect((await answer)?.code, style).toBe(status.CANCELLED);
      // The file may appear after the cancel, so it must be gone and stay gone.
      expect(await staysEmpty(tmp, 1_000, IDLE_TIMEOUT_MS + 10_000), style).toBe(true);
      await nothingStored();
    }
  });

  it('a PutChunk stream that goes silent (no message, no end, no cancel) is given up: DEADLINE_EXCEEDED, no file', async () => {
    const client = node().client;
    const tmp = join(node().proc.dataDir, 'tmp');
    let answered!: (err: ServiceError | null) => void;
    const answer = new Promise<ServiceError | null>((resolve) => (answered = resolve));
    const call = client.putChunk((err) => answered(err));
    for (let i = 0; i < 3; i++) call.write(i === 0 ? { chunkId: 'silent', data: randomBytes(MiB) } : { data: randomBytes(MiB) });
    expect(await waitFor(async () => (await filesUnder(tmp)).length === 1)).toBe(true);
    const started = Date.now();
    const err = await answer;
    expect(err?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeGreaterThan(IDLE_TIMEOUT_MS / 2);
    await expectNoFilesSoon(node().proc.dataDir);
    await nothingStored();
  });

  it('a message over the 16 MiB limit is refused and keeps nothing', async () => {
    const client = createStorageClient(node().proc.address, { 'grpc.max_send_message_length': 64 * MiB }, TEST_CLUSTER_TOKEN);
    try {
      const code = await grpcCode(putChunk(client, 'oversized', randomBytes(20 * MiB), { messageSize: 20 * MiB }));
      expect(code).toBe(status.RESOURCE_EXHAUSTED);
    } finally {
      client.close();
    }
    await expectNoFilesSoon(node().proc.dataDir);
    await nothingStored();
  });
});

const BLOCK = 65536;

/** Flips one bit of the byte at `position` of a file, as bitrot on the disk would. */
async function flipByte(path: string, position: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    const { bytesRead } = await fh.read(byte, 0, 1, position);
    expect(bytesRead).toBe(1);
    byte[0]! ^= 0x04;
    await fh.write(byte, 0, 1, position);
  } finally {
    await fh.close();
  }
}

/** Expects DATA_LOSS with details naming the chunk and the block's offset in the chunk. */
async function expectBitrot(call: Promise<unknown>, chunkId: string, blockOffset: number, label: string): Promise<void> {
  const { code, details } = await grpcError(call);
  expect(code, label).toBe(status.DATA_LOSS);
  expect(details, label).toContain(chunkId);
  expect(details, label).toContain(`offset ${blockOffset}`);
}

/**
 * Checks a with_block_checksums answer against the chunk's bytes: whole blocks covering
 * [offset, offset + length), in order, at most 1 MiB per message, each with the xxHash64 of its
 * blocks (computed here, not by the node's code).
 */
function expectBlockAnswer(messages: GetChunkResponse__Output[], data: Buffer, offset: number, length: number, label: string): void {
  if (length === 0) {
    expect(messages, label).toEqual([]); // an empty range is answered with no message
    return;
  }
  const start = Math.floor(offset / BLOCK) * BLOCK;
  const end = Math.min(data.length, Math.ceil((offset + length) / BLOCK) * BLOCK);
  let at = start;
  for (const m of messages) {
    expect(m.blockSize, label).toBe(BLOCK);
    expect(m.offset, label).toBe(at);
    expect(m.data.length, label).toBeGreaterThan(0);
    expect(m.data.length, label).toBeLessThanOrEqual(MiB);
    if (at + m.data.length !== data.length) expect(m.data.length % BLOCK, label).toBe(0);
    expect(m.data.equals(data.subarray(at, at + m.data.length)), label).toBe(true);
    expect(m.blockChecksums.toString('hex'), label).toBe(xxh64Blocks(m.data).toString('hex'));
    at += m.data.length;
  }
  expect(at, label).toBe(end);
}

describe('block checksums: verified reads, bitrot on disk, checked writes', () => {
  const node = sharedNode();
  const tmpFiles = (): Promise<string[]> => filesUnder(join(node().proc.dataDir, 'tmp'));

  it('a flipped byte on disk fails every read covering its block with DATA_LOSS naming the offset; other ranges still succeed', async () => {
    const { client, proc } = node();
    const data = randomBytes(3 * MiB + 1000);
    await putChunk(client, 'rot', data);
    const badAt = MiB + 70_000; // in block 17
    const blockOffset = 17 * BLOCK;
    await flipByte(await chunkFile(proc.dataDir, 'rot'), 64 + badAt);

    await expectBitrot(getChunk(client, 'rot'), 'rot', blockOffset, 'full');
    await expectBitrot(getChunkMessages(client, 'rot', { withBlockChecksums: true }), 'rot', blockOffset, 'full, with block checksums');
    const covering = [
      { offset: badAt, length: 1 },
      { offset: blockOffset, length: BLOCK },
      { offset: 1000, length: 2 * MiB },
      { offset: 16 * BLOCK + 10, length: BLOCK },
      { offset: blockOffset + BLOCK - 1 },
    ];
    for (const range of covering) {
      await expectBitrot(getChunk(client, 'rot', range), 'rot', blockOffset, JSON.stringify(range));
      await expectBitrot(getChunk(client, 'rot', { ...range, withBlockChecksums: true }), 'rot', blockOffset, `${JSON.stringify(range)} with block checksums`);
    }

    // Bytes before the bad block may arrive, no byte of it does.
    const received: Buffer[] = [];
    await grpcError(streamChunk(client, 'rot', {}, (d) => received.push(d)));
    const prefix = Buffer.concat(received);
    expect(prefix.length).toBeLessThanOrEqual(blockOffset);
    expect(prefix.equals(data.subarray(0, prefix.length))).toBe(true);

    const clean: Array<[{ offset?: number; length?: number }, Buffer]> = [
      [{ offset: 0, length: blockOffset }, data.subarray(0, blockOffset)],
      [{ offset: blockOffset - 1, length: 1 }, data.subarray(blockOffset - 1, blockOffset)],
      [{ offset: blockOffset + BLOCK }, data.subarray(blockOffset + BLOCK)],
      [{ offset: 5, length: MiB }, data.subarray(5, 5 + MiB)],
    ];
    for (const [range, expected] of clean) {
      expect((await getChunk(client, 'rot', range)).equals(expected), JSON.stringify(range)).toBe(true);
      const messages = await getChunkMessages(client, 'rot', { ...range, withBlockChecksums: true });
      expectBlockAnswer(messages, data, range.offset ?? 0, range.length ?? data.length - (range.offset ?? 0), JSON.stringify(range));
    }
    expect((await statChunk(client, 'rot')).checksum).toBe(sha256(data)); // the header is intact
  });

  it('a flipped byte in the stored checksum table, a damaged header or a truncated file are DATA_LOSS too', async () => {
    const { client, proc } = node();
    const data = randomBytes(2 * BLOCK + 5);
    for (const id of ['rot-table', 'rot-header', 'rot-short']) await putChunk(client, id, data);
    const usedBefore = (await health(client)).usedSpace;

    await flipByte(await chunkFile(proc.dataDir, 'rot-table'), 64 + data.length + 8 + 3); // block 1's checksum
    await expectBitrot(getChunk(client, 'rot-table'), 'rot-table', BLOCK, 'table');
    expect((await getChunk(client, 'rot-table', { offset: 0, length: BLOCK })).equals(data.subarray(0, BLOCK))).toBe(true);

    await flipByte(await chunkFile(proc.dataDir, 'rot-header'), 45); // inside the size field
    // One call at a time: a call started before the previous one is awaited could reject unobserved.
    for (const call of [() => getChunk(client, 'rot-header'), () => statChunk(client, 'rot-header')]) {
      const { code, details } = await grpcError(call());
      expect(code).toBe(status.DATA_LOSS);
      expect(details).toMatch(/rot-header.*damaged header/);
    }
    // A damaged chunk is still listed, and can be deleted (to be healed elsewhere).
    expect((await listChunks(client)).map((c) => c.chunkId)).toContain('rot-header');
    expect((await deleteChunk(client, 'rot-header')).success).toBe(true);

    await truncate(await chunkFile(proc.dataDir, 'rot-short'), 64 + data.length); // the table is gone
    const short = await grpcError(getChunk(client, 'rot-short'));
    expect(short.code).toBe(status.DATA_LOSS);
    expect(short.details).toContain('rot-short');

    for (const id of ['rot-table', 'rot-short']) await deleteChunk(client, id);
    expect((await health(client)).usedSpace).toBe(usedBefore - 3 * data.length);
  });

  it('with_block_checksums answers the whole blocks covering the range, with their checksums', async () => {
    const { client } = node();
    const data = randomBytes(3 * MiB + 777);
    const size = data.length;
    await putChunk(client, 'blocks', data, { checksum: sha256(data) });
    const ranges: Array<{ offset?: number; length?: number }> = [
      {},
      { offset: 1000, length: 3 * MiB - 300 },
      { offset: BLOCK - 1, length: 2 },
      { offset: MiB, length: MiB },
      { offset: size - 1, length: 1 },
      { offset: size - 800 },
      { offset: 0, length: 0 },
      { offset: 17, length: 0 },
      { offset: size },
    ];
    for (const range of ranges) {
      const messages = await getChunkMessages(client, 'blocks', { ...range, withBlockChecksums: true });
      const offset = range.offset ?? 0;
      expectBlockAnswer(messages, data, offset, range.length ?? size - offset, JSON.stringify(range));
    }
    expect(await getChunkMessages(client, 'blocks', { withBlockChecksums: true })).toHaveLength(4); // 3 MiB + 777 bytes
    // Without the flag the answer carries no block fields (what existing callers see).
    for (const m of await getChunkMessages(client, 'blocks', { offset: 3 })) {
      expect([m.blockChecksums.length, m.offset, m.blockSize]).toEqual([0, 0, 0]);
    }
    expect(await grpcCode(getChunk(client, 'blocks', { offset: size + 1, withBlockChecksums: true }))).toBe(status.OUT_OF_RANGE);
    await putChunk(client, 'blocks-empty', Buffer.alloc(0));
    expect(await getChunkMessages(client, 'blocks-empty', { withBlockChecksums: true })).toEqual([]);
    expect(await getChunkMessages(client, 'blocks-empty')).toEqual([]);
  });

  it('block checksums sent with the data are checked as the node writes: right ones pass, a wrong one is DATA_LOSS and keeps nothing', async () => {
    const { client } = node();
    const data = randomBytes(3 * MiB + 100);
    const right = await putChunk(client, 'sums-right', data, { blockChecksums: (part) => xxh64Blocks(part) });
    expect([right.size, right.checksum]).toEqual([data.length, sha256(data)]);
    expect((await getChunk(client, 'sums-right')).equals(data)).toBe(true);
    const big = await putChunk(client, 'sums-16mib', data, { messageSize: 16 * MiB, blockChecksums: (part) => xxh64Blocks(part) });
    expect(big.size).toBe(data.length);

    // One wrong checksum: block 4 of the second message, block 20 of the chunk.
    const wrongSums = (part: Buffer, index: number): Buffer => {
      const sums = xxh64Blocks(part);
      if (index === 1) sums[4 * 8 + 7]! ^= 1;
      return sums;
    };
    await expectBitrot(putChunk(client, 'sums-wrong', data, { blockChecksums: wrongSums }), 'sums-wrong', 20 * BLOCK, 'new id');
    expect(await grpcCode(statChunk(client, 'sums-wrong'))).toBe(status.NOT_FOUND);
    // On an existing id the old chunk stays.
    await expectBitrot(putChunk(client, 'sums-right', randomBytes(2 * MiB), { blockChecksums: wrongSums }), 'sums-right', 20 * BLOCK, 'existing id');
    expect((await getChunk(client, 'sums-right')).equals(data)).toBe(true);
    // The data itself damaged on the way (checksums of the original, bytes changed).
    const damaged = Buffer.from(data);
    damaged[2 * MiB + 3 * BLOCK + 9]! ^= 0x40;
    const originalSums = (_part: Buffer, index: number): Buffer => xxh64Blocks(data.subarray(index * MiB, (index + 1) * MiB));
    await expectBitrot(putChunk(client, 'sums-damaged', damaged, { blockChecksums: originalSums }), 'sums-damaged', 35 * BLOCK, 'damaged data');
    expect(await grpcCode(statChunk(client, 'sums-damaged'))).toBe(status.NOT_FOUND);
    expect(await waitFor(async () => (await tmpFiles()).length === 0)).toBe(true);
  });

  it('malformed block_checksums (wrong length, data not on block boundaries) are INVALID_ARGUMENT and keep nothing', async () => {
    const { client } = node();
    const data = randomBytes(MiB + 3 * BLOCK + 10);
    const cases: Array<[string, Array<{ data: Buffer; sums?: Buffer }>]> = [
      ['7 bytes for a block', [{ data: data.subarray(0, 1000), sums: Buffer.alloc(7) }]],
      ['2 checksums for 1 block', [{ data: data.subarray(0, 1000), sums: xxh64Blocks(data.subarray(0, 1000 + BLOCK)) }]],
      ['checksums without data', [{ data: Buffer.alloc(0), sums: Buffer.alloc(8) }]],
      ['message starts inside a block', [{ data: data.subarray(0, 1000) }, { data: data.subarray(1000, MiB + 1000), sums: xxh64Blocks(data.subarray(1000, MiB + 1000)) }]],
      ['data after a short block with a checksum', [{ data: data.subarray(0, BLOCK + 5), sums: xxh64Blocks(data.subarray(0, BLOCK + 5)) }, { data: data.subarray(BLOCK + 5, 2 * BLOCK) }]],
    ];
    for (const [label, messages] of cases) {
      const { code, details } = await grpcError(
        putChunk(client, 'malformed', messages.map((m) => m.data), { blockChecksums: (_part, i) => messages[i]!.sums }),
      );
      expect(code, label).toBe(status.INVALID_ARGUMENT);
      expect(details, label).toContain('malformed');
    }
    expect(await grpcCode(statChunk(client, 'malformed'))).toBe(status.NOT_FOUND);
    expect(await waitFor(async () => (await tmpFiles()).length === 0)).toBe(true);
  });

  it('skip_sha256: empty checksum in the answer and in StatChunk, data intact and still verified block by block', async () => {
    const { client, proc } = node();
    const data = randomBytes(2 * MiB + 12_345);
    const res = await putChunk(client, 'no-sha', data, { skipSha256: true, blockChecksums: (part) => xxh64Blocks(part) });
    expect([res.success, res.size, res.checksum]).toEqual([true, data.length, '']);
    expect((await statChunk(client, 'no-sha')).checksum).toBe('');
    expect((await getChunk(client, 'no-sha')).equals(data)).toBe(true);
    expectBlockAnswer(await getChunkMessages(client, 'no-sha', { withBlockChecksums: true }), data, 0, data.length, 'no-sha');
    await flipByte(await chunkFile(proc.dataDir, 'no-sha'), 64 + 5);
    await expectBitrot(getChunk(client, 'no-sha'), 'no-sha', 0, 'no-sha after bitrot');

    // A checksum sent in the first message all the same: the node hashes and verifies it.
    const withFirst = await putChunk(client, 'no-sha-but-first', data, { skipSha256: true, checksum: sha256(data) });
    expect(withFirst.checksum).toBe(sha256(data));
    expect((await statChunk(client, 'no-sha-but-first')).checksum).toBe(sha256(data));
    const wrong = sha256(Buffer.from('other'));
    expect(await grpcCode(putChunk(client, 'no-sha-wrong', data, { skipSha256: true, checksum: wrong }))).toBe(status.DATA_LOSS);
    // A checksum after data that was not hashed cannot be verified: refused, nothing kept.
    const late = await grpcError(putChunk(client, 'no-sha-late', data, { skipSha256: true, checksum: sha256(data), checksumAt: 'last' }));
    expect(late.code).toBe(status.INVALID_ARGUMENT);
    expect(late.details).toContain('skip_sha256');
    for (const id of ['no-sha-wrong', 'no-sha-late']) expect(await grpcCode(statChunk(client, id)), id).toBe(status.NOT_FOUND);
    // An empty chunk has no data before the last message, so there it is still verified.
    const empty = Buffer.alloc(0);
    const emptyRes = await putChunk(client, 'no-sha-empty', empty, { skipSha256: true, checksum: sha256(empty), checksumAt: 'last' });
    expect(emptyRes.checksum).toBe(sha256(empty));
    const emptySkipped = await putChunk(client, 'no-sha-empty-2', empty, { skipSha256: true });
    expect([emptySkipped.size, emptySkipped.checksum]).toEqual([0, '']);
    expect(await waitFor(async () => (await tmpFiles()).length === 0)).toBe(true);
  });

  it('a chunk file in the old format (CHUNKv1, no block checksums) is still served, listed, counted and deleted', async () => {
    const dataDir = await tempDirForTest();
    const first = await nodeForTest({ DATA_DIR: dataDir });
    const data = randomBytes(2 * MiB + 3);
    const empty = Buffer.alloc(0);
    // Let the node place the files, then replace them with the old format written by hand.
    await putChunk(first.client, 'old-format', randomBytes(10));
    await putChunk(first.client, 'old-empty', randomBytes(10));
    const paths = { data: await chunkFile(dataDir, 'old-format'), empty: await chunkFile(dataDir, 'old-empty') };
    expect(await first.proc.stop()).toBe(0);
    const v1 = (bytes: Buffer): Buffer => {
      const header = Buffer.alloc(64); // magic 'CHUNKv1\n' | sha256 (32) | size u64 BE | 16 zero bytes
      header.write('CHUNKv1\n', 0, 'latin1');
      Buffer.from(sha256(bytes), 'hex').copy(header, 8);
      header.writeBigUInt64BE(BigInt(bytes.length), 40);
      return Buffer.concat([header, bytes]);
    };
    await writeFile(paths.data, v1(data));
    await writeFile(paths.empty, v1(empty));

    const { client } = await nodeForTest({ DATA_DIR: dataDir });
    const h = await health(client);
    expect([h.usedSpace, h.chunkCount]).toEqual([data.length, 2]);
    expect(new Map((await listChunks(client)).map((c) => [c.chunkId, c.size]))).toEqual(new Map([['old-format', data.length], ['old-empty', 0]]));
    expect((await getChunk(client, 'old-format')).equals(data)).toBe(true);
    expect((await getChunk(client, 'old-format', { offset: MiB - 3, length: 100_000 })).equals(data.subarray(MiB - 3, MiB - 3 + 100_000))).toBe(true);
    expect((await statChunk(client, 'old-format')).checksum).toBe(sha256(data));
    expect((await statChunk(client, 'old-empty')).checksum).toBe(sha256(empty));
    // No stored table: the node computes the block checksums as it reads.
    expectBlockAnswer(await getChunkMessages(client, 'old-format', { withBlockChecksums: true }), data, 0, data.length, 'v1 full');
    expectBlockAnswer(await getChunkMessages(client, 'old-format', { offset: 70_000, length: 5, withBlockChecksums: true }), data, 70_000, 5, 'v1 range');
    expect(await getChunkMessages(client, 'old-empty', { withBlockChecksums: true })).toEqual([]);
    // VerifyChunk checks a format-1 chunk by its SHA-256 (there is no table to name a block).
    expect(await verifyChunk(client, 'old-format')).toEqual({ exists: true, size: data.length, ok: true, badBlocks: [], errorMessage: '' });
    expect(await verifyChunk(client, 'old-empty')).toEqual({ exists: true, size: 0, ok: true, badBlocks: [], errorMessage: '' });
    await flipByte(paths.data, 64 + MiB);
    const rotten = await verifyChunk(client, 'old-format');
    expect([rotten.exists, rotten.ok, rotten.badBlocks]).toEqual([true, false, []]);
    expect(rotten.errorMessage).toMatch(/old-format.*hashes to/);
    await deleteChunk(client, 'old-format');
    expect((await health(client)).usedSpace).toBe(0);
    // Rewritten, a chunk takes the new format.
    await putChunk(client, 'old-empty', data);
    expectBlockAnswer(await getChunkMessages(client, 'old-empty', { withBlockChecksums: true }), data, 0, data.length, 'rewritten');
    expect((await stat(paths.empty)).size).toBe(64 + data.length + Math.ceil(data.length / BLOCK) * 8);
  });
});

describe('VerifyChunk: block checksums checked in place', () => {
  const node = sharedNode();
  const intact = (size: number) => ({ exists: true, size, ok: true, badBlocks: [], errorMessage: '' });

  it('a healthy chunk is ok, with its size; an empty one too', async () => {
    const { client } = node();
    const data = randomBytes(5 * BLOCK + 123); // six blocks, the last one short
    await putChunk(client, 'verify-good', data);
    expect(await verifyChunk(client, 'verify-good')).toEqual(intact(data.length));
    await putChunk(client, 'verify-empty', Buffer.alloc(0));
    expect(await verifyChunk(client, 'verify-empty')).toEqual(intact(0));
  });

  it('a flipped byte on disk is ok = false naming exactly the damaged blocks, in the data or in the stored table', async () => {
    const { client, proc } = node();
    const data = randomBytes(3 * MiB + 1000); // blocks 0..48
    await putChunk(client, 'verify-rot', data);
    const path = await chunkFile(proc.dataDir, 'verify-rot');
    await flipByte(path, 64 + MiB + 70_000); // block 17
    let v = await verifyChunk(client, 'verify-rot');
    expect([v.exists, v.size, v.ok, v.badBlocks]).toEqual([true, data.length, false, [17]]);
    expect(v.errorMessage).toMatch(/verify-rot.*block 17/);

    await flipByte(path, 64 + 3); // block 0
    await flipByte(path, 64 + data.length - 1); // the last, short block 48
    await flipByte(path, 64 + data.length + 30 * 8 + 2); // block 30's stored checksum
    v = await verifyChunk(client, 'verify-rot');
    expect([v.ok, v.badBlocks]).toEqual([false, [0, 17, 30, 48]]);
    // GetChunk agrees on the first of them.
    await expectBitrot(getChunk(client, 'verify-rot'), 'verify-rot', 0, 'get after verify');
  });

  it('a truncated or lengthened file and a damaged header are ok = false with the reason; the chunk still exists', async () => {
    const { client, proc } = node();
    const data = randomBytes(2 * BLOCK + 5);
    for (const id of ['verify-short', 'verify-long', 'verify-header']) await putChunk(client, id, data);

    await truncate(await chunkFile(proc.dataDir, 'verify-short'), 64 + BLOCK);
    let v = await verifyChunk(client, 'verify-short');
    expect([v.exists, v.size, v.ok, v.badBlocks]).toEqual([true, data.length, false, []]);
    expect(v.errorMessage).toMatch(new RegExp(`verify-short.*${64 + BLOCK} bytes on disk`));

    await writeFile(await chunkFile(proc.dataDir, 'verify-long'), Buffer.alloc(1), { flag: 'a' });
    v = await verifyChunk(client, 'verify-long');
    expect([v.exists, v.ok]).toEqual([true, false]);
    expect(v.errorMessage).toMatch(/verify-long.*bytes on disk/);

    await flipByte(await chunkFile(proc.dataDir, 'verify-header'), 45); // inside the size field
    v = await verifyChunk(client, 'verify-header');
    expect([v.exists, v.ok, v.badBlocks]).toEqual([true, false, []]);
    expect(v.errorMessage).toMatch(/verify-header.*damaged header/);
  });

  it('an unknown id is exists = false (not an error); an invalid id is INVALID_ARGUMENT', async () => {
    const { client } = node();
    expect(await verifyChunk(client, 'verify-never-stored')).toEqual({ exists: false, size: 0, ok: false, badBlocks: [], errorMessage: '' });
    for (const id of INVALID_IDS) expect(await grpcCode(verifyChunk(client, id)), JSON.stringify(id)).toBe(status.INVALID_ARGUMENT);
  });

  it('a 64 MiB chunk is read whole on the node and verified with its memory not growing by the chunk size', async () => {
    const { client, proc } = node();
    const pid = proc.child.pid!;
    const size = 64 * MiB;
    const data = randomBytes(size);
    await putChunk(client, 'verify-big', data);
    await flipByte(await chunkFile(proc.dataDir, 'verify-big'), 64 + 1000 * BLOCK + 1); // block 1000 of 1024
    // Let the node settle after taking the chunk, then measure its peak over the verifications alone.
    await new Promise((r) => setTimeout(r, 500));
    await resetPeakResident(pid);
    const before = await residentBytes(pid);
    const readBefore = await bytesRead(pid);
    for (let i = 0; i < 3; i++) {
      const v = await verifyChunk(client, 'verify-big');
      expect([v.exists, v.size, v.ok, v.badBlocks]).toEqual([true, size, false, [1000]]);
    }
    const peak = await peakResidentBytes(pid);
    const read = (await bytesRead(pid)) - readBefore;
    console.log(`VerifyChunk of 64 MiB x3: node read ${(read / MiB).toFixed(1)} MiB, resident ${(before / MiB).toFixed(1)} MiB before, peak ${(peak / MiB).toFixed(1)} MiB`);
    expect(read).toBeGreaterThanOrEqual(3 * size); // every byte was read, on the node
    expect(peak - before).toBeLessThan(16 * MiB);
  });
});

describe('HealthCheck and ListChunks', () => {
  it('reports real file-system numbers, healthy status, and used_space growing by the chunk size', async () => {
    const { client, proc } = await nodeForTest();
    const fs = await statfs(proc.dataDir);
    const h = await health(client);
    expect(h.status).toBe('healthy');
    expect(h.totalSpace).toBe(fs.blocks * fs.bsize);
    expect(h.availableSpace).toBeGreaterThan(0);
    expect(h.availableSpace).toBeLessThanOrEqual(h.totalSpace);
    expect(Math.abs(h.availableSpace - fs.bavail * fs.bsize)).toBeLessThan(1024 * MiB);
    expect([h.usedSpace, h.chunkCount]).toEqual([0, 0]);

    const data = randomBytes(5 * MiB + 3);
    await putChunk(client, 'health-1', data);
    const after = await health(client);
    expect(after.usedSpace).toBe(data.length);
    expect(after.chunkCount).toBe(1);
    expect(after.availableSpace).toBeLessThanOrEqual(after.totalSpace);
    expect(after.status).toBe('healthy');
  });

  it('with a reserve larger than the free space: status not healthy and PutChunk fails RESOURCE_EXHAUSTED', async () => {
    const fs = await statfs(tmpdir());
    const reserve = fs.bavail * fs.bsize + 1024 ** 4; // a TiB more than is free
    const { client, proc } = await nodeForTest({ DISK_RESERVE_BYTES: String(reserve) });
    const h = await health(client);
    expect(h.status).not.toBe('healthy');
    expect(h.reserveSpace).toBe(reserve);
    expect(await grpcCode(putChunk(client, 'no-room', randomBytes(MiB)))).toBe(status.RESOURCE_EXHAUSTED);
    expect(await grpcCode(putChunk(client, 'no-room-empty', Buffer.alloc(0)))).toBe(status.RESOURCE_EXHAUSTED);
    expect(await storedFiles(proc.dataDir)).toEqual([]);
    expect((await health(client)).usedSpace).toBe(0);
  });

  it('ListChunks returns every stored id with its size, and nothing else', async () => {
    const { client } = await nodeForTest();
    const expected = new Map<string, number>();
    for (let i = 0; i < 12; i++) {
      const data = randomBytes(i === 0 ? 0 : i * 100_003);
      await putChunk(client, `listed-${i}`, data);
      expected.set(`listed-${i}`, data.length);
    }
    await deleteChunk(client, 'listed-5');
    expected.delete('listed-5');
    const listed = await listChunks(client);
    expect(new Map(listed.map((c) => [c.chunkId, c.size]))).toEqual(expected);
    expect(listed).toHaveLength(expected.size);
    for (const c of listed) expect(c.modifiedAtMs).toBeGreaterThan(Date.now() - 600_000);
  });
});

describe('the node process', () => {
  it('six nodes side by side each store and return their own chunks', async () => {
    const nodes = await Promise.all(Array.from({ length: 6 }, () => nodeForTest()));
    expect(new Set(nodes.map((n) => n.proc.port)).size).toBe(6);
    const datas = nodes.map(() => randomBytes(2 * MiB + Math.floor(Math.random() * 1000)));
    await Promise.all(
      nodes.map(async (n, i) => {
        await putChunk(n.client, 'same-name', datas[i]!);
        await putChunk(n.client, `only-on-${i}`, datas[i]!);
      }),
    );
    await Promise.all(
      nodes.map(async (n, i) => {
        expect((await getChunk(n.client, 'same-name')).equals(datas[i]!)).toBe(true);
        expect((await getChunk(n.client, `only-on-${i}`)).equals(datas[i]!)).toBe(true);
        expect(await grpcCode(getChunk(n.client, `only-on-${(i + 1) % 6}`))).toBe(status.NOT_FOUND);
        const h = await health(n.client);
        expect([h.usedSpace, h.chunkCount]).toEqual([2 * datas[i]!.length, 2]);
      }),
    );
  });

  it('with JOIN_URL it keeps announcing its address, logs each change of outcome once, and serves whatever the gateway does', async () => {
    // A stand-in for the gateway's POST /admin/nodes on a port that answers nothing at first.
    const requests: unknown[] = [];
    let answer = { status: 201, body: { id: 42 } as object };
    const gateway = createHttpServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        requests.push({ method: req.method, url: req.url, body: JSON.parse(text) as unknown });
        res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
    const port = await freePort();
    undoAfterTest.push(() => new Promise((r) => gateway.close(r)));
    const { client, proc } = await nodeForTest({ JOIN_URL: `http://127.0.0.1:${port}/`, ANNOUNCE_INTERVAL_MS: '100' });
    const lines = (re: RegExp): string[] => proc.output().split('\n').filter((l) => re.test(l));

    await new Promise((r) => setTimeout(r, 1500)); // about 15 failed attempts
    expect(lines(/announcing .* failed/), proc.output()).toHaveLength(1);
    expect(lines(/announcing .* failed/)[0]).toContain(`127.0.0.1:${proc.port}`);
    expect((await health(client)).status).toBe('healthy');

    gateway.listen(port, '127.0.0.1');
    expect(await waitFor(async () => requests.length >= 5, 10_000)).toBe(true);
    expect(requests[0]).toEqual({ method: 'POST', url: '/admin/nodes', body: { address: `127.0.0.1:${proc.port}` } });
    expect(lines(/announced 127\.0\.0\.1:\d+ to .*registered as node 42/), proc.output()).toHaveLength(1);

    answer = { status: 400, body: { error: 'no storage node answered', code: 'NodeUnreachable' } };
    const seen = requests.length;
    expect(await waitFor(async () => requests.length >= seen + 5, 10_000)).toBe(true);
    expect(lines(/refused with 400 \(NodeUnreachable/), proc.output()).toHaveLength(1);
    expect(lines(/announc/), proc.output()).toHaveLength(3);
    expect(proc.child.exitCode).toBeNull();
  });

  // AUTH and CLUSTER_TOKEN at start: tests/node-auth.test.ts.
  it('a bad configuration value stops the process at start with a non-zero exit and one clear line', async () => {
    const dataDir = await tempDirForTest();
    const cases: Array<[NodeJS.ProcessEnv, string]> = [
      [{ GRPC_PORT: 'abc' }, 'GRPC_PORT'],
      [{ GRPC_PORT: '70000' }, 'GRPC_PORT'],
      [{ DISK_RESERVE_BYTES: '-1' }, 'DISK_RESERVE_BYTES'],
      [{ PUT_IDLE_TIMEOUT_MS: '5' }, 'PUT_IDLE_TIMEOUT_MS'],
      [{ JOIN_URL: 'gateway:8080' }, 'JOIN_URL'],
      [{ ADVERTISE_ADDRESS: 'http://127.0.0.1:1/', JOIN_URL: 'http://127.0.0.1:8080' }, 'ADVERTISE_ADDRESS'],
      [{ JOIN_URL: 'http://gateway.example:8080' }, 'ADVERTISE_ADDRESS'],
      [{ ANNOUNCE_INTERVAL_MS: '10', JOIN_URL: 'http://127.0.0.1:8080' }, 'ANNOUNCE_INTERVAL_MS'],
    ];
    for (const [env, name] of cases) {
      const child = spawn(process.execPath, [join(ROOT, 'dist/storage-node/main.js')], {
        env: { ...process.env, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', DATA_DIR: dataDir, CLUSTER_TOKEN: TEST_CLUSTER_TOKEN, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code, JSON.stringify(env)).not.toBe(0);
      expect(code, JSON.stringify(env)).not.toBeNull();
      const lines = out.trim().split('\n');
      expect(lines, out).toHaveLength(1);
      expect(lines[0]).toContain(name);
      expect(lines[0]).toContain(String(Object.values(env)[0]));
    }
  });

  it('SIGTERM lets a running PutChunk finish, refuses new calls, and exits 0', async () => {
    const dataDir = await tempDirForTest();
    const node = await nodeForTest({ DATA_DIR: dataDir });
    const { client, proc } = node;
    const data = randomBytes(6 * MiB);
    let answered!: (v: { err: ServiceError | null; size?: number }) => void;
    const answer = new Promise<{ err: ServiceError | null; size?: number }>((r) => (answered = r));
    const call = client.putChunk((err, res) => answered({ err, size: res?.size }));
    const half = 3 * MiB;
    call.write({ chunkId: 'during-shutdown', data: data.subarray(0, half) });
    expect(await waitFor(async () => (await filesUnder(join(dataDir, 'tmp'))).length > 0)).toBe(true);

    const exited = once(proc.child, 'exit');
    proc.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(proc.child.exitCode).toBeNull(); // still running: a call is in progress

    // A new call is refused while the node drains.
    const other = createStorageClient(proc.address, {}, proc.clusterToken);
    try {
      const code = await grpcCode(health(other));
      expect(code).toBe(status.UNAVAILABLE);
    } finally {
      other.close();
    }

    call.write({ data: data.subarray(half) });
    call.end();
    const { err, size } = await answer;
    expect(err).toBeNull();
    expect(size).toBe(data.length);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);

    const again = await nodeForTest({ DATA_DIR: dataDir });
    expect((await getChunk(again.client, 'during-shutdown')).equals(data)).toBe(true);
  });

  it('a node restarted on the same DATA_DIR serves its chunks and reports the same used_space', async () => {
    const dataDir = await tempDirForTest();
    const first = await nodeForTest({ DATA_DIR: dataDir });
    const chunks = Array.from({ length: 5 }, (_, i) => ({ id: `kept-${i}`, data: randomBytes(i * MiB + 11) }));
    for (const c of chunks) await putChunk(first.client, c.id, c.data);
    const before = await health(first.client);
    expect(before.usedSpace).toBe(chunks.reduce((n, c) => n + c.data.length, 0));
    expect(await first.proc.stop()).toBe(0);
    // A temporary file left by a crash is dropped at start.
    await mkdir(join(dataDir, 'tmp'), { recursive: true });
    await writeFile(join(dataDir, 'tmp', 'left-by-crash.part'), randomBytes(1000));

    const second = await nodeForTest({ DATA_DIR: dataDir });
    const after = await health(second.client);
    expect([after.usedSpace, after.chunkCount]).toEqual([before.usedSpace, before.chunkCount]);
    for (const c of chunks) {
      expect((await getChunk(second.client, c.id)).equals(c.data), c.id).toBe(true);
      expect((await statChunk(second.client, c.id)).checksum).toBe(sha256(c.data));
    }
    expect(await filesUnder(join(dataDir, 'tmp'))).toEqual([]);
  });
});

describe('a 1.67 GiB chunk (10 GiB / 6)', () => {
  it('round trips with the same SHA-256 while the node stays under 150 MiB resident', { timeout: 900_000 }, async () => {
    const SIZE = Math.ceil((10 * 1024 ** 3) / 6); // the largest of six chunks of a 10 GiB file
    expect(SIZE).toBe(1789569707);
    const { client, proc } = await nodeForTest();
    const pid = proc.child.pid!;

    // Deterministic pseudo-random data: one 1 MiB block from a xorshift generator, with the message
    // counter written into it at a few places, so no two messages are the same.
    const block = Buffer.alloc(MiB);
    let x = 0x9e3779b9;
    for (let i = 0; i < MiB; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      block.writeUInt32LE(x >>> 0, i);
    }
    const sent = createHash('sha256');
    async function* generate(): AsyncGenerator<Buffer> {
      for (let offset = 0, n = 0; offset < SIZE; offset += MiB, n++) {
        const part = Buffer.allocUnsafe(Math.min(MiB, SIZE - offset));
        block.copy(part, 0, 0, part.length);
        for (let at = 0; at + 8 <= part.length; at += 256 * 1024) part.writeUInt32LE(n, at);
        sent.update(part);
        yield part;
      }
    }

    const memory = sampleMemory(pid, 100);
    let usage = { peak: 0, samples: 0 };
    let readSize = 0;
    const received = createHash('sha256');
    let put: Awaited<ReturnType<typeof putChunk>> | undefined;
    try {
      put = await putChunk(client, 'big', generate());
      await streamChunk(client, 'big', {}, (d) => {
        received.update(d);
        readSize += d.length;
      });
    } finally {
      usage = await memory.stop();
    }
    const { peak, samples } = usage;
    const sentHash = sent.digest('hex');
    expect(put.size).toBe(SIZE);
    expect(put.checksum).toBe(sentHash);
    expect(readSize).toBe(SIZE);
    expect(received.digest('hex')).toBe(sentHash);
    expect((await statChunk(client, 'big')).checksum).toBe(sentHash);
    expect((await health(client)).usedSpace).toBe(SIZE);
    console.log(`1.67 GiB round trip: node peak RSS ${(peak / MiB).toFixed(1)} MiB over ${samples} samples`);
    expect(samples).toBeGreaterThan(20);
    expect(peak).toBeLessThan(150 * MiB);
  });
});
