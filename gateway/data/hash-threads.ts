// Hashes of uploads (MD5 for S3's ETag, SHA-256 for /files) computed on worker threads beside the
// event loop: MD5 ran at about 0.8 GB/s on the gateway's main thread, 40 % of what that thread did
// for an S3 PUT, and it held up the rest of the pipeline. A worker reads the bytes in place, in a
// SharedArrayBuffer, so nothing is copied: the caller keeps them unchanged until update() resolves.
//
// A few threads (one per core, at most four) are started on first use and shared by all uploads;
// each hash stays on one thread, whose requests are answered in order. A thread that dies fails
// the hashes on it (their uploads fail cleanly) and the next hash starts a new one.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export type ThreadedAlgorithm = 'md5' | 'sha256';

export type HashRequest =
  | { op: 'create'; id: number; algorithm: ThreadedAlgorithm }
  | { op: 'update'; id: number; memory: SharedArrayBuffer; offset: number; length: number }
  | { op: 'digest'; id: number }
  | { op: 'drop'; id: number };

export interface HashReply {
  id: number;
  digest?: string; // hex, the answer to 'digest'
  error?: string;
}

interface Waiter {
  resolve(reply: HashReply): void;
  reject(err: Error): void;
}

const WORKER_SCRIPT = new URL('./hash-worker.js', import.meta.url);
const MAX_THREADS = Math.max(1, Math.min(4, availableParallelism()));

class HashThread {
  private readonly worker = new Worker(WORKER_SCRIPT);
  private readonly waiters = new Map<number, Waiter[]>();
  private waiting = 0;
  private failure: Error | null = null;
  /** Hashes created on this thread and not yet digested or dropped. */
  hashes = 0;

  constructor(private readonly onFailure: (thread: HashThread) => void) {
    // The thread keeps the process alive only while it has work (see request and settle).
    this.worker.unref();
    this.worker.on('message', (reply: HashReply) => this.settle(reply));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the hash thread exited (code ${code})`)));
  }

  request(request: HashRequest): Promise<HashReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const queue = this.waiters.get(request.id);
      if (queue) queue.push({ resolve, reject });
      else this.waiters.set(request.id, [{ resolve, reject }]);
      if (this.waiting++ === 0) this.worker.ref();
      this.worker.postMessage(request);
    });
  }

  private settle(reply: HashReply): void {
    const queue = this.waiters.get(reply.id);
    const waiter = queue?.shift();
    if (!waiter) return;
    if (queue!.length === 0) this.waiters.delete(reply.id);
    if (--this.waiting === 0) this.worker.unref();
    if (reply.error !== undefined) waiter.reject(new Error(`hash thread: ${reply.error}`));
    else waiter.resolve(reply);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.onFailure(this);
    for (const queue of this.waiters.values()) for (const w of queue) w.reject(err);
    this.waiters.clear();
    this.waiting = 0;
    this.worker.unref();
  }

  /** Ends the thread (tests, to see that its hashes fail). */
  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

const threads: HashThread[] = [];

function leastBusyThread(): HashThread {
  const idle = threads.find((t) => t.hashes === 0);
  if (idle) return idle;
  if (threads.length < MAX_THREADS) {
    const thread = new HashThread((dead) => threads.splice(threads.indexOf(dead), 1));
    threads.push(thread);
    return thread;
  }
  return threads.reduce((a, b) => (b.hashes < a.hashes ? b : a));
}

let nextId = 1;

/** One running hash on a hash thread. Call digest() once at the end, or dispose() to give it up. */
export class ThreadedHash {
  private readonly thread = leastBusyThread();
  private readonly id = nextId++;
  private open = true;

  constructor(algorithm: ThreadedAlgorithm) {
    this.thread.hashes++;
    // A failed create shows in the next request, which finds no hash.
    this.thread.request({ op: 'create', id: this.id, algorithm }).catch(() => undefined);
  }

  /** Adds `bytes` (a view of a SharedArrayBuffer, unchanged until this resolves) to the hash. */
  async update(bytes: Uint8Array): Promise<void> {
    if (!(bytes.buffer instanceof SharedArrayBuffer)) throw new TypeError('ThreadedHash.update takes bytes in a SharedArrayBuffer');
    await this.thread.request({ op: 'update', id: this.id, memory: bytes.buffer, offset: bytes.byteOffset, length: bytes.byteLength });
  }

  /** The hash of everything added, in lower-case hex, once every update before it is done. */
  async digest(): Promise<string> {
    this.close();
    const reply = await this.thread.request({ op: 'digest', id: this.id });
    return reply.digest!;
  }

  /** Gives the hash up (an upload that failed); harmless after digest(). */
  dispose(): void {
    if (!this.open) return;
    this.close();
    this.thread.request({ op: 'drop', id: this.id }).catch(() => undefined);
  }

  private close(): void {
    if (!this.open) throw new Error('ThreadedHash: digest() after digest() or dispose()');
    this.open = false;
    this.thread.hashes--;
  }

  /** Ends this hash's thread, failing every hash on it (for tests of that failure). */
  terminateThread(): Promise<number> {
    return this.thread.terminate();
  }
}
