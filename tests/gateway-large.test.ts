// The 10 GiB limit, end to end against real processes: exactly 10 GiB goes in and comes back with
// the same SHA-256 while the gateway's resident memory stays under 256 MiB; one byte more is
// refused with 413 from Content-Length before the body is sent, leaving nothing on any node.
// The bytes are generated as a stream (a random 1 MiB block stamped with its index), never a file.
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import {
  MiB,
  api,
  captureOutput,
  downloadSha256,
  filesOnNodes,
  patternBlocks,
  pollUntil,
  rawUpload,
  tableCounts,
} from './helpers/raw-upload.js';
import { sampleMemory } from './helpers/storage-client.js';

const GiB = 1024 * MiB;
const TEN_GIB = 10 * GiB; // 10737418240, the default MAX_FILE_SIZE
const MEMORY_LIMIT = 256 * MiB;
// With k = 4, m = 2 the 10 GiB file takes 15 GiB on the nodes (under the temporary folder).
const NEEDED_FREE = 25 * GiB;

const free = await statfs(tmpdir()).then((s) => s.bavail * s.bsize);
const lowDisk = free < NEEDED_FREE;
// Too little disk fails the test with this reason instead of skipping it: a skipped test proves nothing.
const diskProblem = lowDisk
  ? `only ${(free / GiB).toFixed(1)} GiB free under ${tmpdir()}, ${NEEDED_FREE / GiB} GiB needed for the 10 GiB round trip`
  : null;

