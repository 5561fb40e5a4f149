// One JSON POST to the gateway over HTTP or HTTPS, within a deadline. node:https rather than fetch:
// fetch cannot be given a CA of its own (GATEWAY_CA) without the undici package.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface PostAnswer {
  status: number;
  /** The body as text, its first MAX_ANSWER_BYTES at most. */
  text: string;
}

/** The gateway's answers are a few hundred bytes; anything longer is cut there. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The error a POST rejects with when `timeoutMs` passes first (name 'TimeoutError'). */
export class PostTimeout extends Error {
  override name = 'TimeoutError';
}

/**
 * POSTs `body` as JSON to `url` and reads the answer. `ca`: the CA(s) that the certificate of an
 * https URL must chain to, instead of the system's. Rejects with the connection's error (its `code`,
 * e.g. ECONNREFUSED) or a PostTimeout.
 */
export function postJson(url: string, body: unknown, options: { ca?: Buffer; timeoutMs: number; headers?: Record<string, string> }): Promise<PostAnswer> {
  const payload = Buffer.from(JSON.stringify(body));
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        headers: { ...options.headers, 'Content-Type': 'application/json', 'Content-Length': String(payload.length) },
        agent: false, // one connection per announcement, closed after it: they are seconds apart
        ...(options.ca && target.protocol === 'https:' ? { ca: options.ca } : {}),
      },
      (res: IncomingMessage) => {
        const parts: Buffer[] = [];
        let bytes = 0;
        res.on('data', (d: Buffer) => {
          if (bytes < MAX_ANSWER_BYTES) parts.push(d.subarray(0, MAX_ANSWER_BYTES - bytes));
          bytes += d.length;
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => req.destroy(new PostTimeout(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(payload);
  });
}
