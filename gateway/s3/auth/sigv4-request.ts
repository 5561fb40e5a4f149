// Reads the AWS Signature V4 credentials of a request, from the Authorization header or from a
// presigned URL's query, without checking the signature (that needs the secret: sigv4-verify.ts).
// A request with neither is anonymous. Anything malformed is an S3AuthError with the code S3 uses.
import { S3AuthError } from './s3-auth-error.js';
import { parseQuery, splitRequestTarget, isSignatureHex, SIGV4_ALGORITHM, type RequestHeaders } from './sigv4-canonical.js';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** Presigned URLs live at most a week (S3's limit). */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 604_800;

export interface CredentialScope {
  accessKeyId: string;
  /** YYYYMMDD */
  date: string;
  region: string;
  service: string;
}

export interface SignedRequestAuth {
  kind: 'header' | 'presigned';
  credential: CredentialScope;
  /** Lower-case header names, in the order the client listed them. */
  signedHeaders: string[];
  /** The signature the client sent (64 hex digits). */
  signature: string;
  /** The request time as it goes into the string to sign: YYYYMMDDTHHMMSSZ. */
  amzDate: string;
  /** The same instant, in milliseconds since the epoch. */
  requestTime: number;
  /** Presigned only: X-Amz-Expires, in seconds (1..604800). */
  expiresSeconds?: number;
  /** The payload hash of the canonical request: x-amz-content-sha256, or UNSIGNED-PAYLOAD for a presigned URL without it. */
  payloadHash: string;
}

export type ParsedRequestAuth = { kind: 'anonymous' } | SignedRequestAuth;

export interface ParseOptions {
  /** The region this endpoint serves; a credential scoped to another one is refused. Any region when absent. */
  region?: string;
}

const PRESIGN_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];
const CREDENTIAL_FORM = 'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".';
const NOT_V4 = 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.';

/** One value of a header: Node's joined string, or the only element of a `headersDistinct` array. */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.join(',');
  return value;
}

/** Parses the authentication of a request: anonymous, Authorization header or presigned query. */
export function parseRequestAuth(rawUrl: string, headers: RequestHeaders, options: ParseOptions = {}): ParsedRequestAuth {
  const authorizationValues = headers['authorization'];
  if (Array.isArray(authorizationValues) && authorizationValues.length > 1) {
    throw new S3AuthError('InvalidArgument', 'Only one Authorization header may be given.');
  }
  const authorization = headerValue(headers, 'authorization');
  const query = parseQuery(splitRequestTarget(rawUrl).query);
  const hasParam = (name: string) => query.some((p) => p.name === name);
  const presignAttempt = hasParam('X-Amz-Algorithm') || hasParam('X-Amz-Credential') || hasParam('X-Amz-Signature');
  const v2Query = hasParam('AWSAccessKeyId') && hasParam('Signature');

  if (authorization !== undefined && (presignAttempt || v2Query)) {
    throw new S3AuthError(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
    );
  }
  if (headerValue(headers, 'x-amz-security-token') !== undefined || hasParam('X-Amz-Security-Token')) {
    // This store issues no temporary credentials, so no session token can be valid here.
    throw new S3AuthError('InvalidToken', 'The provided token is malformed or otherwise invalid.');
  }
  if (authorization !== undefined) return parseAuthorizationHeader(authorization, headers, options);
  if (presignAttempt) return parsePresignedQuery(query, headers, options);
  if (v2Query) throw new S3AuthError('InvalidRequest', NOT_V4);
  return { kind: 'anonymous' };
}

