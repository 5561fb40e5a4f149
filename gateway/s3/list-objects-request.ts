// The query of ListObjectsV2 (GET /bucket?list-type=2) and ListObjects v1 (GET /bucket): parsing,
// validation with S3's error codes, continuation tokens. Pure: no I/O.
import { hasLoneSurrogate } from './key-order.js';

/** S3's InvalidArgument (400), with the ArgumentName and ArgumentValue its error body carries. */
export class InvalidListArgument extends Error {
  readonly code = 'InvalidArgument';
  readonly status = 400;
  constructor(
    message: string,
    readonly argumentName: string,
    readonly argumentValue: string,
  ) {
    super(message);
  }
}

export const DEFAULT_MAX_KEYS = 1000;
const MAX_INT32 = 2_147_483_647;

export interface ListObjectsRequest {
  version: 1 | 2;
  prefix: string; // '' lists the whole bucket
  delimiter: string; // '': no common prefixes
  maxKeys: number; // 0..1000 (larger requests are served 1000)
  encodingType: 'url' | null;
  fetchOwner: boolean; // v2: fetch-owner=true; v1 always lists owners
  startAfter: string | null; // v2, as given (echoed in the answer)
  continuationToken: string | null; // v2, as given (echoed)
  marker: string | null; // v1, as given (echoed)
  /** Where the listing starts after: the continuation token's position, else start-after or marker. */
  after: string | null;
}

const TOKEN_VERSION = 1;
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** An opaque continuation token for the position `after` (the last key or common prefix listed). */
export function encodeContinuationToken(after: string): string {
  return Buffer.concat([Buffer.of(TOKEN_VERSION), Buffer.from(after, 'utf8')]).toString('base64url');
}

/** The position a token names, or null when it is not one that encodeContinuationToken made. */
export function decodeContinuationToken(token: string): string | null {
  if (!/^[A-Za-z0-9_-]{2,4000}$/.test(token)) return null;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length < 2 || bytes[0] !== TOKEN_VERSION || bytes.toString('base64url') !== token) return null;
  try {
    return fatalUtf8.decode(bytes.subarray(1));
  } catch {
    return null; // not UTF-8
  }
}

type Query = Record<string, unknown>;

function single(query: Query, name: string): string | null {
  const value = query[name];
  if (value === undefined) return null;
  if (typeof value !== 'string') throw new InvalidListArgument(`${name} must be given once`, name, String(value));
  if (hasLoneSurrogate(value)) throw new InvalidListArgument(`${name} is not valid UTF-8`, name, value);
  return value;
}

function parseMaxKeys(raw: string | null): number {
  if (raw === null) return DEFAULT_MAX_KEYS;
  if (/^-\d+$/.test(raw)) throw new InvalidListArgument(`Argument maxKeys must be an integer between 0 and ${MAX_INT32}`, 'maxKeys', raw);
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > MAX_INT32) {
    throw new InvalidListArgument('Provided max-keys not an integer or within integer range', 'max-keys', raw);
  }
  return Math.min(Number(raw), DEFAULT_MAX_KEYS);
}

/**
 * The listing a query asks for. `query` is the parsed query string (a repeated parameter is an
 * array and is refused). Throws InvalidListArgument for a bad max-keys, continuation token or
 * encoding type.
 */
export function parseListObjectsRequest(version: 1 | 2, query: Query): ListObjectsRequest {
  const prefix = single(query, 'prefix') ?? '';
  const delimiter = single(query, 'delimiter') ?? '';
  const maxKeys = parseMaxKeys(single(query, 'max-keys'));
  const encoding = single(query, 'encoding-type');
  if (encoding !== null && encoding !== 'url') {
    throw new InvalidListArgument('Invalid Encoding Method specified in Request', 'encoding-type', encoding);
  }
  const request: ListObjectsRequest = {
    version,
    prefix,
    delimiter,
    maxKeys,
    encodingType: encoding === null ? null : 'url',
    fetchOwner: version === 1,
    startAfter: null,
    continuationToken: null,
    marker: null,
    after: null,
  };
  if (version === 1) {
    request.marker = single(query, 'marker');
    request.after = request.marker || null;
    return request;
  }
  request.fetchOwner = (single(query, 'fetch-owner') ?? '').toLowerCase() === 'true';
  request.startAfter = single(query, 'start-after');
  request.continuationToken = single(query, 'continuation-token');
  if (request.continuationToken !== null) {
    // The token wins over start-after, which is still echoed.
    request.after = decodeContinuationToken(request.continuationToken);
    if (request.after === null) {
      throw new InvalidListArgument('The continuation token provided is incorrect', 'continuation-token', request.continuationToken);
    }
  } else {
    request.after = request.startAfter || null;
  }
  return request;
}
