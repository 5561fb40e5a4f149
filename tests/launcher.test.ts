// `npm start`'s launcher (dist/scripts/start-cluster.js) as a real process: a storage node or the
// gateway killed with SIGKILL comes back on the same port with the same data while the launcher keeps
// running, a dead embedded PostgreSQL is reported, and SIGTERM leaves no process of the cluster
// behind. Plus the pure pieces: restart backoff and the launcher's configuration.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { describe, expect, it, onTestFailed } from 'vitest';
import { createStorageClient } from '../proto/storage-proto.js';
import type { HealthCheckResponse__Output } from '../proto/generated/storage/HealthCheckResponse.js';
import { DEFAULT_NODE_PORTS, LauncherConfigError, loadLauncherConfig } from '../scripts/launcher-config.js';
import { parsePostmasterPid } from '../scripts/postmaster-watch.js';
import { chunkRelativePath } from '../storage-node/chunk-id.js';
import { DEFAULT_RESTART_POLICY, formatDelay, planRestart } from '../scripts/restart-backoff.js';
import { freePort } from './bench/bench-support.js';
import { createTestDatabase } from './helpers/database.js';
import { ROOT } from './helpers/processes.js';
import { getChunk, putChunk } from './helpers/storage-client.js';
import { undoAfterEach } from './helpers/cleanup.js';

describe('restart backoff', () => {
  const policy = DEFAULT_RESTART_POLICY;
  it('starts at 1 s, doubles with every crash in a row, stops growing at 30 s', () => {
    const delays: number[] = [];
    let attempt = 0;
    for (let i = 0; i < 8; i++) {
      const plan = planRestart(policy, attempt, 500);
      attempt = plan.attempt;
      delays.push(plan.delayMs);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(attempt).toBe(8);
    expect(planRestart(policy, 10_000, 0).delayMs).toBe(30_000); // no overflow far down the run
  });
  it('starts a new run once the process stayed up for stableAfterMs', () => {
    expect(planRestart(policy, 5, policy.stableAfterMs - 1)).toEqual({ attempt: 6, delayMs: 30_000 });
    expect(planRestart(policy, 5, policy.stableAfterMs)).toEqual({ attempt: 1, delayMs: 1_000 });
  });
  it('prints delays in seconds', () => {
    expect([1_000, 2_500, 30_000, 200].map(formatDelay)).toEqual(['1 s', '2.5 s', '30 s', '0.2 s']);
  });
});

describe('launcher configuration', () => {
  it('defaults: ./data, gateway on 8080 and S3 on 9000, six nodes on 50051-50056, embedded PostgreSQL on 54329', () => {
    expect(loadLauncherConfig({})).toEqual({
      dataDir: './data',
      gatewayPort: 8080,
      s3Port: 9000,
      nodePorts: DEFAULT_NODE_PORTS,
      databaseUrl: undefined,
      embeddedPgPort: 54329,
    });
  });
  it('reads PORT, S3_PORT, NODE_PORTS, DATA_DIR, DATABASE_URL, EMBEDDED_PG_PORT, START_TIMEOUT_MS', () => {
    const c = loadLauncherConfig({
      PORT: '9000',
      S3_PORT: '9100',
      NODE_PORTS: '7001, 7002,7003',
      DATA_DIR: '/tmp/x',
      DATABASE_URL: 'postgres://u@h/db',
      EMBEDDED_PG_PORT: '6000',
    });
    expect(c).toEqual({ dataDir: '/tmp/x', gatewayPort: 9000, s3Port: 9100, nodePorts: [7001, 7002, 7003], databaseUrl: 'postgres://u@h/db', embeddedPgPort: 6000 });
    expect(loadLauncherConfig({ NODE_PORTS: '0,0' }).nodePorts).toEqual([0, 0]);
    expect(loadLauncherConfig({ CLUSTER_TOKEN: ' 0123456789abcdef\n' }).clusterToken).toBe('0123456789abcdef');
    expect(loadLauncherConfig({}).clusterToken).toBeUndefined();
    expect(loadLauncherConfig({ START_TIMEOUT_MS: '90000' }).startTimeoutMs).toBe(90_000);
  });
  it('names the variable that is wrong', () => {
    const bad: Array<[NodeJS.ProcessEnv, string]> = [
      [{ PORT: 'http' }, 'PORT'],
      [{ S3_PORT: '70000' }, 'S3_PORT'],
      [{ PORT: '9000' }, 'S3_PORT'], // the S3 default, taken
      [{ S3_PORT: '50052' }, 'S3_PORT'],
      [{ PORT: '65536' }, 'PORT'],
      [{ NODE_PORTS: '7001,,7002' }, 'NODE_PORTS'],
      [{ NODE_PORTS: '7001,7001' }, 'NODE_PORTS'],
      [{ NODE_PORTS: '7001,-2' }, 'NODE_PORTS'],
      [{ PORT: '7001', NODE_PORTS: '7001,7002' }, 'PORT'],
      [{ EMBEDDED_PG_PORT: '0' }, 'EMBEDDED_PG_PORT'],
      [{ CLUSTER_TOKEN: 'too-short' }, 'CLUSTER_TOKEN'],
      [{ CLUSTER_TOKEN: 'has a space in it, so no' }, 'CLUSTER_TOKEN'],
      [{ START_TIMEOUT_MS: '5m' }, 'START_TIMEOUT_MS'],
      [{ START_TIMEOUT_MS: '10' }, 'START_TIMEOUT_MS'],
    ];
    for (const [env, name] of bad) {
      expect(() => loadLauncherConfig(env), JSON.stringify(env)).toThrow(LauncherConfigError);
      expect(() => loadLauncherConfig(env), JSON.stringify(env)).toThrow(new RegExp(`^${name}: `));
    }
  });
  it('reads the postmaster pid from the first line of postmaster.pid only', () => {
    expect(parsePostmasterPid('4242\n/var/lib/pg\n1700000000\n5432\n')).toBe(4242);
    expect(parsePostmasterPid('')).toBeNull();
    expect(parsePostmasterPid('x\n12\n')).toBeNull();
  });
});

// --- the launcher as a process -----------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Parent pid and state of a process from /proc, or null when it is gone. */
function procStat(pid: number): { ppid: number; state: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the name may hold spaces
    return { state: fields[0]!, ppid: Number(fields[1]) };
  } catch {
    return null;
  }
}

