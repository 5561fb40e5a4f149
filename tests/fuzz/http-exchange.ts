// One HTTP request sent as raw bytes on a connection of its own, for requests no HTTP library would
// send (lying Content-Length, broken chunking, bytes that are not HTTP): written in pieces, then the
// connection left open, half-closed or dropped, and the first answer read as far as it is whole
// (Content-Length, chunked or until the close). The connection is closed once the answer is in.
import { connect } from 'node:net';

export interface RawRequest {
  /** The bytes to send, in the pieces they go out in. */
  pieces: Buffer[];
  /** Milliseconds to wait between two pieces. */
  pauseMs?: number;
  /**
   * After the last piece: 'wait' for the answer; 'half-close' (the client sends no more, as when
   * its body ends short of its Content-Length), then wait; 'drop' the connection at once (a client
   * gone mid-request: no answer is read).
   */
  then: 'wait' | 'half-close' | 'drop';
  /** The request's method, when it is HEAD: the answer has no body whatever its headers say. */
  head?: boolean;
  /** Give up waiting after this long (a hang is reported, not waited out). */
  timeoutMs?: number;
}

export interface RawResponse {
  /** Null when no whole status line came. */
  status: number | null;
  headers: Record<string, string>;
  body: Buffer;
  /** How the exchange ended. */
  end: 'answered' | 'closed' | 'dropped' | 'timeout';
  /** A socket error (ECONNRESET, EPIPE), if any. */
  error: string | null;
  ms: number;
}

interface Parsed {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  complete: boolean;
}

/** The first final answer in `data` (100 Continue skipped), as far as it is whole. */
export function parseResponse(data: Buffer, head: boolean): Parsed | null {
  let start = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', start);
    if (end < 0) return null;
    const [statusLine = '', ...lines] = data.subarray(start, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
    if (!Number.isInteger(status)) return null;
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const name = l.slice(0, l.indexOf(':')).trim().toLowerCase();
      headers[name] = headers[name] === undefined ? l.slice(l.indexOf(':') + 1).trim() : `${headers[name]}, ${l.slice(l.indexOf(':') + 1).trim()}`;
    }
    const bodyStart = end + 4;
    if (status >= 100 && status < 200) {
      start = bodyStart;
      continue;
    }
    const rest = data.subarray(bodyStart);
    if (head || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0), complete: true };
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) return dechunk(status, headers, rest);
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      return { status, headers, body: rest.subarray(0, length), complete: rest.length >= length };
    }
    return { status, headers, body: rest, complete: false }; // until the close
  }
}

function dechunk(status: number, headers: Record<string, string>, data: Buffer): Parsed {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) break;
    if (size === 0) return { status, headers, body: Buffer.concat(parts), complete: data.indexOf('\r\n\r\n', lineEnd) >= 0 || data.length >= lineEnd + 4 };
    if (data.length < lineEnd + 2 + size + 2) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return { status, headers, body: Buffer.concat(parts), complete: false };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function rawRequest(port: number, request: RawRequest): Promise<RawResponse> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let error: string | null = null;
    let settled = false;
    const finish = (end: RawResponse['end']): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseResponse(Buffer.concat(received), request.head === true);
      resolve({ status: parsed?.status ?? null, headers: parsed?.headers ?? {}, body: parsed?.body ?? Buffer.alloc(0), end, error, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish('timeout'), request.timeoutMs ?? 20_000);
    socket.on('data', (d: Buffer) => {
      received.push(d);
      if (parseResponse(Buffer.concat(received), request.head === true)?.complete) finish('answered');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (error ??= err.code ?? err.message));
    socket.on('close', () => finish('closed'));
    socket.once('connect', () => {
      void (async () => {
        for (const [i, piece] of request.pieces.entries()) {
          if (settled || socket.destroyed) return;
          if (i > 0 && request.pauseMs) await sleep(request.pauseMs);
          if (!socket.writable) return;
          await new Promise<void>((r) => socket.write(piece, () => r()));
        }
        if (request.then === 'half-close') socket.end();
        if (request.then === 'drop') finish('dropped');
      })();
    });
  });
}
