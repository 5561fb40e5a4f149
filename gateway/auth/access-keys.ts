// S3 access keys as the rest of the gateway uses them: the S3 layer looks a key up (its secret, to
// check a signature, and its grants) and asks what it may do; the admin API creates, lists and
// revokes keys and sets their grants.
//
// Lookups are cached in this process for `cacheMs` (5 s by default). A change made through this
// gateway (revoke, grants) takes effect here at once; one made through another gateway on the same
// database takes effect here within cacheMs. So a revoked key stops authenticating everywhere
// within that bound.
import type { KeyStore, KeyRow } from '../metadata/key-store.js';
import { accessKeyIdProblem, generateAccessKeyId, generateSecretKey } from './key-format.js';
import { can, canSeeBucket, type BucketAccess, type KeyGrant } from './key-permissions.js';
import { openSecret, SecretBoxError, sealSecret, serverKeyId } from './secret-box.js';

/** A key in force, as the S3 layer needs it to authenticate and authorise a request. */
export interface AuthKey {
  readonly accessKeyId: string;
  readonly secret: string;
  readonly isRoot: boolean;
  readonly grants: readonly KeyGrant[];
}

/** A key as the admin API shows it: never its secret. */
export interface KeyInfo {
  accessKeyId: string;
  name: string;
  isRoot: boolean;
  createdAt: Date;
  revokedAt: Date | null;
  grants: KeyGrant[];
}

/** A key just created: the only time its secret is handed out. */
export interface CreatedKey extends KeyInfo {
  secret: string;
}

export type RevokeResult =
  | { outcome: 'revoked' | 'already-revoked'; key: KeyInfo }
  | { outcome: 'root'; key: KeyInfo } // the root key is not revoked this way (see root-key.ts)
  | { outcome: 'unknown' };

export type GrantResult = { outcome: 'done'; key: KeyInfo } | { outcome: 'unknown' } | { outcome: 'revoked' } | { outcome: 'root' };

export type UngrantResult = { outcome: 'done'; key: KeyInfo } | { outcome: 'unknown' } | { outcome: 'no-grant' };

/** A stored secret that this gateway cannot open: a wrong server key, or a damaged row. */
export class KeySecretUnreadable extends Error {
  constructor(
    readonly accessKeyId: string,
    readonly problem: SecretBoxError['problem'],
    message: string,
  ) {
    super(message);
  }
}

export interface AccessKeysOptions {
  /** How long a lookup (also of an unknown key) is reused; 0: never cached. */
  cacheMs?: number;
  /** Cached lookups kept at most (the oldest go first). */
  maxCached?: number;
  now?: () => number;
}

function keyInfo(row: KeyRow): KeyInfo {
  return {
    accessKeyId: row.accessKeyId,
    name: row.name,
    isRoot: row.isRoot,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
    grants: row.grants,
  };
}

/** Opens a key's stored secret, or says clearly why it cannot. */
export function openKeySecret(serverKey: Buffer, row: Pick<KeyRow, 'accessKeyId' | 'secretBox'>): string {
  try {
    return openSecret(serverKey, row.secretBox, row.accessKeyId);
  } catch (err) {
    if (!(err instanceof SecretBoxError)) throw err;
    const id = row.accessKeyId;
    const message =
      err.problem === 'wrong-key'
        ? `the secret of access key ${id} was encrypted under another server key (id ${err.boxKeyId}) than this gateway's ` +
          `(id ${serverKeyId(serverKey).toString('hex')}): SERVER_KEY or DATA_DIR/server.key is not the one in use when the ` +
          `key was created. Give every gateway of this database the same server key, or create the key again`
        : `the stored secret of access key ${id} cannot be read: ${err.message}`;
    throw new KeySecretUnreadable(id, err.problem, message);
  }
}

/**
 * The key as the S3 layer's request identity (gateway/s3/s3-context.ts S3Identity): its id, whether
 * it is root, and what it may do with a bucket.
 */
export function keyIdentity(key: AuthKey): { accessKeyId: string; isRoot: boolean; can(bucket: string, access: BucketAccess): boolean } {
  return { accessKeyId: key.accessKeyId, isRoot: key.isRoot, can: (bucket, access) => can(key, bucket, access) };
}

export class AccessKeys {
  readonly #cacheMs: number;
  readonly #maxCached: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { expires: number; key: Promise<AuthKey | null> }>();