function parseAuthorizationHeader(authorization: string, headers: RequestHeaders, options: ParseOptions): SignedRequestAuth {
  const value = authorization.trim();
  const malformed = (why: string) => new S3AuthError('AuthorizationHeaderMalformed', `The authorization header is malformed; ${why}`);
  const scheme = /^(\S+)/.exec(value)?.[1] ?? '';
  if (scheme === 'AWS') throw new S3AuthError('InvalidRequest', NOT_V4);
  if (scheme === 'AWS4-ECDSA-P256-SHA256') throw new S3AuthError('NotImplemented', 'Signature Version 4A is not supported.');
  if (scheme !== SIGV4_ALGORITHM) throw new S3AuthError('InvalidArgument', 'Unsupported Authorization Type');

  // Components are separated by commas, spaces or both, as different clients write them.
  const components = new Map<string, string>();
  for (const part of value.slice(scheme.length).split(/[\s,]+/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw malformed(`the authorization component "${part}" is malformed.`);
    const key = part.slice(0, eq);
    if (key !== 'Credential' && key !== 'SignedHeaders' && key !== 'Signature') {
      throw malformed(`the authorization component "${part}" is malformed.`);
    }
    if (components.has(key)) throw malformed(`the authorization component "${key}" is given twice.`);
    components.set(key, part.slice(eq + 1));
  }
  for (const key of ['Credential', 'SignedHeaders', 'Signature']) {
    if (!components.get(key)) throw malformed(`the authorization header requires a "${key}" component.`);
  }

  const credential = parseCredential(components.get('Credential')!, (why) => malformed(`the Credential is mal-formed; ${why}`));
  const signedHeaders = parseSignedHeaders(components.get('SignedHeaders')!, malformed);
  const signature = components.get('Signature')!;
  if (!isSignatureHex(signature)) throw malformed('the Signature must be 64 hexadecimal digits.');

  const time = headerRequestTime(headers);
  checkScope(credential, time.amzDate, options, (why) => malformed(why));

  const payloadHash = headerValue(headers, 'x-amz-content-sha256');
  if (payloadHash === undefined) {
    throw new S3AuthError('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  return { kind: 'header', credential, signedHeaders, signature: signature.toLowerCase(), ...time, payloadHash: payloadHash.trim() };
}

function parsePresignedQuery(query: ReturnType<typeof parseQuery>, headers: RequestHeaders, options: ParseOptions): SignedRequestAuth {
  const error = (why: string) => new S3AuthError('AuthorizationQueryParametersError', why);
  const params = new Map<string, string>();
  let contentSha256: string | undefined;
  for (const { name, value } of query) {
    // The S3 presigner of the JS SDK hoists the x-amz-content-sha256 header into the query in lower case.
    if (name.toLowerCase() === 'x-amz-content-sha256') {
      if (contentSha256 !== undefined) throw error(`The ${name} parameter is given more than once.`);
      contentSha256 = value;
      continue;
    }
    if (!PRESIGN_PARAMS.includes(name)) continue;
    if (params.has(name)) throw error(`The ${name} parameter is given more than once.`);
    params.set(name, value);
  }
  if (PRESIGN_PARAMS.some((name) => !params.get(name))) {
    throw error(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (params.get('X-Amz-Algorithm') !== SIGV4_ALGORITHM) throw error('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');

  const credential = parseCredential(params.get('X-Amz-Credential')!, (why) =>
    error(`Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; ${why}`),
  );
  const amzDate = params.get('X-Amz-Date')!;
  const requestTime = parseAmzDate(amzDate);
  if (requestTime === undefined) throw error('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  checkScope(credential, amzDate, options, (why) => error(`Error parsing the X-Amz-Credential parameter; ${why}`));

  const expiresText = params.get('X-Amz-Expires')!;
  if (!/^-?\d+$/.test(expiresText)) throw error('X-Amz-Expires should be a number');
  const expiresSeconds = Number(expiresText);
  if (expiresSeconds < 1) throw error('X-Amz-Expires must be a positive number of seconds');
  if (expiresSeconds > MAX_PRESIGNED_EXPIRES_SECONDS) {
    throw error('X-Amz-Expires must be less than a week (in seconds) that is 604800');
  }

  const signedHeaders = parseSignedHeaders(params.get('X-Amz-SignedHeaders')!, (why) => error(`X-Amz-SignedHeaders: ${why}`));
  const signature = params.get('X-Amz-Signature')!;
  if (!isSignatureHex(signature)) throw error('X-Amz-Signature must be 64 hexadecimal digits.');

  const payloadHash = contentSha256 ?? headerValue(headers, 'x-amz-content-sha256')?.trim() ?? UNSIGNED_PAYLOAD;
  return {
    kind: 'presigned',
    credential,
    signedHeaders,
    signature: signature.toLowerCase(),
    amzDate,
    requestTime,
    expiresSeconds,
    payloadHash,
  };
}

function parseCredential(text: string, malformed: (why: string) => S3AuthError): CredentialScope {
  const parts = text.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) throw malformed(CREDENTIAL_FORM);
  const [accessKeyId, date, region, service, terminal] = parts as [string, string, string, string, string];
  if (!/^\d{8}$/.test(date)) throw malformed(`incorrect date format "${date}". This date in the credential must be in the format "yyyyMMdd".`);
  if (service !== 's3') throw malformed(`incorrect service "${service}". This endpoint belongs to "s3".`);
  if (terminal !== 'aws4_request') throw malformed(`incorrect terminal "${terminal}". This endpoint uses "aws4_request".`);
  return { accessKeyId, date, region, service };
}

function parseSignedHeaders(text: string, malformed: (why: string) => S3AuthError): string[] {
  const names = text.split(';').map((name) => name.toLowerCase());
  if (names.some((name) => !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name))) throw malformed('SignedHeaders holds an invalid header name.');
  // SigV4 always signs the host: without it a request could be replayed against another endpoint.
  if (!names.includes('host')) throw malformed('SignedHeaders must include "host".');
  return names;
}

function checkScope(credential: CredentialScope, amzDate: string, options: ParseOptions, malformed: (why: string) => S3AuthError): void {
  const date = amzDate.slice(0, 8);
  if (credential.date !== date) {
    throw malformed(`Invalid credential date "${credential.date}". This date is not the same as X-Amz-Date: "${date}".`);
  }
  if (options.region !== undefined && credential.region !== options.region) {
    throw malformed(`the region '${credential.region}' is wrong; expecting '${options.region}'`);
  }
}

/** YYYYMMDDTHHMMSSZ to milliseconds since the epoch; undefined when it is not a real instant in that form. */
export function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2013-02-30 over into March: a date that does not survive the round trip is invalid.
  return formatAmzDate(ms) === text ? ms : undefined;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The request time of a header-signed request: x-amz-date, else the Date header. */
function headerRequestTime(headers: RequestHeaders): { amzDate: string; requestTime: number } {
  const missing = () => new S3AuthError('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  const amzDate = headerValue(headers, 'x-amz-date');
  if (amzDate !== undefined) {
    const requestTime = parseAmzDate(amzDate.trim());
    if (requestTime === undefined) throw missing();
    return { amzDate: amzDate.trim(), requestTime };
  }
  const date = headerValue(headers, 'date');
  if (date === undefined) throw missing();
  const requestTime = Date.parse(date);
  if (Number.isNaN(requestTime)) throw missing();
  return { amzDate: formatAmzDate(requestTime), requestTime };
}
