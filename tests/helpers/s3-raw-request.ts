// S3 requests at the HTTP level, signed with SigV4 by @smithy/signature-v4 (the SDK's own signer) and
// sent with node:http (node:https for an https endpoint): any Host header (virtual-host style), any Expect header with the body sent
// only after 100 Continue, a body without Content-Length, or no signature at all. The answer is
// read whole, with whether a 100 Continue came first.
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { S3Credentials } from './s3-clients.js';

export interface RawS3Request {
  method: string;
  /** The path as sent, already percent-encoded: `/bucket/key`. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** The Host header (signed as given); by default the endpoint's host and port. */
  host?: string;
  /** The key to sign with; null sends the request unsigned. Default: the client's key. */
  key?: S3Credentials | null;
  /** Sign the payload's SHA-256 (default) or send UNSIGNED-PAYLOAD. */
  unsignedPayload?: boolean;
  /** Send the body with Transfer-Encoding: chunked and no Content-Length. */
  chunked?: boolean;
  /** Send `Expect: 100-continue` and write the body only once the server says 100 Continue. */
  expectContinue?: boolean;
  timeoutMs?: number;
}

export interface RawS3Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** Whether a 100 Continue came before the answer. */
  continued: boolean;
}

/** S3's query encoding (RFC 3986 unreserved characters kept). */
const encode = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The text of the first `<name>` element of an XML document, or undefined. */
export function xmlValue(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`).exec(xml);
  return m?.[1];
}

/** Every `<name>` element's text, in order. */
export function xmlValues(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]!);
}

export class RawS3 {
  readonly url: URL;

  constructor(
    endpoint: string,
    private readonly key: S3Credentials,
    private readonly region = 'us-east-1',
    /** For an https endpoint: the CA its certificate chains to (PEM); unset: the system's. */
    private readonly ca?: Buffer,
  ) {
    this.url = new URL(endpoint);
  }

  /** The same endpoint with another key. */
  as(key: S3Credentials): RawS3 {
    return new RawS3(this.url.toString(), key, this.region, this.ca);
  }

  private signer(key: S3Credentials): SignatureV4 {
    return new SignatureV4({
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
      region: this.region,
      service: 's3',
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false,
    });
  }

  /** Headers of a signed request (UNSIGNED-PAYLOAD) announcing `contentLength` bytes, for sending the body oneself. */
  async signedHeaders(method: string, path: string, query: Record<string, string>, contentLength: number): Promise<Record<string, string>> {
    const headers = { host: this.url.host, 'content-length': String(contentLength), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const signed = await this.signer(this.key).sign({ method, protocol: 'http:', hostname: this.url.hostname, path, query, headers });
    return Object.fromEntries(Object.entries(signed.headers).map(([n, v]) => [n.toLowerCase(), String(v)]));
  }

  /** The head of a signed request announcing `contentLength` bytes, as HTTP/1.1 text. */
  async signedHead(method: string, path: string, contentLength: number): Promise<string> {
    const lines = Object.entries(await this.signedHeaders(method, path, {}, contentLength)).map(([n, v]) => `${n}: ${v}`);
    return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
  }

  /** The query string as sent: names and values encoded as S3 does. */
  static queryString(query: Record<string, string>): string {
    return Object.entries(query)
      .map(([n, v]) => `${encode(n)}=${encode(v)}`)
      .join('&');
  }

  async send(r: RawS3Request): Promise<RawS3Response> {
    const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body);
    const host = r.host ?? this.url.host;
    const headers: Record<string, string> = { host, ...(r.headers ?? {}) };
    if (!r.chunked && (body.length > 0 || ['PUT', 'POST'].includes(r.method))) headers['content-length'] = String(body.length);
    const query = r.query ?? {};
    const key = r.key === undefined ? this.key : r.key;
    let sent = headers;
    if (key !== null) {
      headers['x-amz-content-sha256'] = r.unsignedPayload ? 'UNSIGNED-PAYLOAD' : createHash('sha256').update(body).digest('hex');
      const signed = await this.signer(key).sign({
        method: r.method,
        protocol: 'http:',
        hostname: host.replace(/:\d+$/, ''),
        path: r.path,
        query,
        headers,
      });
      sent = Object.fromEntries(Object.entries(signed.headers).map(([n, v]) => [n.toLowerCase(), String(v)]));
    }
    if (r.chunked) sent['transfer-encoding'] = 'chunked';
    if (r.expectContinue) sent['expect'] = '100-continue';
    const qs = RawS3.queryString(query);
    return new Promise<RawS3Response>((resolve, reject) => {
      let continued = false;
      const tls = this.url.protocol === 'https:';
      const req = (tls ? httpsRequest : httpRequest)({
        ...(tls && this.ca ? { ca: this.ca } : {}),
        host: this.url.hostname,
        port: this.url.port,
        method: r.method,
        path: r.path + (qs ? `?${qs}` : ''),
        headers: sent,
        agent: false, // a connection of its own: an answer that closes it affects nothing else
      });
      req.setTimeout(r.timeoutMs ?? 60_000, () => req.destroy(new Error(`${r.method} ${r.path}: no answer within ${r.timeoutMs ?? 60_000} ms`)));
      req.on('error', reject);
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('error', reject);
        res.on('end', () => {
          const data = Buffer.concat(parts);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, text: data.toString('utf8'), continued });
          if (!continued && r.expectContinue) req.destroy(); // the body was never wanted
        });
      });
      if (r.expectContinue) req.flushHeaders();
      else req.end(body);
    });
  }
}
