// Authentication and authorisation of REST requests. `authenticateRest` runs before any route and
// reads no body: it finds the caller from an API token (Authorization: Bearer) or an AWS SigV4
// signature made with an access key, and answers 401 when credentials are missing or wrong.
// `requireScope` sits on each route and answers 403 when the caller may not do what it asks.
import type { Request, RequestHandler } from 'express';
import type { AccessKeys } from '../auth/access-keys.js';
import { KeySecretUnreadable } from '../auth/access-keys.js';
import type { ApiTokens } from '../auth/api-tokens.js';
import { parseBearer } from '../auth/api-token-format.js';
import { isOpenRequest, type Scope } from '../auth/rest-access.js';
import { callerMay, describeCaller, isNodeRegistration, type RestCaller } from '../auth/rest-caller.js';
import { ClusterTokenCheck } from '../../proto/cluster-token.js';
import { authenticateRequest } from '../s3/auth/authenticate.js';
import { isS3AuthError } from '../s3/auth/s3-auth-error.js';
import { EMPTY_SHA256_HEX } from '../s3/auth/signing-key.js';
import { ApiError } from './api-error.js';

export interface RestAuthOptions {
  /** AUTH: off lets every request through as trusted. */
  enabled: boolean;
  metricsAuth: boolean;
  tokens: ApiTokens;
  keys: AccessKeys;
  /** The region SigV4 credential scopes must name (S3_REGION). */
  region: string;
  /** The cluster token: as a bearer token it lets a storage node register itself. */
  clusterToken?: string;
}

const HOW = 'send "Authorization: Bearer <API token>", or sign the request with an access key (AWS Signature Version 4)';

function unauthenticated(message: string): ApiError {
  return new ApiError(401, 'Unauthenticated', message, { 'WWW-Authenticate': 'Bearer realm="objstore"' });
}

/** SigV4 errors that mean "these credentials are not good" are 401; malformed requests keep their 4xx. */
const CREDENTIAL_CODES = new Set(['SignatureDoesNotMatch', 'InvalidAccessKeyId', 'AccessDenied', 'RequestTimeTooSkewed', 'InvalidToken']);

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

async function signedCaller(req: Request, options: RestAuthOptions): Promise<RestCaller | undefined> {
  let auth;
  try {
    auth = await authenticateRequest(
      { method: req.method, url: req.originalUrl, headers: req.headersDistinct },
      async (id) => (await options.keys.lookup(id))?.secret,
      { region: options.region },
    );
  } catch (err) {
    if (err instanceof KeySecretUnreadable) throw unauthenticated(`access key ${err.accessKeyId} cannot be used with this gateway (its secret is sealed under another server key)`);
    if (!isS3AuthError(err)) throw err;
    if (CREDENTIAL_CODES.has(err.code)) throw unauthenticated(`${err.code}: ${err.message}`);
    throw new ApiError(err.httpStatus, err.code, err.message);
  }
  if (auth.kind === 'anonymous') return undefined;
  // The REST API hands bodies straight to the upload; it does not hold them back to check a hash.
  const payload = auth.payload;
  if (payload.kind !== 'unsigned' && (hasBody(req) || payload.kind !== 'sha256' || payload.sha256Hex !== EMPTY_SHA256_HEX)) {
    throw new ApiError(
      400,
      'UnsupportedPayloadSigning',
      'REST requests signed with SigV4 must send x-amz-content-sha256: UNSIGNED-PAYLOAD, or the SHA-256 of the empty body when they have none',
    );
  }
  const key = await options.keys.lookup(auth.accessKeyId);
  if (!key) throw unauthenticated('the access key is unknown or revoked');
  return { kind: 'access-key', accessKeyId: key.accessKeyId, permissions: { isRoot: key.isRoot, grants: key.grants } };
}

async function findCaller(req: Request, options: RestAuthOptions, clusterToken: ClusterTokenCheck | undefined): Promise<RestCaller> {
  const bearer = parseBearer(req.headers.authorization);
  if (bearer.kind === 'bearer') {
    if (clusterToken?.matches(bearer.token)) return { kind: 'cluster-node' };
    const token = await options.tokens.check(bearer.token);
    if (!token) throw unauthenticated('the API token is unknown or revoked');
    return { kind: 'token', tokenId: token.id, scope: token.scope };
  }
  if (bearer.kind === 'malformed') throw unauthenticated(`the Authorization header is not "Bearer <token>"; ${HOW}`);
  if (bearer.kind === 'other' && !bearer.scheme.startsWith('AWS4-')) {
    throw unauthenticated(`the Authorization scheme ${JSON.stringify(bearer.scheme)} is not accepted; ${HOW}`);
  }
  const signed = await signedCaller(req, options);
  return signed ?? { kind: 'anonymous' };
}

export function authenticateRest(options: RestAuthOptions): RequestHandler {
  const clusterToken = options.clusterToken ? new ClusterTokenCheck(options.clusterToken) : undefined;
  return async (req, res, next) => {
    if (!options.enabled) {
      res.locals.caller = { kind: 'trusted' } satisfies RestCaller;
      return next();
    }
    const caller = await findCaller(req, options, clusterToken);
    if (caller.kind === 'anonymous' && !isOpenRequest(req.method, req.path, { metricsAuth: options.metricsAuth })) {
      throw unauthenticated(`this request needs credentials: ${HOW}`);
    }
    res.locals.caller = caller;
    next();
  };
}

/** Lets the request on only when its caller may do what needs `scope`. */
export function requireScope(scope: Scope): RequestHandler {
  return (req, res, next) => {
    const caller = (res.locals.caller as RestCaller | undefined) ?? { kind: 'anonymous' };
    if (caller.kind === 'anonymous') throw unauthenticated(`this request needs credentials: ${HOW}`);
    if (!callerMay(caller, scope, { registersNode: isNodeRegistration(req.method, req.originalUrl.split('?')[0]!) })) {
      throw new ApiError(403, 'Forbidden', `${describeCaller(caller)} may not ${req.method} ${req.path.slice(0, 100)}: it needs the ${scope} scope`);
    }
    next();
  };
}
