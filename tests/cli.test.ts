// The objstore CLI against a running cluster with REST authentication on: every command, the exit
// codes scripts rely on, --json parsed, and a 200 MiB put/get round trip with its progress output
// (plain lines: the output is not a terminal here). Tokens and keys: rest-auth.test.ts.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { nodeDir } from './helpers/cluster-nodes.js';
import { writePatternFile } from './helpers/local-files.js';
import { startStorageNode } from './helpers/processes.js';
import { chunkPath } from './helpers/raw-upload.js';

const MiB = 1024 * 1024;
let c: TestCluster;
let work: string;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  c = await startTestCluster({ restAuth: true, gatewayEnv: { SCRUB_INTERVAL_MS: '0', REPAIR_POLL_MS: '200' } });
  work = await mkdtemp(join(tmpdir(), 'objstore-cli-test-'));
});

afterAll(async () => {
  for (const undo of cleanups.reverse()) await undo().catch(() => undefined);
  await c?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(import.meta.dirname, '..', 'dist', 'cli', 'objstore.js'), '--url', c.gatewayUrl, ...args],
      { env: { PATH: process.env.PATH, OBJSTORE_TOKEN: c.apiToken, ...env }, cwd: work, timeout: 120_000, maxBuffer: 16 * MiB },
      (error, out, err) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

const json = async (args: string[]): Promise<any> => {
  const r = await cli(['--json', ...args]);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
};

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const part of createReadStream(path)) hash.update(part as Buffer);
  return hash.digest('hex');
}

describe('objstore files', () => {
  it('put and get 200 MiB with progress lines, checked end to end; ls and rm', async () => {
    const local = join(work, 'big.bin');
    await writePatternFile(local, 200 * MiB);
    const put = await cli(['files', 'put', local]);
    expect(put.code, put.err).toBe(0);
    const id = put.out.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    // Not a terminal: a plain line at each tenth, then one saying it is done.
    const lines = put.err.trim().split('\n');
    expect(lines.length, put.err).toBeGreaterThanOrEqual(10);
    expect(lines[0]).toMatch(/^put big\.bin: \d+\.\d MiB of 200\.0 MiB \(1\d%\), [\d.]+ (MiB|KiB|GiB)\/s, .+ left$/);
    expect(lines.at(-1)).toMatch(/^put big\.bin: 200\.0 MiB of 200\.0 MiB \(100%\), [\d.]+ \w+\/s, done in .+$/);

    const got = await cli(['files', 'get', id, '-o', join(work, 'back.bin')]);
    expect(got.code, got.err).toBe(0);
    const sha = await sha256Of(local);
    expect(got.out).toBe(`${join(work, 'back.bin')}: ${200 * MiB} bytes, sha256 ${sha}\n`);
    expect(await sha256Of(join(work, 'back.bin'))).toBe(sha);
    expect(got.err.trim().split('\n').at(-1)).toMatch(new RegExp(`^get ${id}: 200\\.0 MiB of 200\\.0 MiB \\(100%\\), .+, done in .+$`));

    const listed = await json(['files', 'ls', '--all', '--limit', '1']);
    expect(listed.map((f: { file_id: string }) => f.file_id)).toContain(id);
    const table = await cli(['files', 'ls']);
    expect(table.out).toMatch(new RegExp(`^FILE\\s+SIZE\\s+NAME\\s+CREATED\\n${id}\\s+200\\.0 MiB\\s+big\\.bin`));

    expect((await json(['files', 'rm', id])).file_id).toBe(id);
    const gone = await cli(['files', 'get', id, '-o', join(work, 'gone.bin')]);
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/NotFound/);
    await expect(sha256Of(join(work, 'gone.bin'))).rejects.toThrow(/ENOENT/); // nothing half-written left
    expect((await cli(['files', 'put', join(work, 'no-such-file')])).code).not.toBe(0);
    expect((await cli(['files', 'ls', '--limit', '0'])).code).toBe(2);
  }, 240_000);

  it('a read token may get and list but not put (exit 1, Forbidden)', async () => {
    const reader = await json(['tokens', 'create', '--scope', 'read']);
    const local = join(work, 'small.bin');
    await writePatternFile(local, 1000);
    const denied = await cli(['files', 'put', local], { OBJSTORE_TOKEN: reader.token });
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/Forbidden/);
    expect((await cli(['files', 'ls'], { OBJSTORE_TOKEN: reader.token })).code).toBe(0);
  });
});

