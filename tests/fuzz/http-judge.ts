// The contract every fuzzed HTTP request is held to, whatever it sent: an answer or a close within
// the wait (never a hang), no 5xx but a 503 that names an unavailable dependency (and S3's 501 for
// what it does not implement, as S3 itself answers), and errors in the API's own format (REST: a
// JSON {error, code}; S3: an <Error> document with a Code). Pure.
import type { CaseResult } from './fuzz-runner.js';
import type { RawResponse } from './http-exchange.js';

/** 503 codes that say a dependency (nodes, database) is unavailable or busy. */
export const DEPENDENCY_503_CODES = new Set(['StorageUnavailable', 'ServiceUnavailable', 'DatabaseUnavailable', 'DatabaseBusy']);

const xmlCode = (text: string): string | null => /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? null;

function jsonError(body: Buffer): { code: unknown; error: unknown; status?: unknown } | null {
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as { code: unknown; error: unknown }) : null;
  } catch {
    return null;
  }
}

/** The outcome label and the problem, if any, of a REST answer. */
export function judgeRest(r: RawResponse, head = false): CaseResult {
  if (r.end === 'timeout') return { outcome: 'hang', problem: `no answer and no close within ${r.ms} ms` };
  if (r.status === null) return { outcome: r.end, problem: null };
  const json = r.status >= 400 && !head ? jsonError(r.body) : null;
  const code = typeof json?.code === 'string' ? json.code : null;
  const outcome = r.status >= 500 ? `${r.status} ${code ?? '?'}` : String(r.status);
  if (r.status >= 500) {
    const dependency = r.status === 503 && (DEPENDENCY_503_CODES.has(code ?? '') || json?.status === 'unhealthy');
    if (!dependency) return { outcome, problem: `server error ${r.status}: ${r.body.toString('utf8').slice(0, 500)}` };
  }
  if (r.status >= 400 && !head && r.end === 'answered') {
    if (!/^application\/json/.test(r.headers['content-type'] ?? '')) return { outcome, problem: `error answer is not JSON (${r.headers['content-type']}): ${r.body.toString('utf8').slice(0, 200)}` };
    if (typeof json?.error !== 'string' || (code === null && json?.status !== 'unhealthy')) {
      return { outcome, problem: `error answer is not {error, code}: ${r.body.toString('utf8').slice(0, 200)}` };
    }
  }
  return { outcome, problem: null };
}

/** The outcome label and the problem, if any, of an S3 answer. */
export function judgeS3(r: RawResponse, head = false): CaseResult {
  if (r.end === 'timeout') return { outcome: 'hang', problem: `no answer and no close within ${r.ms} ms` };
  if (r.status === null) return { outcome: r.end, problem: null };
  const text = r.body.toString('utf8');
  const code = r.status >= 300 && !head ? xmlCode(text) : null;
  const outcome = r.status >= 300 && code ? `${r.status} ${code}` : String(r.status);
  if (r.status >= 500) {
    const allowed = (r.status === 503 && (code === 'ServiceUnavailable' || head)) || (r.status === 501 && (code === 'NotImplemented' || head));
    if (!allowed) return { outcome, problem: `server error ${r.status}: ${text.slice(0, 500)}` };
  }
  if (r.status >= 400 && !head && r.end === 'answered') {
    if (!/^application\/xml/.test(r.headers['content-type'] ?? '') || code === null) {
      return { outcome, problem: `error answer is not an S3 <Error> document (${r.headers['content-type']}): ${text.slice(0, 200)}` };
    }
  }
  return { outcome, problem: null };
}
