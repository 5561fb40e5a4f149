// The cluster token: the shared secret that every gRPC call to a storage node carries, so that
// reaching a node's port is not enough to read, overwrite or delete its chunks. The node checks it
// (storage-node/cluster-token-check.ts); the gateway and every other caller send it
// (createStorageClient). Pure: no I/O.
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Where a call carries the token: the `authorization` metadata entry, as `Bearer <token>` (the form
 * gRPC's own authentication examples and `grpcurl -H` use).
 */
export const CLUSTER_TOKEN_METADATA_KEY = 'authorization';
const BEARER = /^bearer /i;

export const MIN_TOKEN_LENGTH = 16;
/** Long enough for any secret; keeps the metadata entry far below HTTP/2 header limits. */
export const MAX_TOKEN_LENGTH = 1024;

/** How to make a good token, for messages. */
export const HOW_TO_MAKE_TOKEN = 'e.g. the output of: openssl rand -base64 32';

/**
 * Why `token` cannot be a cluster token, or undefined: it must be 16 to 1024 printable ASCII
 * characters without spaces (gRPC metadata values are printable ASCII; a space or a short token is
 * far more likely a mistake than a choice).
 */
export function clusterTokenProblem(token: string): string | undefined {
  if (token.length < MIN_TOKEN_LENGTH) return `is ${token.length} characters long; it needs at least ${MIN_TOKEN_LENGTH} (${HOW_TO_MAKE_TOKEN})`;
  if (token.length > MAX_TOKEN_LENGTH) return `is ${token.length} characters long; at most ${MAX_TOKEN_LENGTH} are allowed`;
  if (!/^[\x21-\x7e]+$/.test(token)) return 'may hold only printable ASCII characters, without spaces';
  return undefined;
}

/** The metadata value that carries `token`. */
export function bearerValue(token: string): string {
  return `Bearer ${token}`;
}

/**
 * The token a call presents, from the values of its `authorization` metadata entry: exactly one
 * value of the form `Bearer <token>` (the scheme in any case, as HTTP allows); otherwise undefined.
 */
export function presentedToken(values: ReadonlyArray<string | Buffer>): string | undefined {
  if (values.length !== 1) return undefined;
  const value = values[0];
  if (typeof value !== 'string' || !BEARER.test(value)) return undefined;
  return value.slice('Bearer '.length);
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Compares presented tokens with the cluster's in constant time: both are hashed to 32 bytes first,
 * so neither the content nor the length of the real token shows in how long a comparison takes.
 */
export class ClusterTokenCheck {
  readonly #expected: Buffer;

  constructor(token: string) {
    this.#expected = digest(token);
  }

  matches(presented: string | undefined): boolean {
    // An absent token is hashed too, so that it costs what a wrong one does.
    const ok = timingSafeEqual(digest(presented ?? ''), this.#expected);
    return ok && presented !== undefined;
  }
}
