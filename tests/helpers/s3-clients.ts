// Real S3 clients (aws CLI, rclone, s3cmd, boto3, curl, the JavaScript SDK v3) run against one
// endpoint with given keys. Each set of clients gets its own temporary HOME and configuration files
// and a minimal environment, so nothing reads or writes ~/.aws, ~/.s3cfg or ~/.config/rclone, and
// no AWS_* variable of the machine leaks in (this machine sets AWS_CA_BUNDLE, which makes rclone
// 1.60 fail at start with "LoadCustomCABundleError").
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3Target extends S3Credentials {
  /** e.g. http://127.0.0.1:9000 (path-style addressing; no bucket in the host name). */
  endpoint: string;
}

/** What a client run left: exit code (null when killed), its output, whether it ran out of time. */
export interface ClientRun {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  /** Extra environment variables for this run (on top of the client's own). */
  env?: Record<string, string>;
  cwd?: string;
  /** Killed (with its process group) after this long; the run then fails. Default 120 s. */
  timeoutMs?: number;
  /** Resolve with a non-zero exit instead of rejecting: for refusals that the test checks itself. */
  allowFailure?: boolean;
}

export const REGION = 'us-east-1';
const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_CHARS = 1_000_000; // progress meters can print a lot; the tail is what matters

/**
 * The client programs, by absolute path. Debian's aws CLI (2.9, /usr/bin/aws) is pinned because the
 * machine's pyenv puts an aws CLI v1 (newer botocore, other defaults) first on PATH; S3_TEST_AWS and
 * S3_TEST_PYTHON run the suite with another build.
 */
export const CLIENT_PROGRAMS = {
  aws: { path: process.env.S3_TEST_AWS || '/usr/bin/aws', debian: 'awscli' },
  rclone: { path: process.env.S3_TEST_RCLONE || '/usr/bin/rclone', debian: 'rclone' },
  s3cmd: { path: process.env.S3_TEST_S3CMD || '/usr/bin/s3cmd', debian: 's3cmd' },
  python: { path: process.env.S3_TEST_PYTHON || '/usr/bin/python3', debian: 'python3-boto3' },
  curl: { path: process.env.S3_TEST_CURL || '/usr/bin/curl', debian: 'curl' },
} as const;

export type ClientName = keyof typeof CLIENT_PROGRAMS;

const found = new Map<ClientName, string | null>();

/** Why a client cannot run (not installed, or Python without boto3), or null when it can. */
function clientProblem(name: ClientName): string | null {
  if (!found.has(name)) {
    const { path, debian } = CLIENT_PROGRAMS[name];
    let problem: string | null = null;
    try {
      accessSync(path, constants.X_OK);
    } catch {
      problem = `${name}: ${path} is not installed (Debian package ${debian})`;
    }
    if (problem === null && name === 'python') {
      const r = spawnSync(path, ['-c', 'import boto3'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
      if (r.status !== 0) problem = `python: ${path} cannot import boto3 (Debian package ${debian}): ${String(r.stderr).trim()}`;
    }
    found.set(name, problem);
  }
  return found.get(name)!;
}

/** The clients among `names` that cannot run, each with the reason. */
export function missingClients(names: ClientName[] = Object.keys(CLIENT_PROGRAMS) as ClientName[]): string[] {
  return names.map(clientProblem).filter((p): p is string => p !== null);
}

/** Throws one clear error naming every missing client and how to install it. */
export function requireClients(names: ClientName[] = Object.keys(CLIENT_PROGRAMS) as ClientName[]): void {
  const missing = missingClients(names);
  if (missing.length === 0) return;
  const packages = [...new Set(names.filter((n) => clientProblem(n) !== null).map((n) => CLIENT_PROGRAMS[n].debian))];
  throw new Error(
    `S3 client programs missing:\n  ${missing.join('\n  ')}\n` +
      `.ci/run installs them; by hand: apt-get install -y --no-install-recommends ${packages.join(' ')}`,
  );
}

const tail = (s: string, n = 4000): string => (s.length > n ? `…${s.slice(-n)}` : s);

/** Why a run failed, with what it printed, for an assertion message. */
export function describeRun(r: ClientRun): string {
  const how = r.timedOut ? 'timed out' : r.signal ? `was killed by ${r.signal}` : `exited with ${r.code}`;
  return `${r.command} ${how}\n--- stderr ---\n${tail(r.stderr) || '(empty)'}\n--- stdout ---\n${tail(r.stdout) || '(empty)'}`;
}

/** A client run that failed (or, with allowFailure, was let through); its message has the stderr. */
export class ClientFailure extends Error {
  constructor(readonly run: ClientRun) {
    super(describeRun(run));
  }
}

/** The stdout of a run parsed as JSON, or an error that shows what was printed. */
export function jsonOf<T = any>(r: ClientRun): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`expected JSON on stdout of ${describeRun(r)}`);
  }
}

