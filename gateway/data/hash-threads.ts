// Hashes of uploads (MD5 for S3's ETag, SHA-256 for /files) computed on worker threads beside the
// event loop: MD5 ran at about 0.8 GB/s on the gateway's main thread, 40 % of what that thread did
// for an S3 PUT, and it held up the rest of the pipeline.
//
// Each thread owns a few blocks of shared memory, made once: update() copies the bytes into a free
// block (one memcpy, about 0.1 CPU-s per GiB) and the thread hashes them there. Handing the thread
// the caller's own buffers instead (shared memory per upload) kept every upload's buffers alive
// until the thread's collector ran, which for a thread that allocates almost nothing was rarely:
// the gateway grew by about 8 MiB per 1 GiB upload. With fixed blocks the memory is bounded
// (BLOCKS x BLOCK_BYTES per thread) and the caller may reuse its bytes once update() resolves.
//
// A few threads (one per core, at most four) start on first use and are shared by all uploads;
// each hash stays on one thread, whose requests are answered in order. A thread that dies fails
// the hashes on it (their uploads fail cleanly) and the next hash starts a new one.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { copyBytes } from '../../proto/byte-copy.js';

export type ThreadedAlgorithm = 'md5' | 'sha256';

export const BLOCK_BYTES = 2 * 1024 * 1024;
const BLOCKS = 4;

/** What a hash thread is started with (workerData). */
export interface HashThreadData {
  memory: SharedArrayBuffer;
  blockBytes: number;
}

export type HashRequest =
  | { op: 'create'; id: number; algorithm: ThreadedAlgorithm }
  | { op: 'update'; id: number; block: number; length: number }
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
  private readonly memory = Buffer.from(new SharedArrayBuffer(BLOCKS * BLOCK_BYTES));
  private readonly worker: Worker;
  private readonly waiters = new Map<number, Waiter[]>();
  private readonly freeBlocks = Array.from({ length: BLOCKS }, (_, i) => i);
  private readonly roomWaiters: (() => void)[] = [];
  private waiting = 0;
  private failure: Error | null = null;
  /** Hashes created on this thread and not yet digested or dropped. */
  hashes = 0;

  constructor(private readonly onFailure: (thread: HashThread) => void) {
    const workerData: HashThreadData = { memory: this.memory.buffer as SharedArrayBuffer, blockBytes: BLOCK_BYTES };
    this.worker = new Worker(WORKER_SCRIPT, { workerData });
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

  /** Copies `bytes` (at most BLOCK_BYTES) into a free block, once there is one, and asks for their hash. */
  async update(id: number, bytes: Uint8Array): Promise<void> {
    while (this.freeBlocks.length === 0) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    if (this.failure) throw this.failure;
    const block = this.freeBlocks.pop()!;
    copyBytes(this.memory, block * BLOCK_BYTES, bytes);
    // A failed update fails the hash: the thread forgets it, so its digest is refused.
    this.request({ op: 'update', id, block, length: bytes.length }).then(
      () => this.freeBlock(block),
      () => this.freeBlock(block),
    );
  }

  private freeBlock(block: number): void {
    this.freeBlocks.push(block);
    this.roomWaiters.shift()?.();
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
    for (const wake of this.roomWaiters.splice(0)) wake();
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
  /** The last update: updates copy one after another, so the bytes reach the thread in order. */
  private fed: Promise<void> = Promise.resolve();

  constructor(algorithm: ThreadedAlgorithm) {
    this.thread.hashes++;
    // A failed create shows in the next request, which finds no hash.
    this.thread.request({ op: 'create', id: this.id, algorithm }).catch(() => undefined);
  }

  /** Adds `bytes` to the hash; resolves once they are copied (the caller may then reuse them). */
  update(bytes: Uint8Array): Promise<void> {
    const feed = async (): Promise<void> => {
      for (let at = 0; at < bytes.length; at += BLOCK_BYTES) await this.thread.update(this.id, bytes.subarray(at, at + BLOCK_BYTES));
    };
    const fed = this.fed.then(feed);
    this.fed = fed.catch(() => undefined); // a failure shows here and in the digest
    return fed;
  }

  /** The hash of everything added, in lower-case hex, once every update before it is done. */
  async digest(): Promise<string> {
    this.close();
    await this.fed;
    const reply = await this.thread.request({ op: 'digest', id: this.id });
    return reply.digest!;
  }

  /** Gives the hash up (an upload that failed); harmless after digest(). */
  dispose(): void {
    if (!this.open) return;
    this.close();
    void this.fed.then(() => this.thread.request({ op: 'drop', id: this.id })).catch(() => undefined);
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
