// Talking HTTP to the gateway at the byte level, for failure tests: multipart bodies streamed with
// node:http (backpressure respected, SHA-256 computed while sending), uploads cut mid-body, early
// answers (413, 503) noticed while still writing, downloads hashed as they stream, and looks at
// the nodes' data folders and the metadata tables.
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import type pg from 'pg';
import { spawnNode, type RunningProcess } from './processes.js';
import { MiB, storedFiles, waitFor } from './storage-client.js';

export { MiB, storedFiles, waitFor };

/** A fresh 1 MiB random block per test run, stamped with the block index so no two blocks are equal. */
export function patternSource(blockSize = MiB): (index: number, length: number) => Buffer {
  const base = randomBytes(blockSize);
  return (index, length) => {
    const block = Buffer.allocUnsafe(length);
    base.copy(block, 0, 0, length);
    if (length >= 8) block.writeBigUInt64BE(BigInt(index), 0);
    return block;
  };
}

/** `size` bytes as blocks of `blockSize` (the last one shorter), each a new Buffer. */
export function* patternBlocks(size: number, blockSize = MiB, source = patternSource(blockSize)): Generator<Buffer> {
  for (let offset = 0, i = 0; offset < size; offset += blockSize, i++) yield source(i, Math.min(blockSize, size - offset));
}

export interface RawUploadOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:1234 */
  url: string;
  /** The file's bytes, in order. */
  blocks: Iterable<Buffer> | AsyncIterable<Buffer>;
  /** Bytes announced for the file in Content-Length; ignored when `chunked`. */
  declaredSize: number;
  /** Send with Transfer-Encoding: chunked (no Content-Length). */
  chunked?: boolean;
  filename?: string;
  contentType?: string;
  /**
   * Called after each block is written with the file bytes sent so far. Returning 'abort' destroys
   * the socket at once (a client going away mid-upload); 'stop' stops writing but waits for an answer.
   */
  onProgress?: (sentBytes: number) => void | 'abort' | 'stop' | Promise<void | 'abort' | 'stop'>;
  /** Give up (destroy the request) after this long without an outcome. */
  timeoutMs?: number;
  /**
   * Use a keep-alive agent. By default the request goes without an agent, and node:http then asks
   * for the connection to be closed after it (`Connection: close`), as one-shot clients do.
   */
  keepAlive?: boolean;
  /** More request headers (Authorization). */
  headers?: Record<string, string>;
}

export interface RawUploadResult {
  status: number | null;
  headers: IncomingHttpHeaders | null;
  text: string;
  /** The parsed JSON body, or null when there is none or it is not JSON. */
  json: any;
  /** File bytes handed to the socket. */
  sentBytes: number;
  /** SHA-256 of the file bytes handed to the socket. */
  sha256: string;
  /** Whether the whole body (closing delimiter included) was written. */
  completeBody: boolean;
  /** Milliseconds from the start of the request until the response head arrived. */
  responseAfterMs: number | null;
  /** The request error (EPIPE, ECONNRESET, ...) if there was one. */
  error: NodeJS.ErrnoException | null;
  aborted: boolean;
  timedOut: boolean;
}