const mbps = (bytes: number, ms: number): string => `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;

describe('10 GiB limit (default MAX_FILE_SIZE)', () => {
  let c: TestCluster;
  let dirs: string[];
  let gatewayOutput: () => string;

  beforeAll(async () => {
    c = await startTestCluster();
    dirs = c.nodes.map((_, i) => join(c.dataDir, `node-${i + 1}`));
    gatewayOutput = captureOutput(c.gateway.child);
  });
  afterAll(async () => {
    await c?.destroy();
  });

  it('10 GiB + 1 byte is refused with 413 before the body is sent, and nothing is left on any node', async () => {
    onTestFailed(() => console.log(`--- gateway output ---\n${gatewayOutput()}`));
    const size = TEN_GIB + 1;
    const r = await rawUpload({ url: c.gatewayUrl, blocks: patternBlocks(size), declaredSize: size, filename: 'too-big.bin', timeoutMs: 60_000 });
    console.log(
      `10 GiB + 1: status ${r.status} after ${r.responseAfterMs} ms, ${(r.sentBytes / MiB).toFixed(0)} MiB sent, ` +
        `request error ${r.error?.code ?? 'none'}`,
    );
    expect(r.timedOut).toBe(false);
    expect(r.status, `no answer, request error ${r.error?.code} ${r.error?.message}`).toBe(413);
    expect(r.json).toMatchObject({ code: 'EntityTooLarge', error: expect.any(String) });
    expect(r.responseAfterMs).toBeLessThan(5_000);
    expect(r.completeBody).toBe(false);
    expect(r.sentBytes).toBeLessThan(GiB);

    const left = await pollUntil(
      async () => ({ ...(await tableCounts(c.db.pool)), onNodes: await filesOnNodes(dirs) }),
      (v) => v.files === 0 && v.chunks === 0 && v.deletions === 0 && v.onNodes.length === 0,
      10_000,
    );
    expect(left).toEqual({ files: 0, chunks: 0, deletions: 0, onNodes: [] });
    expect((await api(`${c.gatewayUrl}/health`)).status).toBe(200);
  });

  it(
    'exactly 10 GiB is accepted and reads back with the same SHA-256, healthy and with two nodes down; the gateway stays under 256 MiB resident throughout',
    { timeout: 20 * 60_000 },
    async () => {
      expect(diskProblem, 'free disk').toBeNull();
      onTestFailed(() => console.log(`--- gateway output ---\n${gatewayOutput()}`));
      const pid = c.gateway.child.pid!;

      const uploadMemory = sampleMemory(pid, 100);
      const upStarted = Date.now();
      const up = await rawUpload({
        url: c.gatewayUrl,
        blocks: patternBlocks(TEN_GIB),
        declaredSize: TEN_GIB,
        filename: 'ten-gib.bin',
        timeoutMs: 15 * 60_000,
      });
      const upMs = Date.now() - upStarted;
      const upMem = await uploadMemory.stop();
      console.log(
        `10 GiB upload: status ${up.status} in ${(upMs / 1000).toFixed(1)} s (${mbps(up.sentBytes, upMs)}), ` +
          `gateway peak RSS ${(upMem.peak / MiB).toFixed(0)} MiB over ${upMem.samples} samples`,
      );
      expect(up.status, `${up.text} (request error ${up.error?.code ?? 'none'})`).toBe(201);
      expect(up.completeBody).toBe(true);
      expect(up.sentBytes).toBe(TEN_GIB);
      expect(up.json).toMatchObject({ size: TEN_GIB, checksum: up.sha256, status: 'completed' });
      const chunks = up.json.chunks as { size: number; server_id: number; role: string }[];
      expect(chunks).toHaveLength(6);
      expect(chunks.filter((ch) => ch.role === 'data').reduce((sum, ch) => sum + ch.size, 0)).toBe(TEN_GIB);
      expect(new Set(chunks.map((ch) => ch.server_id)).size).toBe(6);
      expect(upMem.samples).toBeGreaterThan(10);
      expect(upMem.peak).toBeLessThan(MEMORY_LIMIT);

      const downloadMemory = sampleMemory(pid, 100);
      const downStarted = Date.now();
      const down = await downloadSha256(`${c.gatewayUrl}/files/${up.json.file_id}`, 15 * 60_000);
      const downMs = Date.now() - downStarted;
      const downMem = await downloadMemory.stop();
      console.log(
        `10 GiB download: status ${down.status} in ${(downMs / 1000).toFixed(1)} s (${mbps(down.bytes, downMs)}), ` +
          `gateway peak RSS ${(downMem.peak / MiB).toFixed(0)} MiB`,
      );
      expect(down.error).toBeNull();
      expect(down.status).toBe(200);
      expect(down.headers['content-length']).toBe(String(TEN_GIB));
      expect(down.bytes).toBe(TEN_GIB);
      expect(down.sha256).toBe(up.sha256);
      expect(downMem.peak).toBeLessThan(MEMORY_LIMIT);

      // Degraded: two data chunks' nodes gone, every stripe rebuilt from parity on the way.
      const dataNodes = (up.json.chunks as { server_address: string; role: string }[])
        .filter((ch) => ch.role === 'data')
        .map((ch) => c.nodes.findIndex((n) => n.address === ch.server_address));
      for (const i of dataNodes.slice(0, 2)) c.nodes[i]!.child.kill('SIGKILL');
      const degradedMemory = sampleMemory(pid, 100);
      const degradedStarted = Date.now();
      const degraded = await downloadSha256(`${c.gatewayUrl}/files/${up.json.file_id}`, 20 * 60_000);
      const degradedMs = Date.now() - degradedStarted;
      const degradedMem = await degradedMemory.stop();
      console.log(
        `10 GiB download, two data nodes down: status ${degraded.status} in ${(degradedMs / 1000).toFixed(1)} s ` +
          `(${mbps(degraded.bytes, degradedMs)}), gateway peak RSS ${(degradedMem.peak / MiB).toFixed(0)} MiB`,
      );
      expect(degraded.error).toBeNull();
      expect(degraded.status).toBe(200);
      expect(degraded.bytes).toBe(TEN_GIB);
      expect(degraded.sha256).toBe(up.sha256);
      expect(degradedMem.peak).toBeLessThan(MEMORY_LIMIT);

      // Free the space at once rather than leaving 10 GiB for the cluster's teardown.
      const del = await api(`${c.gatewayUrl}/files/${up.json.file_id}`, { method: 'DELETE', timeoutMs: 60_000 });
      expect(del.status, del.text).toBe(200);
      const alive = dirs.filter((_, i) => !dataNodes.slice(0, 2).includes(i));
      const left = await pollUntil(() => filesOnNodes(alive), (v) => v.length === 0, 30_000);
      expect(left).toEqual([]);
    },
  );
});