/** Running, and not a zombie waiting to be reaped. */
const isRunning = (pid: number): boolean => {
  const s = procStat(pid);
  return s !== null && s.state !== 'Z';
};

/** Every process below `root` (children, their children...), from /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procStat(Number(entry));
    if (s && s.state !== 'Z') children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

interface Launcher {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in the output after character `from`; throws after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number, from?: number): Promise<RegExpMatchArray>;
  /** Pids the launcher printed for `name` ("[name] started (pid N)"), oldest first. */
  pids(name: string): number[];
}

/** `ownGroup`: in a process group of its own (with its children), as in a terminal, so Ctrl-C can be sent to all. */
function startLauncher(env: NodeJS.ProcessEnv, ownGroup = false): Launcher {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'scripts', 'start-cluster.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: ownGroup,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return {
    child,
    output: () => out,
    async waitFor(pattern, timeoutMs, from = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = out.slice(from).match(pattern);
        if (m) return m;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the launcher exited while waiting for ${pattern}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} in the launcher's output after ${timeoutMs} ms`);
        await sleep(50);
      }
    },
    pids(name) {
      const re = new RegExp(`^\\[${name}\\] started \\(pid (\\d+)\\)$`, 'gm');
      return [...out.matchAll(re)].map((m) => Number(m[1]));
    },
  };
}

/** The launcher's environment: this one's, minus what would steer it, plus `env`. */
function launcherEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'PORT', 'S3_PORT', 'NODE_PORTS', 'DATA_DIR', 'EMBEDDED_PG_PORT', 'CLUSTER_TOKEN', 'AUTH']) delete base[name];
  return {
    ...base,
    S3_PORT: '0', // any free port: a fixed one could be taken on a shared machine
    HEALTH_INTERVAL_MS: '500',
    DISK_RESERVE_BYTES: String(64 * 1024 * 1024),
    SHUTDOWN_GRACE_MS: '2000',
    ...env,
  };
}

