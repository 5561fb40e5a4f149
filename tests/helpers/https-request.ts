// One request over HTTPS (or HTTP, by the URL's scheme) with a CA of the test's own, answered whole:
// for a gateway with TLS_CERT/TLS_KEY, whose certificate no system CA signed.
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface HttpsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** The parsed JSON body, or null. */
  json: any;
}

export interface HttpsRequestOptions {
  /** The CA(s) to verify the server with (PEM); unset: the system's. */
  ca?: Buffer;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs?: number;
}

/** Rejects with the connection's error (a certificate not trusted, a reset) or after `timeoutMs`. */
export function httpsExchange(url: string, options: HttpsRequestOptions = {}): Promise<HttpsAnswer> {
  const tls = url.startsWith('https:');
  const request = tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false, ...(tls && options.ca ? { ca: options.ca } : {}) },
      (res: IncomingMessage) => {
        if (tls && !(res.socket as TLSSocket).authorized) {
          // Cannot happen with rejectUnauthorized (the default); said plainly should it ever.
          req.destroy(new Error('the server certificate was not verified'));
          return;
        }
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          const body = Buffer.concat(parts);
          const text = body.toString('utf8');
          let json: any = null;
          try {
            json = JSON.parse(text);
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json });
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer from ${url} within ${options.timeoutMs ?? 30_000} ms`)), options.timeoutMs ?? 30_000);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(options.body);
  });
}
