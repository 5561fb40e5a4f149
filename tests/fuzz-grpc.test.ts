// Fuzzing a storage node's gRPC API (security issue): seeded, reproducible, bounded; at least 1,000
// cases sent straight to a node of a real cluster, with the cluster token: PutChunk streams with bad
// or changing ids, checksums and block checksums right or wrong, oversized and tiny messages, mixed-up
// and cancelled sequences; GetChunk with negative, huge and past-the-end offsets and lengths;
// Stat/Verify/Delete with bad ids; bytes that are not the calls' messages, through grpc-js and as raw
// HTTP/2. Every call must end (never hang) with a status the API documents (never UNKNOWN, never
// INTERNAL but grpc-js's own for bytes it cannot decode); valid streams store exactly their bytes,
// broken ones store nothing; reads return exactly the chunk's bytes. Afterwards every process runs,
// the node's memory is back under its bound, no temporary file is left, the node holds exactly the
// fixture and the chunks whose puts succeeded, and the fixture is intact.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createStorageClient, storageProto, type StorageServiceClient } from '../proto/storage-proto.js';
import type { PutChunkResponse__Output } from '../proto/generated/storage/PutChunkResponse.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { nodeDir } from './helpers/cluster-nodes.js';
import { deleteChunk, getChunk, putChunk, residentBytes, statChunk, verifyChunk } from './helpers/storage-client.js';
import { deadProcesses, MiB, ProcessLog, serverErrors, settledResident } from './fuzz/cluster-checks.js';
import { failureMessage, runSurface, summaryLine, type CaseResult } from './fuzz/fuzz-runner.js';
import { get, h2, put, raw, rawStorageClient, unary, type RawStorageClient } from './fuzz/grpc-calls.js';
import { BLOCK, describeGrpcCase, grpcCase, sha256Hex, type Fixture, type GrpcCase } from './fuzz/grpc-cases.js';
import { fuzzSettings, Rng } from './fuzz/prng.js';

const settings = fuzzSettings(process.env, () => randomBytes(4).readUInt32BE());
const RSS_ALLOWANCE = 150 * MiB;
const CONCURRENCY = 8;
/**
 * A PutChunk that grpc-js cancels in the same tick as it wrote its messages (two or more) stays open
 * and silent on the node, as seen from there: its temporary file remains (a stream reset by raw
 * HTTP/2 at the same moment is removed at once). The node removes such a stream's temporary file
 * after PUT_IDLE_TIMEOUT_MS, shortened here so the suite can check that bound.
 */
const PUT_IDLE_TIMEOUT_MS = 3_000;
const { status } = grpc;

let c: TestCluster;
let client: StorageServiceClient;
let rawClient: RawStorageClient;
let gatewayLog: ProcessLog;
const fixtures: Fixture[] = [];
const node = () => c.nodes[0]!;

beforeAll(async () => {
  c = await startTestCluster({ nodeEnv: { PUT_IDLE_TIMEOUT_MS: String(PUT_IDLE_TIMEOUT_MS) } });
  gatewayLog = new ProcessLog(c.gateway.child);
  // No client-side cap: oversized messages must reach the node.
  client = createStorageClient(node().address, { 'grpc.max_send_message_length': -1 }, c.clusterToken);
  rawClient = rawStorageClient(node().address, c.clusterToken);
  const rng = new Rng(settings.seed);
  for (const size of [0, 1, 1_000, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 17, MiB + 5]) {
    const fixture = { id: `fixture-${size}`, data: rng.bytes(size) };
    await putChunk(client, fixture.id, fixture.data, { checksum: sha256Hex(fixture.data) });
    fixtures.push(fixture);
  }
});

afterAll(async () => {
  client?.close();
  rawClient?.close();
  await c?.destroy();
});

const codeName = (code: number): string => (code === -1 ? 'no-status' : (status[code] ?? String(code)));
const problem = (outcome: string, text: string): CaseResult => ({ outcome, problem: text });
/**
 * grpc-js's own INTERNAL for what it cannot take before any handler runs (the gRPC spec's status
 * for a request that does not parse): a message it cannot decode or decompress, a bad grpc-timeout.
 */
const LIBRARY_INTERNAL = /^(Error deserializing request|Invalid grpc-timeout value|Failed to decompress message|Received message compressed with unsupported encoding)/;