describe('objstore status, nodes, redundancy, heal, consistency', () => {
  it('status: the cluster on one page, exit 0 when healthy; --json', async () => {
    const s = await cli(['status']);
    expect(s.code, s.err + s.out).toBe(0);
    expect(s.out).toMatch(/^gateway \d+\.\d+\.\d+ on .+ \(pid \d+\), up \d+ s\ndatabase reachable/);
    expect(s.out).toMatch(/no problems\n$/);
    expect(s.out.match(/\bhealthy\s+closed\b/g)).toHaveLength(6);
    const j = await json(['status']);
    expect(j.nodes).toHaveLength(6);
    expect(j.database.reachable).toBe(true);
  });

  it('nodes add, list, drain and remove a seventh node', async () => {
    const extra = await startStorageNode({ CLUSTER_TOKEN: c.clusterToken });
    cleanups.push(() => extra.cleanup());
    const added = await json(['nodes', 'add', extra.address]);
    expect(added).toMatchObject({ address: extra.address, status: 'healthy' });
    const list = await json(['nodes', 'list']);
    expect(list.map((n: { address: string }) => n.address)).toContain(extra.address);
    const table = await cli(['nodes', 'list']);
    expect(table.out).toMatch(/^ID\s+ADDRESS\s+NAME\s+STATUS\s+FILL\s+CHUNKS\s+BYTES\s+ERROR\n/);
    const drained = await cli(['nodes', 'drain', String(added.id)]);
    expect(drained.code, drained.err).toBe(0);
    expect(drained.out).toMatch(/queued/);
    const removed = await cli(['nodes', 'remove', String(added.id)]);
    expect(removed.code, removed.err).toBe(0);
    expect(removed.out).toBe(`node removed: node ${added.id} (${extra.address})\n`);
    expect((await cli(['nodes', 'remove', String(added.id)])).code).toBe(1);
    expect((await cli(['nodes', 'add', 'not an address'])).code).toBe(1);
  });

  it('consistency check: exit 0 when clean, 4 with findings, --repair fixes; redundancy and heal status', async () => {
    const local = join(work, 'c.bin');
    await writePatternFile(local, 5 * MiB);
    const file = await json(['files', 'put', local]);
    const clean = await cli(['consistency', 'check']);
    expect(clean.code, clean.err + clean.out).toBe(0);
    expect(clean.out).toMatch(/no findings: the metadata and the nodes agree/);

    const row = (await c.db.pool.query<{ chunk_id: string; address: string }>(
      'SELECT c.chunk_id, n.address FROM chunks c JOIN storage_nodes n ON n.id = c.node_id WHERE c.file_id = $1 AND c.chunk_number = 0',
      [file.file_id],
    )).rows[0]!;
    await rm(chunkPath(nodeDir(c, c.nodes.findIndex((n) => n.address === row.address)), row.chunk_id));
    const found = await cli(['consistency', 'check']);
    expect(found.code, found.err).toBe(4);
    expect(found.out).toMatch(new RegExp(`missing_chunk\\s+${file.file_id}\\s+${row.chunk_id.replace('.', '\\.')}`));
    const repairRun = await cli(['--json', 'consistency', 'check', '--repair']);
    expect(repairRun.code, 'findings, even repaired, are exit code 4').toBe(4);
    const repaired = JSON.parse(repairRun.out);
    expect(repaired.report.findings.map((f: { repair: string }) => f.repair)).toEqual(['heal queued']);

    const deadline = Date.now() + 60_000;
    let heal: any;
    do {
      heal = await json(['heal', 'status']);
      if (heal.queue.files === 0 && heal.heals.done >= 1) break;
      await new Promise((r) => setTimeout(r, 300));
    } while (Date.now() < deadline);
    expect(heal.queue.files).toBe(0);
    expect(heal.heals.done).toBeGreaterThanOrEqual(1);
    const red = await cli(['redundancy']);
    expect(red.out).toMatch(/files \d+: \d+ fully redundant, 0 unreadable/);
    expect((await cli(['consistency', 'check'])).code).toBe(0);
  }, 120_000);

  it('--help for every command; no token is exit 1, a bad option exit 2, no gateway exit 3', async () => {
    for (const args of [[], ['files'], ['nodes'], ['consistency', 'check'], ['heal', 'status'], ['status'], ['tokens', 'create'], ['keys', 'allow']]) {
      const h = await cli([...args, '--help']);
      expect(h.code, args.join(' ')).toBe(0);
      expect(h.out, args.join(' ')).toMatch(/^Usage: objstore/);
    }
    const noToken = await cli(['status'], { OBJSTORE_TOKEN: '' });
    expect(noToken.code).toBe(1);
    expect(noToken.err).toMatch(/Unauthenticated/);
    expect((await cli(['status', '--bogus'])).code).toBe(2);
    const away = await new Promise<Run>((resolve) =>
      execFile(process.execPath, [join(import.meta.dirname, '..', 'dist', 'cli', 'objstore.js'), '--url', 'http://127.0.0.1:1', 'status'], (error, out, err) =>
        resolve({ code: (error as { code?: number } | null)?.code ?? 0, out, err }),
      ),
    );
    expect(away.code).toBe(3);
  });
});