async function getHealth(url: string): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3_000) });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    return { status: 0, body: (err as Error).message };
  }
}

async function waitForHealth(url: string, status: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = { status: 0, body: '' };
  while (Date.now() < deadline) {
    last = await getHealth(url);
    if (last.status === status) return;
    await sleep(200);
  }
  throw new Error(`${url}/health answered ${last.status} ${last.body}, not ${status}, for ${timeoutMs} ms`);
}

/** The cluster token npm start keeps in the data folder. */
const tokenIn = async (dataDir: string): Promise<string> => (await readFile(join(dataDir, 'cluster.token'), 'utf8')).trim();

/** A gRPC HealthCheck on a fresh channel with a deadline, with `token`: the answer, or the error's code. */
function nodeHealthCall(address: string, token: string | undefined): Promise<HealthCheckResponse__Output | { code: number }> {
  const client = createStorageClient(address, {}, token);
  return new Promise((resolve) => {
    client.HealthCheck({}, { deadline: Date.now() + 2_000 }, (err, res) => {
      client.close();
      resolve(err ? { code: err.code } : res!);
    });
  });
}

/** A gRPC HealthCheck on a fresh channel with a deadline: null if the node does not answer. */
async function nodeHealth(address: string, token: string): Promise<HealthCheckResponse__Output | null> {
  const h = await nodeHealthCall(address, token);
  return 'code' in h ? null : h;
}

async function waitForNodeHealth(address: string, token: string, timeoutMs: number): Promise<HealthCheckResponse__Output> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const h = await nodeHealth(address, token);
    if (h) return h;
    await sleep(200);
  }
  throw new Error(`no HealthCheck answer from ${address} within ${timeoutMs} ms`);
}

/**
 * SIGTERM to the launcher, or Ctrl-C as a terminal sends it (SIGINT to the launcher's whole process
 * group, its children included); its exit code, or throws if it is still running after `timeoutMs`.
 */
async function terminate(launcher: Launcher, timeoutMs: number, how: 'SIGTERM' | 'ctrl-c' = 'SIGTERM'): Promise<number | null> {
  const exited = once(launcher.child, 'exit');
  if (how === 'ctrl-c') process.kill(-launcher.child.pid!, 'SIGINT');
  else launcher.child.kill('SIGTERM');
  const result = await Promise.race([exited, sleep(timeoutMs).then(() => null)]);
  if (result === null) throw new Error(`the launcher still runs ${timeoutMs} ms after SIGTERM`);
  return (result as [number | null])[0];
}

async function waitUntilGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(isRunning);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = left.filter(isRunning);
  }
  return left;
}

const undo = undoAfterEach();

function track(launcher: Launcher): void {
  onTestFailed(() => console.log(`--- launcher output ---\n${launcher.output().slice(-20_000)}`));
  undo.push(async () => {
    const pid = launcher.child.pid!;
    const left = isRunning(pid) ? descendants(pid) : [];
    if (launcher.child.exitCode === null && launcher.child.signalCode === null) await terminate(launcher, 20_000).catch(() => undefined);
    for (const p of [pid, ...left]) if (isRunning(p)) process.kill(p, 'SIGKILL');
  });
}

/** A test database, a data folder and free ports for one launcher, removed after the test; its environment. */
async function launcherSetup(folder = 'objstore-launcher-'): Promise<{ env: (extra?: NodeJS.ProcessEnv) => NodeJS.ProcessEnv; dataDir: string; gatewayPort: number; nodePorts: number[] }> {
  const db = await createTestDatabase();
  undo.push(() => db.drop());
  const dataDir = await mkdtemp(join(tmpdir(), folder));
  undo.push(() => rm(dataDir, { recursive: true, force: true }));
  const [gatewayPort, ...nodePorts] = await freePorts(7);
  const env = (extra: NodeJS.ProcessEnv = {}) =>
    launcherEnv({ DATABASE_URL: db.url, DATA_DIR: dataDir, PORT: String(gatewayPort!), NODE_PORTS: nodePorts.join(','), ...extra });
  return { env, dataDir, gatewayPort: gatewayPort!, nodePorts };
}

