// AWS Signature Version 4 for the console's requests, made in the browser with the signed-in access
// key (@smithy/signature-v4, the AWS SDK's own signer, with a pure-JS SHA-256 so that it works on
// plain http pages too, where WebCrypto is missing). Bodies are never hashed: the gateway takes
// UNSIGNED-PAYLOAD, so a 10 GiB upload is signed without being read. No DOM: also runs under Node.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const UNSIGNED = 'UNSIGNED-PAYLOAD';

/** A key as an S3 path: every byte but A-Z a-z 0-9 - . _ ~ and / percent-encoded (RFC 3986, as SigV4 wants). */
export function encodeKeyPath(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

type QueryBag = Record<string, string | string[]>;

function queryBag(params: URLSearchParams): QueryBag {
  const bag: QueryBag = {};
  for (const [name, value] of params) {
    const had = bag[name];
    bag[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return bag;
}

export class RequestSigner {
  private readonly signer: SignatureV4;

  constructor(
    credentials: Credentials,
    region: string,
    /** The gateway's time (the browser's clock corrected by the Date of an answer): signatures expire. */
    private readonly now: () => Date = () => new Date(),
  ) {
    this.signer = new SignatureV4({ service: 's3', region, credentials, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  }

  private request(method: string, url: URL, headers: Record<string, string>) {
    return {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: queryBag(url.searchParams),
      // The Host the browser will send: no port when it is the scheme's default, as URL.host has it.
      headers: { host: url.host, 'x-amz-content-sha256': UNSIGNED, ...headers },
    };
  }

  /** The headers to send with a request to `url` (the browser sets Host itself). */
  async headers(method: string, url: URL, headers: Record<string, string> = {}): Promise<Record<string, string>> {
    const signed = await this.signer.sign(this.request(method, url, headers), { signingDate: this.now() });
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) if (name.toLowerCase() !== 'host') out[name] = String(value);
    return out;
  }

  /** `url` with a signature in its query, good for `expiresSeconds` (a download link: no headers needed). */
  async presign(url: URL, expiresSeconds: number): Promise<string> {
    const signed = await this.signer.presign(this.request('GET', url, {}), { expiresIn: expiresSeconds, signingDate: this.now() });
    const out = new URL(url.toString());
    out.search = '';
    for (const [name, value] of Object.entries(signed.query ?? {})) {
      for (const v of Array.isArray(value) ? value : [value]) if (v !== null && v !== undefined) out.searchParams.append(name, String(v));
    }
    return out.toString();
  }
}
