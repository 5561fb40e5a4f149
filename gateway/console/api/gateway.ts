// The console's client of the gateway: the REST API on the page's own origin, the S3 API on the
// S3 port of the same host (cross-origin: the S3 server allows the console's origin, see
// gateway/s3/console-cors.ts). Every request is signed with the signed-in access key, if any.
import { failureOf, networkFailure, type Failure } from '../lib/failure.js';
import { encodeKeyPath, RequestSigner, type Credentials } from '../lib/signer.js';

export interface ConsoleConfig {
  auth: boolean;
  s3_port: number;
  region: string;
  max_file_size: number;
  health_interval_ms: number;
}

/** A request that failed: the answer's error, or no answer at all. */
export class RequestFailed extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

export interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

/** The page's config and the offset of the gateway's clock from the browser's (signatures carry a time). */
export async function loadConfig(): Promise<{ config: ConsoleConfig; clockOffsetMs: number }> {
  const sent = Date.now();
  let res: Response;
  try {
    res = await fetch('/console/config.json', { cache: 'no-store' });
  } catch {
    throw new RequestFailed(networkFailure());
  }
  if (!res.ok) throw new RequestFailed(failureOf(res.status, await res.text(), res.statusText));
  const config = (await res.json()) as ConsoleConfig;
  const date = Date.parse(res.headers.get('Date') ?? '');
  const offset = Number.isNaN(date) ? 0 : date - (sent + Date.now()) / 2;
  // The Date header has whole seconds: only a real difference is corrected.
  return { config, clockOffsetMs: Math.abs(offset) > 30_000 ? offset : 0 };
}

export class Gateway {
  readonly s3Base: string;
  readonly keyId: string | null;
  private readonly signer: RequestSigner | null;

  constructor(
    readonly config: ConsoleConfig,
    credentials: Credentials | null,
    clockOffsetMs: number,
  ) {
    this.s3Base = `${location.protocol}//${location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname}:${config.s3_port}`;
    this.keyId = credentials?.accessKeyId ?? null;
    this.signer = credentials ? new RequestSigner(credentials, config.region, () => new Date(Date.now() + clockOffsetMs)) : null;
  }

  /** Headers that sign a request (none without a key). */
  async sign(method: string, url: URL, headers: Record<string, string> = {}): Promise<Record<string, string>> {
    return this.signer ? this.signer.headers(method, url, headers) : headers;
  }

  private async send(method: string, url: URL, headers: Record<string, string>, body?: BodyInit): Promise<Answer> {
    const signed = await this.sign(method, url, headers);
    let res: Response;
    try {
      res = await fetch(url, { method, headers: signed, body, cache: 'no-store', credentials: 'omit' });
    } catch {
      throw new RequestFailed(networkFailure());
    }
    const text = await res.text();
    if (!res.ok) throw new RequestFailed(failureOf(res.status, text, res.statusText));
    return { status: res.status, text, headers: res.headers };
  }

  restUrl(path: string): URL {
    return new URL(path, location.origin);
  }

  /** A REST call with an optional JSON body; the answer's JSON. */
  async rest<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const answer = await this.send(method, this.restUrl(path), headers, body === undefined ? undefined : JSON.stringify(body));
    return (answer.text ? JSON.parse(answer.text) : {}) as T;
  }

  /** An S3 URL: `/bucket/key` (the key percent-encoded as SigV4 wants), with a query. */
  s3Url(bucket: string, key?: string, query: Record<string, string> = {}): URL {
    const url = new URL(`${this.s3Base}/${encodeURIComponent(bucket)}${key === undefined ? '' : `/${encodeKeyPath(key)}`}`);
    if (bucket === '') url.pathname = '/';
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return url;
  }

  async s3(method: string, url: URL, headers: Record<string, string> = {}, body?: BodyInit): Promise<Answer> {
    if (!this.signer) throw new RequestFailed({ status: 0, code: 'NoKey', message: 'S3 buckets need an access key: sign in with one' });
    return this.send(method, url, headers, body);
  }

  /** A link that downloads an S3 object under `filename` (presigned: the browser saves it to disk as it streams). */
  async s3DownloadUrl(bucket: string, key: string, filename: string): Promise<string> {
    if (!this.signer) throw new RequestFailed({ status: 0, code: 'NoKey', message: 'S3 buckets need an access key: sign in with one' });
    const disposition = `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`;
    return this.signer.presign(this.s3Url(bucket, key, { 'response-content-disposition': disposition }), 900);
  }

  /** A link that downloads a /files upload (the gateway names it by its original name). */
  async fileDownloadUrl(fileId: string): Promise<string> {
    const url = this.restUrl(`/files/${encodeURIComponent(fileId)}`);
    return this.signer ? this.signer.presign(url, 900) : url.toString();
  }
}
