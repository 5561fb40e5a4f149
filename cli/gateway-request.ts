// One request to the gateway over HTTP or HTTPS (node:http, so that --ca can name the CA; fetch
// cannot take one), and the CLI's errors for a gateway that refuses or cannot be reached.
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Connection } from './admin-client.js';
import { CliError, EXIT } from './cli-error.js';

export function send(conn: Connection, method: string, path: string, headers: Record<string, string>): ClientRequest {
  const url = new URL(`${conn.url}${path}`);
  const options: RequestOptions = {
    method,
    headers: { ...headers, ...(conn.token ? { Authorization: `Bearer ${conn.token}` } : {}) },
    ...(url.protocol === 'https:' && conn.ca ? { ca: conn.ca } : {}),
  };
  return url.protocol === 'https:' ? httpsRequest(url, options) : httpRequest(url, options);
}

export function unreachable(conn: Connection, err: Error): CliError {
  return new CliError(`cannot reach the gateway at ${conn.url}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, EXIT.unreachable);
}

export async function refusal(method: string, path: string, res: IncomingMessage): Promise<CliError> {
  let text = '';
  for await (const part of res) text += String(part);
  let what = `${res.statusCode} ${text.slice(0, 200)}`;
  try {
    const json = JSON.parse(text) as { code?: string; error?: string };
    if (json.error) what = `${json.code ?? res.statusCode}: ${json.error}`;
  } catch {
    // not JSON: the status and the start of the body say it
  }
  return new CliError(`${method} ${path}: ${what}`, EXIT.refused);
}