  constructor(
    private readonly store: KeyStore,
    private readonly serverKey: Buffer,
    options: AccessKeysOptions = {},
  ) {
    this.#cacheMs = options.cacheMs ?? 5_000;
    this.#maxCached = options.maxCached ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The key in force with this id, with its secret and grants; null for an id that is unknown,
   * revoked or not shaped like an access key id. Throws KeySecretUnreadable when the secret was
   * sealed under another server key (or the row is damaged).
   */
  lookup(accessKeyId: string): Promise<AuthKey | null> {
    if (accessKeyIdProblem(accessKeyId) !== undefined) return Promise.resolve(null);
    const now = this.#now();
    const cached = this.#cache.get(accessKeyId);
    if (cached && cached.expires > now) return cached.key;
    const key = this.#load(accessKeyId);
    if (this.#cacheMs > 0) {
      this.#cache.delete(accessKeyId); // re-inserted last: the Map's order is the age order
      const entry = { expires: now + this.#cacheMs, key };
      this.#cache.set(accessKeyId, entry);
      key.catch(() => {
        if (this.#cache.get(accessKeyId) === entry) this.#cache.delete(accessKeyId);
      });
      for (const oldest of this.#cache.keys()) {
        if (this.#cache.size <= this.#maxCached) break;
        this.#cache.delete(oldest);
      }
    }
    return key;
  }

  async #load(accessKeyId: string): Promise<AuthKey | null> {
    const row = await this.store.get(accessKeyId);
    if (!row || row.revokedAt) return null;
    const secret = openKeySecret(this.serverKey, row);
    return Object.freeze({
      accessKeyId: row.accessKeyId,
      secret,
      isRoot: row.isRoot,
      grants: Object.freeze(row.grants.map((g) => Object.freeze({ ...g }))),
    });
  }

  /** Whether the key may read or write the bucket (root: always; others: by their grant). */
  can(key: Pick<AuthKey, 'isRoot' | 'grants'>, bucket: string, access: BucketAccess): boolean {
    return can(key, bucket, access);
  }

  /** Whether ListBuckets shows the bucket to the key (root: all; others: buckets they hold a grant on). */
  canSeeBucket(key: Pick<AuthKey, 'isRoot' | 'grants'>, bucket: string): boolean {
    return canSeeBucket(key, bucket);
  }

  /** Forgets cached lookups (of one key, or all). */
  invalidate(accessKeyId?: string): void {
    if (accessKeyId === undefined) this.#cache.clear();
    else this.#cache.delete(accessKeyId);
  }

  /** A new ordinary key (no grants): a random 20-character id and 40-character secret. */
  async create(options: { name?: string } = {}): Promise<CreatedKey> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const accessKeyId = generateAccessKeyId();
      const secret = generateSecretKey();
      const row = await this.store.insert({
        accessKeyId,
        secretBox: sealSecret(this.serverKey, secret, accessKeyId),
        name: options.name ?? '',
        isRoot: false,
      });
      if (row) {
        this.invalidate(accessKeyId); // an earlier lookup of this id cached "unknown"
        return { ...keyInfo(row), secret };
      }
    }
    throw new Error('five random access key ids in a row were taken; the random source is broken');
  }

  /** Every key with its grants, oldest first, without secrets (revoked keys too, unless asked not to). */
  async list(options: { revoked?: boolean } = {}): Promise<KeyInfo[]> {
    return (await this.store.list({ revoked: options.revoked ?? true })).map(keyInfo);
  }

  async get(accessKeyId: string): Promise<KeyInfo | null> {
    if (accessKeyIdProblem(accessKeyId) !== undefined) return null;
    const row = await this.store.get(accessKeyId);
    return row ? keyInfo(row) : null;
  }

  /** Revokes a key: kept for the record, it never authenticates again. The root key is refused. */
  async revoke(accessKeyId: string): Promise<RevokeResult> {
    if (accessKeyIdProblem(accessKeyId) !== undefined) return { outcome: 'unknown' };
    const before = await this.store.get(accessKeyId);
    if (!before) return { outcome: 'unknown' };
    if (before.revokedAt) return { outcome: 'already-revoked', key: keyInfo(before) };
    if (before.isRoot) return { outcome: 'root', key: keyInfo(before) };
    const after = await this.store.revoke(accessKeyId);
    this.invalidate(accessKeyId);
    if (!after) return { outcome: 'unknown' };
    // Made root by a bootstrap in between: the update left it alone.
    if (!after.revokedAt) return { outcome: 'root', key: keyInfo(after) };
    return { outcome: 'revoked', key: keyInfo(after) };
  }

  /** Sets the key's permissions on a bucket (both false: removes its grant). */
  async grant(accessKeyId: string, bucket: string, access: { read: boolean; write: boolean }): Promise<GrantResult> {
    if (accessKeyIdProblem(accessKeyId) !== undefined) return { outcome: 'unknown' };
    const row = await this.store.get(accessKeyId);
    if (!row) return { outcome: 'unknown' };
    if (row.revokedAt) return { outcome: 'revoked' };
    if (row.isRoot) return { outcome: 'root' };
    if (!(await this.store.putGrant(accessKeyId, bucket, access.read, access.write))) return { outcome: 'unknown' };
    this.invalidate(accessKeyId);
    const after = await this.store.get(accessKeyId);
    return after ? { outcome: 'done', key: keyInfo(after) } : { outcome: 'unknown' };
  }

  /** Removes the key's grant on a bucket. */
  async revokeGrant(accessKeyId: string, bucket: string): Promise<UngrantResult> {
    if (accessKeyIdProblem(accessKeyId) !== undefined) return { outcome: 'unknown' };
    const removed = await this.store.deleteGrant(accessKeyId, bucket);
    this.invalidate(accessKeyId);
    const row = await this.store.get(accessKeyId);
    if (!row) return { outcome: 'unknown' };
    return removed ? { outcome: 'done', key: keyInfo(row) } : { outcome: 'no-grant' };
  }

  /** Keys in force whose secret this gateway cannot open because they were sealed under another server key. */
  async sealedUnderOtherKey(): Promise<string[]> {
    return this.store.sealedUnderOtherKey(serverKeyId(this.serverKey).toString('hex'));
  }
}
