// What went wrong, in words: the error of an answer (S3 XML or the REST API's JSON) or of the
// connection, turned into one sentence that says why and, where it helps, what to do. Pure.

export interface Failure {
  status: number; // 0: no answer (network, aborted)
  code: string;
  message: string;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&amp;/g, '&');
}

/** The text of the first <name> element of an XML document (our S3 answers are simple and flat). */
export function xmlText(xml: string, name: string): string | null {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? decodeEntities(m[1]!) : null;
}

/** The inner texts of every <name> element. */
export function xmlElements(xml: string, name: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g');
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(m[1]!);
  return out;
}

/** The error an answer carries: S3's <Error><Code/><Message/></Error>, the REST API's {"error", "code"}, or its status. */
export function failureOf(status: number, body: string, statusText = ''): Failure {
  const text = body.trim();
  if (text.startsWith('<')) {
    const code = xmlText(text, 'Code');
    if (code) return { status, code, message: xmlText(text, 'Message') ?? code };
  } else if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as { error?: unknown; code?: unknown };
      if (typeof json.error === 'string') return { status, code: typeof json.code === 'string' ? json.code : `HTTP${status}`, message: json.error };
    } catch {
      // not JSON after all: the status below
    }
  }
  return { status, code: `HTTP${status}`, message: `the gateway answered ${status}${statusText ? ` ${statusText}` : ''}` };
}

export const networkFailure = (): Failure => ({ status: 0, code: 'NetworkError', message: 'no answer from the gateway (it is down, unreachable, or the connection was cut)' });

const trim = (m: string): string => m.replace(/[.\s]+$/, '');

/**
 * One sentence for the person at the page: the kind of failure first (too large, cluster degraded,
 * not allowed...), then the server's own words.
 */
export function describeFailure(f: Failure, maxFileSize?: number): string {
  const said = trim(f.message);
  switch (f.code) {
    case 'EntityTooLarge':
      return `Too large: ${said}${maxFileSize !== undefined ? ` (this gateway takes files up to ${maxFileSize} bytes)` : ''}.`;
    case 'StorageUnavailable':
    case 'ServiceUnavailable':
    case 'InsufficientStorage':
      return `The cluster is degraded: ${said}. Try again once enough storage nodes are healthy (see Cluster).`;
    case 'DatabaseUnavailable':
      return `The metadata database is unavailable: ${said}. Try again shortly.`;
    case 'SlowDown':
    case 'TooManyUploads':
    case 'TooManyConnections':
      return `The gateway is busy: ${said}. Try again in a moment.`;
    case 'AccessDenied':
    case 'Forbidden':
      return `Not allowed: ${said}. This key has no grant for it (an admin can give one on the Access page).`;
    case 'Unauthenticated':
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
      return `Not signed in properly: ${said}. Check the access key id and secret, or sign in again.`;
    case 'RequestTimeTooSkewed':
      return `This computer's clock is too far from the gateway's: ${said}.`;
    case 'NoSuchBucket':
      return `No such bucket: ${said}.`;
    case 'BucketNotEmpty':
      return 'The bucket is not empty: delete its files first.';
    case 'NetworkError':
      return `Connection failed: ${said}.`;
    case 'Aborted':
      return 'Cancelled.';
    default:
      return f.status >= 500 ? `The gateway failed (${f.code}): ${said}.` : `${said.charAt(0).toUpperCase()}${said.slice(1)} (${f.code}).`;
  }
}