describe('npm start launcher', () => {
  it('with LOG_LEVEL=warn the cluster still starts and shows the credentials it generated; info lines are left out', async () => {
    const { env, dataDir, gatewayPort } = await launcherSetup();
    const launcher = startLauncher(env({ LOG_LEVEL: 'warn' }));
    track(launcher);
    // The launcher learns each process's port from its start line, which every level prints.
    await launcher.waitFor(/chunked object store is running/, 60_000);
    const out = launcher.output();
    const tokenLine = /API token {6}(\S{32,})\n/.exec(out);
    expect(tokenLine, out).not.toBeNull();
    expect((await readFile(join(dataDir, 'api.token'), 'utf8')).trim()).toBe(tokenLine![1]);
    expect(out).toMatch(/S3 root key {4}access key [A-Z0-9]{20}\n {17}secret key \S{40}\n/);
    const answer = await fetch(`http://127.0.0.1:${gatewayPort}/files`, { headers: { Authorization: `Bearer ${tokenLine![1]}` } });
    expect(answer.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(launcher.output()).not.toMatch(/INFO: request/); // at info, each request is a line
  });

  it('a node that hangs before its start line (a chunk file whose open never returns) is killed after START_TIMEOUT_MS; the start fails naming it and leaves no process', async () => {
    const { env, dataDir, nodePorts } = await launcherSetup();
    // A FIFO where a chunk file belongs: the node opens every chunk at start, and opening a FIFO
    // for reading waits for a writer that never comes, as a read from a hung disk would.
    const stuck = `node-${nodePorts[2]}`;
    const fifo = join(dataDir, stuck, chunkRelativePath('stuck-chunk'));
    await mkdir(dirname(fifo), { recursive: true });
    execFileSync('mkfifo', [fifo]);
    const launcher = startLauncher(env({ START_TIMEOUT_MS: '3000' }));
    track(launcher);
    const exited = once(launcher.child, 'exit') as Promise<[number | null]>;
    const result = await Promise.race([exited, sleep(60_000).then(() => null)]);
    const out = launcher.output();
    expect(result, out).not.toBeNull(); // before: it waited for ever
    expect(result![0], out).toBe(1);
    expect(out).toMatch(new RegExp(`\\[${stuck}\\] not ready 3 s after it was started; killing it`));
    expect(out).toMatch(new RegExp(`cluster: failed to start: ${stuck} was not ready within 3 s`));
    expect(out).not.toMatch(/chunked object store is running/);
    // Every node it started (the stuck one included) is gone.
    const pids = nodePorts.flatMap((port) => launcher.pids(`node-${port}`));
    expect(pids.length).toBe(nodePorts.length);
    expect(await waitUntilGone(pids, 10_000)).toEqual([]);
  });

  it('restarts a killed node on the same port, NODE_ID and data with growing backoff, restarts the gateway, and SIGTERM stops every process', async () => {
    const { env, dataDir, gatewayPort, nodePorts } = await launcherSetup();
    const launcher = startLauncher(env());
    track(launcher);
    const url = `http://127.0.0.1:${gatewayPort}`;
    await launcher.waitFor(/chunked object store is running/, 60_000);
    await waitForHealth(url, 200, 30_000);

    // Every process the launcher printed is its child, and it has no other.
    const nodeNames = nodePorts.map((p) => `node-${p}`);
    const firstPids = [...nodeNames, 'gateway'].map((n) => launcher.pids(n));
    for (const pids of firstPids) expect(pids).toHaveLength(1);
    expect(descendants(launcher.child.pid!).sort()).toEqual(firstPids.flat().sort());

    // A chunk on the victim, to find again after the restart (same DATA_DIR).
    const victimPort = nodePorts[2]!;
    const victim = `node-${victimPort}`;
    const address = `127.0.0.1:${victimPort}`;
    const chunk = randomBytes(200_000);
    const token = await tokenIn(dataDir);
    const client = createStorageClient(address, {}, token);
    await putChunk(client, 'launcher-test-chunk', chunk, { checksum: createHash('sha256').update(chunk).digest('hex') });
    client.close();

    let mark = launcher.output().length;
    process.kill(launcher.pids(victim)[0]!, 'SIGKILL');
    await launcher.waitFor(new RegExp(`\\[${victim}\\] exited \\(signal SIGKILL\\) after [\\d.]+ s; restarting in 1 s \\(attempt 1\\)`), 10_000, mark);
    await launcher.waitFor(new RegExp(`\\[${victim}\\] back on ${address} \\(pid \\d+\\)`), 20_000, mark);
    const secondPid = launcher.pids(victim)[1]!;
    expect(secondPid).not.toBe(firstPids[2]![0]);
    expect(procStat(secondPid)?.ppid).toBe(launcher.child.pid);
    const health = await waitForNodeHealth(address, token, 10_000);
    expect(health.nodeId).toBe(victim);
    const again = createStorageClient(address, {}, token);
    expect((await getChunk(again, 'launcher-test-chunk')).equals(chunk)).toBe(true);
    again.close();

    // Killed again within a minute: the delay doubles.
    mark = launcher.output().length;
    process.kill(secondPid, 'SIGKILL');
    await launcher.waitFor(new RegExp(`\\[${victim}\\] exited \\(signal SIGKILL\\) after [\\d.]+ s; restarting in 2 s \\(attempt 2\\)`), 10_000, mark);
    await launcher.waitFor(new RegExp(`\\[${victim}\\] back on ${address}`), 20_000, mark);
    expect((await waitForNodeHealth(address, token, 10_000)).nodeId).toBe(victim);

    // The gateway: restarted on the same port, said so, and healthy again (it reaches all six nodes).
    mark = launcher.output().length;
    process.kill(launcher.pids('gateway')[0]!, 'SIGKILL');
    await launcher.waitFor(/\[gateway\] exited \(signal SIGKILL\) after [\d.]+ s; restarting in 1 s \(attempt 1\); the gateway keeps no state/, 10_000, mark);
    await launcher.waitFor(new RegExp(`\\[gateway\\] back on 127\\.0\\.0\\.1:${gatewayPort}`), 30_000, mark);
    await waitForHealth(url, 200, 30_000);
    expect(launcher.child.exitCode).toBeNull();
    expect(launcher.child.signalCode).toBeNull();

    // SIGTERM: everything stops, in bounded time, and nothing is restarted on the way.
    const running = descendants(launcher.child.pid!);
    expect(running.sort()).toEqual([...nodeNames, 'gateway'].map((n) => launcher.pids(n).at(-1)!).sort());
    mark = launcher.output().length;
    expect(await terminate(launcher, 30_000)).toBe(0);
    expect(await waitUntilGone(running, 5_000)).toEqual([]);
    const shutdownOutput = launcher.output().slice(mark);
    expect(shutdownOutput).toContain('stopping the cluster');
    expect(shutdownOutput).toMatch(/^stopped$/m);
    expect(shutdownOutput).not.toMatch(/restarting|started \(pid/);
  }, 180_000);

  it('creates DATA_DIR/cluster.token and DATA_DIR/api.token (0600) at the first start, prints the API token then only, hands the cluster token to the nodes and the gateway, reuses both at the next start; CLUSTER_TOKEN wins', async () => {
    const setup = await launcherSetup('objstore-launcher-token-');
    const { dataDir, gatewayPort, nodePorts } = setup;
    const env = setup.env();
    const url = `http://127.0.0.1:${gatewayPort}`;
    const address = `127.0.0.1:${nodePorts[0]}`;
    const tokenFile = join(dataDir, 'cluster.token');

    /** Starts the launcher with `env`, checks the cluster works with `token` only, stops it; its output. */
    const runOnce = async (runEnv: NodeJS.ProcessEnv, token: () => Promise<string>): Promise<string> => {
      const launcher = startLauncher(runEnv);
      track(launcher);
      await launcher.waitFor(/chunked object store is running/, 60_000);
      await waitForHealth(url, 200, 30_000); // the gateway reaches all six nodes: it sends their token
      const t = await token();
      expect(await nodeHealthCall(address, t)).toMatchObject({ status: 'healthy' });
      expect(await nodeHealthCall(address, undefined)).toEqual({ code: status.UNAUTHENTICATED });
      expect(await nodeHealthCall(address, `${t}x`)).toEqual({ code: status.UNAUTHENTICATED });
      expect(launcher.output()).not.toContain(t); // a secret: never printed
      // The REST API wants the root API token, which the first start generated into the data folder.
      const apiToken = (await readFile(join(dataDir, 'api.token'), 'utf8')).trim();
      expect((await fetch(`${url}/files`)).status).toBe(401);
      expect((await fetch(`${url}/files`, { headers: { Authorization: `Bearer ${apiToken}` } })).status).toBe(200);
      expect(await terminate(launcher, 30_000)).toBe(0);
      return launcher.output();
    };

    const first = await runOnce(env, () => tokenIn(dataDir));
    const token = await tokenIn(dataDir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    const made = await stat(tokenFile);
    expect(made.mode & 0o777).toBe(0o600);
    expect(first).toContain(`cluster token  ${tokenFile} (created now, mode 0600)`);
    const apiToken = (await readFile(join(dataDir, 'api.token'), 'utf8')).trim();
    expect(first).toContain(`API token      ${apiToken}\n`);
    expect((await stat(join(dataDir, 'api.token'))).mode & 0o777).toBe(0o600);

    const second = await runOnce(env, () => tokenIn(dataDir));
    expect(await tokenIn(dataDir)).toBe(token);
    const kept = await stat(tokenFile);
    expect([kept.ino, kept.mtimeMs]).toEqual([made.ino, made.mtimeMs]);
    expect(second).toContain(`cluster token  ${tokenFile} (nodes refuse`);
    expect(second).toContain(`API token      in ${join(dataDir, 'api.token')}`);
    expect(second, 'the API token is printed at the first start only').not.toContain(apiToken);

    // CLUSTER_TOKEN set: that token, and the file is neither used nor touched.
    const given = randomBytes(24).toString('base64url');
    const third = await runOnce({ ...env, CLUSTER_TOKEN: given }, async () => given);
    expect(third).toContain('cluster token  CLUSTER_TOKEN (nodes refuse');
    expect(await tokenIn(dataDir)).toBe(token);
  }, 240_000);

  it('says so when the embedded PostgreSQL dies, keeps serving /health (503), and Ctrl-C still stops every process without restarting any', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'objstore-launcher-pg-'));
    undo.push(() => rm(dataDir, { recursive: true, force: true }));
    const [gatewayPort, pgPort, ...nodePorts] = await freePorts(8);
    const launcher = startLauncher(
      launcherEnv({ DATA_DIR: dataDir, PORT: String(gatewayPort), NODE_PORTS: nodePorts.join(','), EMBEDDED_PG_PORT: String(pgPort) }),
      true,
    );
    track(launcher);
    const url = `http://127.0.0.1:${gatewayPort}`;
    await launcher.waitFor(/chunked object store is running/, 120_000);
    await waitForHealth(url, 200, 30_000);

    const pgPid = parsePostmasterPid(await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8'))!;
    expect(procStat(pgPid)?.ppid).toBe(launcher.child.pid);
    const running = descendants(launcher.child.pid!); // nodes, gateway, PostgreSQL and its workers
    expect(running).toContain(pgPid);

    const mark = launcher.output().length;
    process.kill(pgPid, 'SIGKILL');
    await launcher.waitFor(new RegExp(`\\[postgres\\] the embedded PostgreSQL server \\(pid ${pgPid}\\) has exited`), 10_000, mark);
    await waitForHealth(url, 503, 20_000);
    expect(launcher.child.exitCode).toBeNull();
    expect(launcher.output().slice(mark)).not.toMatch(/\[(node-\d+|gateway)\] exited/);

    // Ctrl-C reaches the nodes and the gateway too, which may exit before the launcher stops them:
    // expected exits, neither reported nor restarted.
    const stopMark = launcher.output().length;
    expect(await terminate(launcher, 40_000, 'ctrl-c')).toBe(0);
    // PostgreSQL's workers, orphaned by the SIGKILL, leave on their own once they see it gone.
    expect(await waitUntilGone(running, 15_000)).toEqual([]);
    const shutdownOutput = launcher.output().slice(stopMark);
    expect(shutdownOutput).toMatch(/^stopped$/m);
    expect(shutdownOutput).not.toMatch(/exited|restarting|started \(pid/);
  }, 240_000);
});
