// The CLI's side of the gateway's REST API: where the gateway is, which token to send, and one JSON
// request that either returns the parsed answer or throws a CliError with the exit code to use.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { refusal, send, unreachable } from './gateway-request.js';
import { CliError, EXIT } from './cli-error.js';

export { CliError, EXIT };

export interface Connection {
  url: string;
  token: string | undefined;
  /** --ca / OBJSTORE_CA: the CA (PEM) an https gateway's certificate must chain to. */
  ca?: Buffer;
}

/**
 * The gateway's URL (--url, OBJSTORE_URL, or the local default) and the token: --token,
 * OBJSTORE_TOKEN, API_TOKEN, or the file npm start creates (DATA_DIR/api.token, ./data by default).
 */
export async function connection(options: { url?: string; token?: string; ca?: string }, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const url = (options.url ?? env.OBJSTORE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(url)) throw new CliError(`--url ${JSON.stringify(url)} is not http(s)://host:port`, EXIT.usage);
  const caFile = options.ca ?? env.OBJSTORE_CA;
  const ca = caFile ? await readFile(caFile).catch((err: Error) => {
    throw new CliError(`--ca ${caFile}: ${err.message}`, EXIT.usage);
  }) : undefined;
  const given = options.token ?? env.OBJSTORE_TOKEN ?? env.API_TOKEN;
  if (given?.trim()) return { url, token: given.trim(), ca };
  const file = join(env.DATA_DIR ?? './data', 'api.token');
  const fromFile = await readFile(file, 'utf8').catch(() => undefined);
  return { url, token: fromFile?.trim() || undefined, ca };
}

export async function call(conn: Connection, method: string, path: string, body?: unknown): Promise<any> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const req = send(conn, method, path, payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {});
  req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', (err) => reject(unreachable(conn, err)));
    req.end(payload);
  });
  if ((res.statusCode ?? 0) >= 300) {
    const err = await refusal(method, path, res);
    if (res.statusCode === 401) err.message += ' (give a token with --token, OBJSTORE_TOKEN or API_TOKEN, or run where ./data/api.token is)';
    throw err;
  }
  let text = '';
  for await (const part of res) text += String(part);
  return text === '' ? undefined : JSON.parse(text);
}