/**
 * Runs a program with no stdin, the given environment only, and a deadline. `shownArgs` stand for
 * `args` in messages (a whole Python script would bury the error).
 */
export function runProgram(
  path: string,
  args: string[],
  env: Record<string, string>,
  options: RunOptions = {},
  shownArgs: string[] = args,
): Promise<ClientRun> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const command = [path, ...shownArgs].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout also ends whatever the client started.
    const child = spawn(path, args, { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-MAX_OUTPUT_CHARS)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-MAX_OUTPUT_CHARS)));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${command} could not start: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const run: ClientRun = { command, code, signal, stdout, stderr, timedOut };
      if (timedOut || (code !== 0 && !options.allowFailure)) reject(new ClientFailure(run));
      else resolve(run);
    });
  });
}

/** An SDK v3 client for the endpoint: path style, us-east-1, the SDK's default checksums. */
export function s3Client(endpoint: string, key: S3Credentials, overrides: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    ...overrides,
  });
}

/**
 * Python run by `python()` starts with this: `s3` is a boto3 client for the endpoint (path style,
 * SigV4 also for presigned URLs: boto3 presigns with SigV2 in us-east-1 unless told, and so does
 * aws CLI v1's `s3 presign`), `client(**config)` makes another with Config overrides, `out(x)`
 * prints JSON.
 */
export const PYTHON_PRELUDE = `
import json, os, sys
import boto3
from botocore.config import Config

def client(**config):
    base = dict(signature_version='s3v4', s3={'addressing_style': 'path'}, retries={'max_attempts': 1, 'mode': 'standard'})
    base.update(config)
    return boto3.client('s3', endpoint_url=os.environ['S3_ENDPOINT'], region_name=os.environ['S3_REGION'],
                        aws_access_key_id=os.environ['S3_ACCESS_KEY_ID'], aws_secret_access_key=os.environ['S3_SECRET_ACCESS_KEY'],
                        config=Config(**base))

def out(value):
    json.dump(value, sys.stdout, default=str)
    sys.stdout.write('\\n')

s3 = client()
`;

/** The rclone remote name the clients configure: paths are `${RCLONE_REMOTE}:bucket/key`. */
export const RCLONE_REMOTE = 'target';

/**
 * Every client set up for one endpoint and key, in a throwaway folder. `dispose()` removes it and
 * destroys the SDK clients made through `sdk()`.
 */
export class S3Clients {
  readonly dir: string;
  private readonly home: string;
  private readonly s3cmdConfig: string;
  private readonly sdkClients: S3Client[] = [];

  constructor(readonly target: S3Target) {
    this.dir = mkdtempSync(join(tmpdir(), 's3-clients-'));
    this.home = join(this.dir, 'home');
    mkdirSync(this.home);
    const url = new URL(target.endpoint);
    // The aws CLI reads these two files instead of ~/.aws; keys come from the environment.
    writeFileSync(join(this.dir, 'aws-config'), `[default]\nregion = ${REGION}\ns3 =\n  addressing_style = path\n`);
    writeFileSync(join(this.dir, 'aws-credentials'), '');
    writeFileSync(join(this.dir, 'rclone.conf'), '');
    // s3cmd: SigV4, plain HTTP, and host_bucket without %(bucket)s, which means path style.
    this.s3cmdConfig = join(this.dir, 's3cfg');
    writeFileSync(
      this.s3cmdConfig,
      [
        '[default]',
        `access_key = ${target.accessKeyId}`,
        `secret_key = ${target.secretAccessKey}`,
        `host_base = ${url.host}`,
        `host_bucket = ${url.host}`,
        `use_https = ${url.protocol === 'https:' ? 'True' : 'False'}`,
        'signature_v2 = False',
        `bucket_location = ${REGION}`,
        'progress_meter = False',
        'max_retries = 1',
        'socket_timeout = 60',
        '',
      ].join('\n'),
    );
  }

