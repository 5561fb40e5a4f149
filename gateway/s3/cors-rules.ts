// A bucket's CORS rules (PutBucketCors) and how a browser request is matched against them: the
// preflight (OPTIONS) answer and the headers added to actual requests. Pure.
import { S3Error, s3Errors } from './s3-error.js';

export interface CorsRule {
  id: string | null;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds: number | null;
}

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']);
/** RFC 9110 token: a header name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_RULES = 100;

const texts = (value: unknown): string[] => (Array.isArray(value) ? value.map((v) => String(v).trim()) : []);

export function parseCorsConfiguration(doc: Record<string, unknown>): CorsRule[] {
  const rules = (doc.CORSRule ?? []) as Record<string, unknown>[];
  if (rules.length === 0 || rules.length > MAX_RULES) throw s3Errors.malformedXml();
  return rules.map((r) => {
    const maxAge = typeof r.MaxAgeSeconds === 'string' ? r.MaxAgeSeconds.trim() : null;
    const rule: CorsRule = {
      id: typeof r.ID === 'string' ? r.ID.trim() : null,
      allowedOrigins: texts(r.AllowedOrigin),
      allowedMethods: texts(r.AllowedMethod),
      allowedHeaders: texts(r.AllowedHeader),
      exposeHeaders: texts(r.ExposeHeader),
      maxAgeSeconds: maxAge === null ? null : Number(maxAge),
    };
    if (rule.allowedOrigins.length === 0 || rule.allowedMethods.length === 0) throw s3Errors.malformedXml();
    for (const m of rule.allowedMethods) {
      if (!METHODS.has(m)) throw s3Errors.invalidRequest(`Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
    }
    // Digits only: Number() alone would also take "", "1e3" and "0x10".
    if (maxAge !== null && !/^\d+$/.test(maxAge)) throw s3Errors.malformedXml();
    // Expose headers go out as they are, in Access-Control-Expose-Headers: only header names can.
    for (const h of rule.exposeHeaders) {
      if (!HEADER_NAME.test(h)) throw s3Errors.invalidRequest(`ExposeHeader "${h.slice(0, 80)}" is not a header name.`);
    }
    for (const [element, values] of [['AllowedOrigin', rule.allowedOrigins], ['AllowedHeader', rule.allowedHeaders]] as const) {
      for (const v of values) {
        if ((v.match(/\*/g) ?? []).length > 1) throw s3Errors.invalidRequest(`${element} "${v}" can not have more than one wildcard.`);
      }
    }
    return rule;
  });
}

/** `*` matches any run of characters (S3 allows one wildcard per pattern). */
function wildcard(pattern: string, value: string, caseInsensitive = false): boolean {
  const [p, v] = caseInsensitive ? [pattern.toLowerCase(), value.toLowerCase()] : [pattern, value];
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

function matchingRule(rules: CorsRule[], origin: string, method: string, requestHeaders: string[]): CorsRule | null {
  return (
    rules.find(
      (r) =>
        r.allowedOrigins.some((o) => wildcard(o, origin)) &&
        r.allowedMethods.includes(method) &&
        requestHeaders.every((h) => r.allowedHeaders.some((a) => wildcard(a, h, true))),
    ) ?? null
  );
}

function allowHeaders(rule: CorsRule, origin: string, method: string): Record<string, string> {
  const anyOrigin = rule.allowedOrigins.includes('*');
  return {
    'Access-Control-Allow-Origin': anyOrigin ? '*' : origin,
    'Access-Control-Allow-Methods': rule.allowedMethods.join(', ') || method,
    ...(rule.exposeHeaders.length ? { 'Access-Control-Expose-Headers': rule.exposeHeaders.join(', ') } : {}),
    ...(anyOrigin ? {} : { 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method' }),
  };
}

/** The answer to a preflight: the headers to send, or an S3 error when no rule allows it. */
export function preflight(rules: CorsRule[] | null, origin: string | undefined, method: string | undefined, headers: string | undefined): Record<string, string> {
  if (!origin || !method) throw s3Errors.invalidRequest('Insufficient information. Origin request header needed.');
  const requested = (headers ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  const rule = rules ? matchingRule(rules, origin, method.toUpperCase(), requested) : null;
  if (!rule) throw new S3Error(403, 'AccessForbidden', 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.');
  return {
    ...allowHeaders(rule, origin, method.toUpperCase()),
    ...(requested.length ? { 'Access-Control-Allow-Headers': requested.join(', ') } : {}),
    ...(rule.maxAgeSeconds !== null ? { 'Access-Control-Max-Age': String(rule.maxAgeSeconds) } : {}),
  };
}

/** Headers added to an actual request from an allowed origin (none when no rule matches). */
export function corsResponseHeaders(rules: CorsRule[] | null, origin: string | undefined, method: string): Record<string, string> {
  if (!rules || !origin) return {};
  const rule = matchingRule(rules, origin, method, []);
  return rule ? allowHeaders(rule, origin, method) : {};
}