export function multipartFraming(filename: string, contentType: string): { boundary: string; head: Buffer; tail: Buffer } {
  const boundary = `----objstore-test-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
    'utf8',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  return { boundary, head, tail };
}

/** POST /files with a multipart body streamed block by block, watching for an early answer. */
export function rawUpload(options: RawUploadOptions): Promise<RawUploadResult> {
  const { boundary, head, tail } = multipartFraming(options.filename ?? 'test.bin', options.contentType ?? 'application/octet-stream');
  const headers: Record<string, string> = { 'Content-Type': `multipart/form-data; boundary=${boundary}`, ...options.headers };
  if (!options.chunked) headers['Content-Length'] = String(head.length + options.declaredSize + tail.length);
  const started = Date.now();
  const agent = options.keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
  const req = request(`${options.url}/files`, { method: 'POST', headers, agent });
  const hash = createHash('sha256');
  const result: RawUploadResult = {
    status: null,
    headers: null,
    text: '',
    json: null,
    sentBytes: 0,
    sha256: '',
    completeBody: false,
    responseAfterMs: null,
    error: null,
    aborted: false,
    timedOut: false,
  };

  // Writing stops as soon as the server answers or the connection breaks.
  let stopped = false;
  let wake: (() => void) | null = null;
  const stop = (): void => {
    stopped = true;
    const w = wake;
    wake = null;
    w?.();
  };

  const outcome = new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      result.timedOut = true;
      req.destroy(new Error(`no outcome within ${options.timeoutMs} ms`));
      resolve();
    }, options.timeoutMs ?? 120_000);
    const finish = (): void => {
      clearTimeout(timer);
      resolve();
    };
    req.on('response', (res) => {
      result.status = res.statusCode ?? null;
      result.headers = res.headers;
      result.responseAfterMs = Date.now() - started;
      stop();
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('error', () => undefined); // a reset after the answer: keep what arrived
      res.on('close', () => {
        result.text = Buffer.concat(parts).toString('utf8');
        try {
          result.json = JSON.parse(result.text);
        } catch {
          result.json = null;
        }
        finish();
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      result.error ??= err;
      stop();
      // Without a response there is nothing more to wait for; with one, its 'close' finishes.
      if (result.status === null) finish();
    });
    req.on('close', () => {
      if (result.status === null) setImmediate(finish);
    });
  });

  const write = async (buf: Buffer): Promise<boolean> => {
    if (stopped) return false;
    if (!req.write(buf)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          req.off('drain', done);
          wake = null;
          resolve();
        };
        wake = done;
        req.once('drain', done);
      });
    }
    return !stopped;
  };

  const send = async (): Promise<void> => {
    try {
      if (!(await write(head))) return;
      for await (const block of options.blocks) {
        if (stopped) return;
        hash.update(block);
        result.sentBytes += block.length;
        if (!(await write(block))) return;
        const next = await options.onProgress?.(result.sentBytes);
        if (next === 'abort') {
          result.aborted = true;
          req.destroy();
          stop();
          return;
        }
        if (next === 'stop') return;
      }
      if (!(await write(tail))) return;
      req.end();
      result.completeBody = true;
    } catch (err) {
      result.error ??= err as NodeJS.ErrnoException;
      req.destroy();
    }
  };

  return Promise.all([send(), outcome]).then(() => {
    result.sha256 = hash.digest('hex');
    req.destroy(); // the answer is in; an unfinished body is not sent any further
    if (agent) agent.destroy();
    return result;
  });
}

/** Uploads a small in-memory file; resolves with the status and parsed body. */
export async function uploadBuffer(url: string, data: Buffer, filename = 'small.bin'): Promise<RawUploadResult> {
  return rawUpload({ url, blocks: data.length ? [data] : [], declaredSize: data.length, filename, timeoutMs: 60_000 });
}

export interface DownloadResult {
  status: number;
  headers: IncomingHttpHeaders;
  bytes: number;
  sha256: string;
  error: Error | null;
}

/** GET a URL, hashing the body as it streams (nothing is kept in memory). */
export function downloadSha256(url: string, timeoutMs = 120_000): Promise<DownloadResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      let error: Error | null = null;
      res.on('data', (d: Buffer) => {
        hash.update(d);
        bytes += d.length;
      });
      res.on('error', (err) => (error = err));
      res.on('close', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, sha256: hash.digest('hex'), error });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`download of ${url} took more than ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

/** A JSON request with a bounded wait; `json` is null when the body is not JSON, `status` 0 when nothing answered. */
export async function api(
  url: string,
  init: { method?: string; body?: unknown; timeoutMs?: number; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: any; text: string; ms: number; headers: Record<string, string> }> {
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(init.token === undefined ? {} : { Authorization: `Bearer ${init.token}` }),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
    });
  } catch (err) {
    // No HTTP answer at all (connection refused or reset, timeout): status 0, the cause in `text`.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, json: null, text: `no answer: ${cause?.code ?? cause?.message ?? (err as Error).message}`, ms: Date.now() - started, headers: {} };
  }
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text, ms: Date.now() - started, headers: Object.fromEntries(res.headers) };
}

/** Where a node keeps a committed chunk: <DATA_DIR>/chunks/xx/yy/<chunk_id>, xx/yy from SHA-256 of the id. */
export function chunkPath(nodeDataDir: string, chunkId: string): string {
  const h = createHash('sha256').update(chunkId).digest('hex');
  return join(nodeDataDir, 'chunks', h.slice(0, 2), h.slice(2, 4), chunkId);
}

/** Every chunk or temporary file on the given nodes, as "<dir>: <relative path>". */
export async function filesOnNodes(dataDirs: string[]): Promise<string[]> {
  const lists = await Promise.all(dataDirs.map(async (d) => (await storedFiles(d)).map((f) => `${d}: ${f}`)));
  return lists.flat();
}

export async function tableCounts(pool: pg.Pool): Promise<{ files: number; chunks: number; deletions: number }> {
  const r = await pool.query<{ files: string; chunks: string; deletions: string }>(
    `SELECT (SELECT count(*) FROM files) AS files, (SELECT count(*) FROM chunks) AS chunks,
            (SELECT count(*) FROM chunk_deletions) AS deletions`,
  );
  const row = r.rows[0]!;
  return { files: Number(row.files), chunks: Number(row.chunks), deletions: Number(row.deletions) };
}

/**
 * Polls `probe` until `done(value)` holds or `timeoutMs` passes; returns the last value either way,
 * so the assertion that follows can show what was left.
 */