  /** The environment every client starts from: no inherited AWS_*, proxies or config paths. */
  private baseEnv(extra: Record<string, string> | undefined): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.home,
      XDG_CONFIG_HOME: join(this.home, '.config'),
      XDG_CACHE_HOME: join(this.home, '.cache'),
      TMPDIR: tmpdir(),
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      ...extra,
    };
  }

  /** `aws --endpoint-url <endpoint> ...args` (Debian's aws CLI), keys and region from the environment. */
  aws(args: string[], options: RunOptions = {}): Promise<ClientRun> {
    requireClients(['aws']);
    const env = this.baseEnv({
      AWS_ACCESS_KEY_ID: this.target.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.target.secretAccessKey,
      AWS_DEFAULT_REGION: REGION,
      AWS_CONFIG_FILE: join(this.dir, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(this.dir, 'aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
      ...options.env,
    });
    return runProgram(CLIENT_PROGRAMS.aws.path, ['--endpoint-url', this.target.endpoint, ...args], env, options);
  }

  /** `rclone ...args` with the remote `target:` configured through RCLONE_CONFIG_TARGET_* variables. */
  rclone(args: string[], options: RunOptions = {}): Promise<ClientRun> {
    requireClients(['rclone']);
    const prefix = `RCLONE_CONFIG_${RCLONE_REMOTE.toUpperCase()}_`;
    const env = this.baseEnv({
      RCLONE_CONFIG: join(this.dir, 'rclone.conf'),
      [`${prefix}TYPE`]: 's3',
      [`${prefix}PROVIDER`]: 'Other',
      [`${prefix}ENV_AUTH`]: 'false',
      [`${prefix}ACCESS_KEY_ID`]: this.target.accessKeyId,
      [`${prefix}SECRET_ACCESS_KEY`]: this.target.secretAccessKey,
      [`${prefix}ENDPOINT`]: this.target.endpoint,
      [`${prefix}REGION`]: REGION,
      [`${prefix}FORCE_PATH_STYLE`]: 'true',
      ...options.env,
    });
    // Fail fast: rclone otherwise retries a whole failed operation 3 times.
    return runProgram(CLIENT_PROGRAMS.rclone.path, ['--retries', '1', '--low-level-retries', '2', ...args], env, options);
  }

  /** `rclone` path of a bucket or object on the endpoint. */
  remote(bucket: string, key = ''): string {
    return `${RCLONE_REMOTE}:${bucket}${key ? `/${key}` : ''}`;
  }

  /** `s3cmd -c <temp config> ...args`. */
  s3cmd(args: string[], options: RunOptions = {}): Promise<ClientRun> {
    requireClients(['s3cmd']);
    return runProgram(CLIENT_PROGRAMS.s3cmd.path, ['-c', this.s3cmdConfig, ...args], this.baseEnv(options.env), options);
  }

  /** Runs PYTHON_PRELUDE + `script` with Debian's python3 and boto3; `args` become sys.argv[1:]. */
  python(script: string, args: string[] = [], options: RunOptions = {}): Promise<ClientRun> {
    requireClients(['python']);
    const env = this.baseEnv({
      S3_ENDPOINT: this.target.endpoint,
      S3_REGION: REGION,
      S3_ACCESS_KEY_ID: this.target.accessKeyId,
      S3_SECRET_ACCESS_KEY: this.target.secretAccessKey,
      PYTHONNOUSERSITE: '1',
      PYTHONDONTWRITEBYTECODE: '1',
      ...options.env,
    });
    const firstLine = script.trim().split('\n')[0]!.slice(0, 80);
    return runProgram(CLIENT_PROGRAMS.python.path, ['-c', `${PYTHON_PRELUDE}\n${script}`, ...args], env, options, [
      '-c',
      `<boto3 script: ${firstLine} …>`,
      ...args.map((a) => (a.length > 200 ? `${a.slice(0, 200)}…` : a)),
    ]);
  }

  /** `curl -sS --noproxy '*' ...args` (for presigned URLs: no keys involved). */
  curl(args: string[], options: RunOptions = {}): Promise<ClientRun> {
    requireClients(['curl']);
    return runProgram(CLIENT_PROGRAMS.curl.path, ['-sS', '--noproxy', '*', '--max-time', '60', ...args], this.baseEnv(options.env), options);
  }

  /** An SDK v3 client for the same endpoint and key, destroyed by dispose(). */
  sdk(overrides: Partial<S3ClientConfig> = {}): S3Client {
    const c = s3Client(this.target.endpoint, this.target, overrides);
    this.sdkClients.push(c);
    return c;
  }

  /** The same clients with another key (for refusal tests); dispose it too. */
  withKey(key: S3Credentials): S3Clients {
    return new S3Clients({ ...this.target, ...key });
  }

  dispose(): void {
    for (const c of this.sdkClients.splice(0)) c.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function s3Clients(target: S3Target): S3Clients {
  return new S3Clients(target);
}