/** Statuses the API documents for what a client can send; anything else is a server failure. */
const DOCUMENTED = new Set<number>([status.OK, status.INVALID_ARGUMENT, status.NOT_FOUND, status.OUT_OF_RANGE, status.DATA_LOSS, status.RESOURCE_EXHAUSTED, status.UNAUTHENTICATED]);

function expectedRead(f: Fixture, offset: number | string, length: number | string | undefined): { start: number; end: number } | 'invalid' | 'out-of-range' | 'unknown' {
  if (typeof offset === 'string' || typeof length === 'string') return 'unknown'; // int64 text: precision is the encoder's business
  if (offset < 0 || (length !== undefined && length < 0) || !Number.isSafeInteger(offset) || (length !== undefined && !Number.isSafeInteger(length))) return 'invalid';
  const len = length ?? f.data.length - offset;
  if (offset > f.data.length || offset + len > f.data.length) return 'out-of-range';
  return { start: offset, end: offset + len };
}

const stored = new Map<string, { content: Buffer; checksum: string }>(); // chunks whose put succeeded

async function runCase(k: GrpcCase): Promise<CaseResult> {
  switch (k.kind) {
    case 'put': {
      const r = await put(client, k);
      const outcome = `put ${codeName(r.code)}`;
      if (r.code === status.OK) {
        stored.set(k.id, { content: k.content, checksum: r.response!.checksum });
        if (k.valid === false) return problem(outcome, 'a broken stream was stored');
        if (Number(r.response!.size) !== k.content.length) return problem(outcome, `stored ${r.response!.size} bytes of ${k.content.length}`);
        if (r.response!.checksum !== (k.hashed ? sha256Hex(k.content) : '')) return problem(outcome, `checksum ${JSON.stringify(r.response!.checksum)}`);
        return { outcome, problem: null };
      }
      if (k.valid === true) return problem(outcome, `a valid stream failed: ${r.details}`);
      const allowed = r.code === status.CANCELLED ? k.cancelAfter !== null : DOCUMENTED.has(r.code);
      return allowed ? { outcome, problem: null } : problem(outcome, `status ${codeName(r.code)}: ${r.details}`);
    }
    case 'get': {
      const r = await get(client, k);
      const outcome = `get ${codeName(r.code)}`;
      if (!DOCUMENTED.has(r.code)) return problem(outcome, `status ${codeName(r.code)}: ${r.details}`);
      if (k.fixture === null) return { outcome, problem: null };
      const f = fixtures[k.fixture]!;
      if (r.code === status.DATA_LOSS) return problem(outcome, `an intact fixture read as damaged: ${r.details}`);
      const want = expectedRead(f, k.offset, k.length);
      if (want === 'invalid' && r.code !== status.INVALID_ARGUMENT) return problem(outcome, `a negative or unsafe offset or length got ${codeName(r.code)}`);
      if (want === 'out-of-range' && r.code !== status.OUT_OF_RANGE) return problem(outcome, `a range past the end got ${codeName(r.code)}`);
      if (typeof want === 'object' && r.code !== status.OK) return problem(outcome, `a range inside the chunk got ${codeName(r.code)}: ${r.details}`);
      if (r.code === status.OK) {
        for (const m of r.messages) {
          const at = k.withBlockChecksums ? Number(m.offset) : -1;
          if (k.withBlockChecksums && (at % BLOCK !== 0 || !m.data.equals(f.data.subarray(at, at + m.data.length)))) return problem(outcome, `a block message at ${at} with other bytes`);
        }
        if (!k.withBlockChecksums && typeof want === 'object' && !Buffer.concat(r.messages.map((m) => m.data)).equals(f.data.subarray(want.start, want.end))) {
          return problem(outcome, `read other bytes than ${want.start}-${want.end} of the chunk`);
        }
      }
      return { outcome, problem: null };
    }
    case 'unary': {
      const r = await unary(client, k);
      const outcome = `${k.method} ${codeName(r.code)}`;
      if (!DOCUMENTED.has(r.code)) return problem(outcome, `status ${codeName(r.code)}: ${r.details}`);
      if (k.fixture !== null && r.code !== status.OK) return problem(outcome, `${k.method} of a fixture: ${codeName(r.code)} ${r.details}`);
      if (k.method === 'verifyChunk' && k.fixture !== null && r.response?.ok !== true) return problem(outcome, `a fixture does not verify: ${JSON.stringify(r.response)}`);
      if (k.method === 'deleteChunk' && r.code === status.OK) return problem(outcome, 'a delete of a chunk that does not exist succeeded');
      return { outcome, problem: null };
    }
    case 'raw': {
      const r = await raw(rawClient, k);
      const outcome = `raw ${codeName(r.code)}`;
      if (k.method === 'PutChunk' && r.code === status.OK) {
        // Bytes that happened to be a valid stream: what the node decoded is what it stored.
        const put = storageProto().StorageService.service.PutChunk!;
        const sent = k.messages.map((m) => put.requestDeserialize(m) as { data: Buffer });
        const answer = put.responseDeserialize(r.response!) as PutChunkResponse__Output;
        stored.set(answer.chunkId, { content: Buffer.concat(sent.map((m) => m.data)), checksum: answer.checksum });
      }
      if (DOCUMENTED.has(r.code) || (r.code === status.INTERNAL && LIBRARY_INTERNAL.test(r.details))) return { outcome, problem: null };
      return problem(outcome, `status ${codeName(r.code)}: ${r.details}`);
    }
    default: {
      const r = await h2(node().address, k.path.endsWith('/Nope') ? null : c.clusterToken, k);
      const outcome = `h2 ${r.reset !== null ? `reset ${r.reset}` : codeName(r.code)}`;
      if (r.reset !== null || r.code === -1) return { outcome, problem: null }; // refused at the HTTP/2 level
      if (DOCUMENTED.has(r.code) || r.code === status.UNIMPLEMENTED || r.code === status.CANCELLED || (r.code === status.INTERNAL && LIBRARY_INTERNAL.test(r.details))) {
        return { outcome, problem: null };
      }
      return problem(outcome, `status ${codeName(r.code)}: ${r.details}`);
    }
  }
}

