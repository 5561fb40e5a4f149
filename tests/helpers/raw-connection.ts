// A client connection at the byte level, for what HTTP libraries do not do: a request head sent a
// byte at a time, a body that stops half way, a head without its body, a connection held open after
// its answer. Answers are parsed as they come (status, headers, a Content-Length body).
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the connection's opening to the answer's last byte. */
  atMs: number;
}

/** The first whole answer in `data`, and how many bytes it took; null while it is incomplete. */
function parseAnswer(data: Buffer): { answer: Omit<RawAnswer, 'atMs'>; length: number } | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const status = Number(statusLine.split(' ')[1]);
  const length = status === 100 ? 0 : Number(headers['content-length'] ?? 0);
  if (data.length < end + 4 + length) return null;
  return { answer: { status, headers, body: data.subarray(end + 4, end + 4 + length).toString('utf8') }, length: end + 4 + length };
}

export class RawConnection {
  private received = Buffer.alloc(0);
  private readonly answers: RawAnswer[] = [];
  private waiting: (() => void) | null = null;
  private readonly openedAt = Date.now();
  /** Bytes written so far. */
  sent = 0;
  /** Resolves when the connection has closed, with the milliseconds since it opened. */
  readonly closed: Promise<number>;
  /** The error that closed it, if any (ECONNRESET, ...). */
  error: string | null = null;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
      for (let parsed = parseAnswer(this.received); parsed; parsed = parseAnswer(this.received)) {
        this.received = this.received.subarray(parsed.length);
        if (parsed.answer.status !== 100) this.answers.push({ ...parsed.answer, atMs: Date.now() - this.openedAt });
      }
      this.waiting?.();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (this.error ??= err.code ?? err.message));
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.waiting?.();
        resolve(Date.now() - this.openedAt);
      }),
    );
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  get sinceOpenMs(): number {
    return Date.now() - this.openedAt;
  }

  /** Writes bytes; resolves once the kernel has taken them (or at once if the connection is gone). */
  send(data: string | Buffer): Promise<void> {
    if (this.socket.destroyed || !this.socket.writable) return Promise.resolve();
    this.sent += Buffer.byteLength(data);
    return new Promise((resolve) => this.socket.write(data, () => resolve()));
  }

  /** The next answer; rejects when none comes within `timeoutMs` or the connection closes first. */
  async answer(timeoutMs = 10_000): Promise<RawAnswer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const next = this.answers.shift();
      if (next) return next;
      if (this.socket.destroyed) throw new Error(`the connection closed without an answer (${this.error ?? 'no error'})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => (clearTimeout(timer), resolve());
      });
      this.waiting = null;
    }
  }

  /** The milliseconds since opening at which it closed, or null if it is still open after `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<number | null> {
    return Promise.race([this.closed, new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref())]);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
