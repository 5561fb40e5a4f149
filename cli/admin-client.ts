// The CLI's side of the gateway's REST API: where the gateway is, which token to send, and one
// request that either returns the parsed JSON answer or throws a CliError with the exit code to use.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface Connection {
  url: string;
  token: string | undefined;
}

/**
 * The gateway's URL (--url, OBJSTORE_URL, or the local default) and the token: --token,
 * OBJSTORE_TOKEN, API_TOKEN, or the file npm start creates (DATA_DIR/api.token, ./data by default).
 */
export async function connection(options: { url?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const url = (options.url ?? env.OBJSTORE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(url)) throw new CliError(`--url ${JSON.stringify(url)} is not http(s)://host:port`, EXIT.usage);
  const given = options.token ?? env.OBJSTORE_TOKEN ?? env.API_TOKEN;
  if (given?.trim()) return { url, token: given.trim() };
  const file = join(env.DATA_DIR ?? './data', 'api.token');
  const fromFile = await readFile(file, 'utf8').catch(() => undefined);
  return { url, token: fromFile?.trim() || undefined };
}

export async function call(conn: Connection, method: string, path: string, body?: unknown): Promise<any> {
  let res: Response;
  try {
    res = await fetch(`${conn.url}${path}`, {
      method,
      headers: {
        ...(conn.token ? { Authorization: `Bearer ${conn.token}` } : {}),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CliError(`cannot reach the gateway at ${conn.url}: ${cause}`, EXIT.unreachable);
  }
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const what = json?.error ? `${json.code ?? res.status}: ${json.error}` : `${res.status} ${text.slice(0, 200)}`;
    const hint = res.status === 401 ? ' (give a token with --token, OBJSTORE_TOKEN or API_TOKEN, or run where ./data/api.token is)' : '';
    throw new CliError(`${method} ${path}: ${what}${hint}`, EXIT.refused);
  }
  return json;
}