test('gRPC messages to a node: bad and changing ids, oversized and tiny messages, negative offsets, mixed-up streams, undecodable bytes', async () => {
  const pid = node().child.pid!;
  const rssBefore = await residentBytes(pid);
  const logMark = gatewayLog.mark();
  const report = await runSurface({ name: 'grpc-node', concurrency: CONCURRENCY, generate: (rng, index) => grpcCase(rng, index, fixtures), describe: describeGrpcCase, run: runCase }, settings);
  const rss = await settledResident(pid, rssBefore + RSS_ALLOWANCE);
  console.log(`${summaryLine(report)}; node RSS ${(rssBefore / MiB).toFixed(0)} -> ${(rss / MiB).toFixed(0)} MiB`);
  expect(report.failures.length, failureMessage(report)).toBe(0);
  if (settings.onlyCase === null) expect(report.cases).toBeGreaterThanOrEqual(1_000);
  expect(deadProcesses(c), 'processes that died').toEqual([]);
  expect(rss, `node RSS after the surface (before: ${rssBefore})`).toBeLessThanOrEqual(rssBefore + RSS_ALLOWANCE);
  expect(serverErrors(gatewayLog.since(logMark)), 'server failures in the gateway log').toEqual([]);

  // No temporary file: every failed stream removed its own, a cancelled one at the latest after the idle timeout.
  const dir = nodeDir(c, 0);
  const tmp = async (): Promise<string[]> => readdir(join(dir, 'tmp'));
  const deadline = Date.now() + PUT_IDLE_TIMEOUT_MS + 5_000;
  while ((await tmp()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  expect(await tmp(), 'temporary files left on the node').toEqual([]);

  // The node holds the fixture and the chunks whose puts succeeded, each exactly as sent.
  const onDisk = (await readdir(join(dir, 'chunks'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
  expect(onDisk).toEqual([...fixtures.map((f) => f.id), ...stored.keys()].sort());
  for (const [id, s] of stored) {
    const stat = await statChunk(client, id);
    expect({ id, size: Number(stat.size), checksum: stat.checksum }).toEqual({ id, size: s.content.length, checksum: s.checksum });
    expect((await verifyChunk(client, id)).ok, id).toBe(true);
  }
  for (const f of fixtures) {
    expect((await getChunk(client, f.id)).equals(f.data), `fixture ${f.id} intact`).toBe(true);
    expect((await verifyChunk(client, f.id)).ok).toBe(true);
  }
  for (const id of stored.keys()) await deleteChunk(client, id);
  const left = (await readdir(join(dir, 'chunks'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
  expect(left).toEqual(fixtures.map((f) => f.id).sort());
});
