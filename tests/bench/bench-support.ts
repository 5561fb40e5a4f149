// Small tools shared by the benchmarks: deterministic byte streams, HTTP posting with backpressure,
// timing statistics, memory sampling and plain-text tables.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** `size` bytes: a random 1 MiB block, each copy stamped with its index so no two blocks are equal. */
export function* patternBlocks(size: number, seed: Uint8Array = randomBytes(MiB)): Generator<Buffer> {
  for (let offset = 0, i = 0; offset < size; offset += MiB, i++) {
    const block = Buffer.from(seed.subarray(0, Math.min(MiB, size - offset)));
    if (block.length >= 8) block.writeBigUInt64BE(BigInt(i), 0);
    yield block;
  }
}

export interface PostResult {
  status: number;
  body: string;
  seconds: number;
}

/** Streams `prefix`, the blocks, then `suffix` as one request body; honours backpressure. */
export function postStream(
  url: string,
  headers: Record<string, string | number>,
  blocks: Iterable<Buffer>,
  prefix: Buffer = Buffer.alloc(0),
  suffix: Buffer = Buffer.alloc(0),
): Promise<PostResult> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, seconds: Number(process.hrtime.bigint() - started) / 1e9 }),
      );
    });
    req.on('error', reject);
    const it = blocks[Symbol.iterator]();
    const pump = (): void => {
      for (;;) {
        const next = it.next();
        if (next.done) {
          req.end(suffix);
          return;
        }
        if (!req.write(next.value)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    req.write(prefix);
    pump();
  });
}

export interface MultipartFrame {
  prefix: Buffer;
  suffix: Buffer;
  contentType: string;
  contentLength: (fileSize: number) => number;
}

export function multipartFrame(filename: string): MultipartFrame {
  const boundary = `----bench${randomBytes(8).toString('hex')}`;
  const prefix = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const suffix = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    prefix,
    suffix,
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: (fileSize) => prefix.length + fileSize + suffix.length,
  };
}

/** GETs `url`, hashing the body; returns status, byte count, SHA-256 and seconds. */
export function getAndHash(url: string, headers: Record<string, string> = {}): Promise<{ status: number; bytes: number; sha256: string; seconds: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (d: Buffer) => {
        hash.update(d);
        bytes += d.length;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          bytes,
          sha256: hash.digest('hex'),
          seconds: Number(process.hrtime.bigint() - started) / 1e9,
        }),
      );
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** Samples a process's resident memory every `intervalMs`; stop() returns the peak in bytes. */
export function sampleRss(pid: number, intervalMs = 100): { stop(): number } {
  let peak = 0;
  const read = (): void => {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (kb) peak = Math.max(peak, Number(kb) * 1024);
    } catch {
      // the process has exited
    }
  };
  read();
  const timer = setInterval(read, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      read();
      return peak;
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export const mbps = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;

/** "1 GiB", "64 MiB": a size as the reports print it. */
export const sizeLabel = (bytes: number): string => (bytes >= GiB ? `${bytes / GiB} GiB` : `${bytes / MiB} MiB`);

/** Columns padded to their widest cell, two spaces apart. */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  return all.map((r) => header.map((_, c) => (r[c] ?? '').padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}