/** Collects what a child process prints (stdout and stderr), for showing when a test fails. */
export function captureOutput(child: ChildProcess, maxChars = 20_000): () => string {
  let out = '';
  const add = (d: Buffer): void => {
    out = (out + d.toString()).slice(-maxChars);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out;
}

/** SIGKILL, and wait until the process is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

export async function pollUntil<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Whether a child process is still running (neither exited nor killed by a signal). */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export interface DownloadOptions {
  /** A Range header value, e.g. "bytes=0-99". */
  range?: string;
  /** Give up (destroy the request) after this long; `timedOut` tells. */
  timeoutMs?: number;
  /** Keep the body in memory (to compare a range byte by byte). An error answer's body is always kept. */
  keepBody?: boolean;
  /**
   * Called after each piece of body with the bytes received so far. 'abort' destroys the request at
   * once (a client going away, like `curl | head -c 1`); a returned promise pauses reading until it settles.
   */
  onProgress?: (receivedBytes: number) => void | 'abort' | Promise<void | 'abort'>;
}

export interface BodyDownload {
  /** null when no response head arrived. */
  status: number | null;
  headers: IncomingHttpHeaders | null;
  bytes: number;
  sha256: string;
  /** The body, when `keepBody` or when the answer is not 2xx. */
  body: Buffer | null;
  /** The body parsed as JSON, or null. */
  json: any;
  /** The body ended cleanly with exactly Content-Length bytes (or ended cleanly without one). */
  complete: boolean;
  error: Error | null;
  timedOut: boolean;
  aborted: boolean;
  ms: number;
}

/** GET with a bounded wait, hashing the body as it streams; never rejects (the outcome says what happened). */
export function download(url: string, options: DownloadOptions = {}): Promise<BodyDownload> {
  const started = Date.now();
  const result: BodyDownload = {
    status: null,
    headers: null,
    bytes: 0,
    sha256: '',
    body: null,
    json: null,
    complete: false,
    error: null,
    timedOut: false,
    aborted: false,
    ms: 0,
  };
  const hash = createHash('sha256');
  const parts: Buffer[] = [];
  return new Promise((resolve) => {
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      result.sha256 = hash.digest('hex');
      if (parts.length > 0 || result.body !== null) result.body = Buffer.concat(parts);
      if (result.body && result.status !== null && (result.status < 200 || result.status >= 300)) {
        try {
          result.json = JSON.parse(result.body.toString('utf8'));
        } catch {
          result.json = null;
        }
      }
      result.ms = Date.now() - started;
      resolve(result);
    };
    const req = request(url, { agent: false, headers: options.range ? { Range: options.range } : {} }, (res) => {
      result.status = res.statusCode ?? 0;
      result.headers = res.headers;
      const keep = options.keepBody || result.status < 200 || result.status >= 300;
      if (keep) result.body = Buffer.alloc(0);
      let ended = false;
      let waiting = false;
      const abort = (): void => {
        result.aborted = true;
        req.destroy();
        res.destroy();
      };
      res.on('data', (d: Buffer) => {
        hash.update(d);
        result.bytes += d.length;
        if (keep) parts.push(d);
        if (!options.onProgress || waiting || result.aborted) return;
        const next = options.onProgress(result.bytes);
        if (next === 'abort') abort();
        else if (next instanceof Promise) {
          waiting = true;
          res.pause();
          next.then(
            (v) => {
              waiting = false;
              if (v === 'abort') abort();
              else res.resume();
            },
            (err: Error) => {
              result.error ??= err;
              abort();
            },
          );
        }
      });
      res.on('end', () => (ended = true));
      res.on('error', (err) => (result.error ??= err));
      res.on('close', () => {
        const declared = res.headers['content-length'];
        result.complete = ended && !result.aborted && (declared === undefined || Number(declared) === result.bytes);
        finish();
      });
    });
    const timer = setTimeout(() => {
      result.timedOut = true;
      req.destroy(new Error(`no complete answer from ${url} within ${options.timeoutMs} ms`));
      // A response that had begun finishes through its 'close'; otherwise through the request's 'error'.
    }, options.timeoutMs ?? 120_000);
    req.on('error', (err) => {
      result.error ??= err;
      if (result.status === null) finish();
    });
    // Normally the response's 'close' finishes; this only guards against waiting forever if it never comes.
    req.on('close', () => setTimeout(finish, 2_000).unref());
    req.end();
  });
}

/**
 * Another gateway process on an existing database and set of nodes, configured like the test
 * cluster's (plus `env`): for changing a gateway's settings, or for an upload whose memory should
 * not count in the cluster gateway's. Stop it with `stop()`. Its CLUSTER_TOKEN is `clusterToken`,
 * by default the test cluster's (DATA_DIR/cluster.token, which the cluster's start created).
 */
export async function startGatewayProcess(options: {
  databaseUrl: string;
  nodeAddresses: string[];
  dataDir: string;
  clusterToken?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<RunningProcess & { url: string }> {
  const clusterToken = options.clusterToken ?? (await readFile(join(options.dataDir, 'cluster.token'), 'utf8')).trim();
  const proc = await spawnNode(
    'dist/gateway/main.js',
    {
      PORT: '0',
      S3_PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: options.databaseUrl,
      STORAGE_NODES: options.nodeAddresses.join(','),
      DATA_DIR: options.dataDir,
      CLUSTER_TOKEN: clusterToken,
      HEALTH_INTERVAL_MS: '500',
      AUTH: 'off', // the published REST contract; the cluster token is still sent to the nodes
      ...options.env,
    },
    /gateway listening on http:\/\/[^\s]+:(\d+)/,
  );
  return { ...proc, url: `http://127.0.0.1:${proc.match[1]}` };
}
