// All SQL of S3 access keys and their bucket grants. Secrets come and go as sealed boxes
// (gateway/auth/secret-box.ts); this module never sees a secret in the clear.
import pg from 'pg';
import type { KeyGrant } from '../auth/key-permissions.js';
import { inTransaction } from './metadata.js';

/** Advisory lock that serialises root key bootstraps of gateways starting at once. */
const ROOT_KEY_LOCK = 0x726f6f74; // 'root'

export interface KeyRow {
  accessKeyId: string;
  secretBox: Buffer;
  name: string;
  isRoot: boolean;
  createdAt: Date;
  secretSetAt: Date;
  revokedAt: Date | null;
  grants: KeyGrant[]; // by bucket name
}

export interface NewKeyRow {
  accessKeyId: string;
  secretBox: Buffer;
  name: string;
  isRoot: boolean;
}

const SELECT_KEYS = `
  SELECT k.access_key_id, k.secret_box, k.name, k.is_root, k.created_at, k.secret_set_at, k.revoked_at,
         COALESCE(json_agg(json_build_object('bucket', g.bucket, 'read', g.can_read, 'write', g.can_write) ORDER BY g.bucket)
                  FILTER (WHERE g.bucket IS NOT NULL), '[]') AS grants
  FROM access_keys k LEFT JOIN key_grants g ON g.access_key_id = k.access_key_id`;

function keyRow(r: Record<string, unknown>): KeyRow {
  return {
    accessKeyId: r.access_key_id as string,
    secretBox: r.secret_box as Buffer,
    name: r.name as string,
    isRoot: r.is_root as boolean,
    createdAt: r.created_at as Date,
    secretSetAt: r.secret_set_at as Date,
    revokedAt: (r.revoked_at as Date | null) ?? null,
    grants: (r.grants as KeyGrant[] | null) ?? [],
  };
}

export class KeyStore {
  /** On a pool, or on one client inside a transaction (see `rootBootstrap`). */
  constructor(private readonly db: pg.Pool | pg.PoolClient) {}

  /** Inserts a key without grants; null when its id is taken (by a key in force or a revoked one). */
  async insert(key: NewKeyRow): Promise<KeyRow | null> {
    const r = await this.db.query(
      `INSERT INTO access_keys (access_key_id, secret_box, name, is_root) VALUES ($1, $2, $3, $4)
       ON CONFLICT (access_key_id) DO NOTHING
       RETURNING *, '[]'::json AS grants`,
      [key.accessKeyId, key.secretBox, key.name, key.isRoot],
    );
    return r.rows[0] ? keyRow(r.rows[0]) : null;
  }

  /** A key with its grants, revoked or not. */
  async get(accessKeyId: string): Promise<KeyRow | null> {
    const r = await this.db.query(`${SELECT_KEYS} WHERE k.access_key_id = $1 GROUP BY k.access_key_id`, [accessKeyId]);
    return r.rows[0] ? keyRow(r.rows[0]) : null;
  }

  /** Every key, oldest first, with its grants; revoked keys only when asked. */
  async list(options: { revoked: boolean } = { revoked: true }): Promise<KeyRow[]> {
    const where = options.revoked ? '' : 'WHERE k.revoked_at IS NULL';
    const r = await this.db.query(`${SELECT_KEYS} ${where} GROUP BY k.access_key_id ORDER BY k.created_at, k.access_key_id`);
    return r.rows.map(keyRow);
  }

  /** The root key in force (at most one: a unique index). */
  async activeRoot(): Promise<KeyRow | null> {
    const r = await this.db.query(`${SELECT_KEYS} WHERE k.is_root AND k.revoked_at IS NULL GROUP BY k.access_key_id`);
    return r.rows[0] ? keyRow(r.rows[0]) : null;
  }

  /**
   * Revokes a key that is in force and not root; the row (with its grants) stays for the record.
   * Returns the row as it is afterwards, or null if no such key exists; a root key or a key revoked
   * earlier comes back unchanged, for the caller to tell apart.
   */
  async revoke(accessKeyId: string): Promise<KeyRow | null> {
    await this.db.query(
      `UPDATE access_keys SET revoked_at = now() WHERE access_key_id = $1 AND revoked_at IS NULL AND NOT is_root`,
      [accessKeyId],
    );
    return this.get(accessKeyId);
  }

  /** Sets or replaces a key's permissions on a bucket; both false removes the grant. False if the key is unknown. */
  async putGrant(accessKeyId: string, bucket: string, read: boolean, write: boolean): Promise<boolean> {
    if (!read && !write) {
      await this.deleteGrant(accessKeyId, bucket);
      return (await this.db.query('SELECT 1 FROM access_keys WHERE access_key_id = $1', [accessKeyId])).rowCount === 1;
    }
    const r = await this.db.query(
      `INSERT INTO key_grants (access_key_id, bucket, can_read, can_write)
       SELECT access_key_id, $2, $3, $4 FROM access_keys WHERE access_key_id = $1
       ON CONFLICT (access_key_id, bucket) DO UPDATE
         SET can_read = EXCLUDED.can_read, can_write = EXCLUDED.can_write, granted_at = now()`,
      [accessKeyId, bucket, read, write],
    );
    return r.rowCount === 1;
  }

  /** Removes a key's grant on a bucket; false if there was none. */
  async deleteGrant(accessKeyId: string, bucket: string): Promise<boolean> {
    const r = await this.db.query('DELETE FROM key_grants WHERE access_key_id = $1 AND bucket = $2', [accessKeyId, bucket]);
    return r.rowCount === 1;
  }

  /** Ids of the keys in force whose secret was sealed under another server key than `serverKeyId` (hex). */
  async sealedUnderOtherKey(serverKeyId: string): Promise<string[]> {
    const r = await this.db.query<{ access_key_id: string }>(
      `SELECT access_key_id FROM access_keys
       WHERE revoked_at IS NULL AND substring(secret_box FROM 2 FOR 4) <> decode($1, 'hex')
       ORDER BY created_at, access_key_id`,
      [serverKeyId],
    );
    return r.rows.map((row) => row.access_key_id);
  }

  // ---- root key bootstrap (inside rootBootstrap's transaction) ----

  /**
   * Runs `fn` in a transaction that holds the root key lock, with a store on that transaction:
   * gateways starting at once bootstrap one after the other, so they create one root key.
   */
  async rootBootstrap<T>(fn: (tx: KeyStore) => Promise<T>): Promise<T> {
    if (!(this.db instanceof pg.Pool)) throw new Error('rootBootstrap needs a store on a pool');
    return inTransaction(this.db, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [ROOT_KEY_LOCK]);
      return fn(new KeyStore(client));
    });
  }

  /** Makes an existing key the root key in force with this secret (un-revoking it if needed). */
  async makeRoot(accessKeyId: string, secretBox: Buffer): Promise<void> {
    await this.db.query(
      `UPDATE access_keys SET is_root = true, revoked_at = NULL, secret_box = $2, secret_set_at = now() WHERE access_key_id = $1`,
      [accessKeyId, secretBox],
    );
  }

  /** Revokes every root key in force but `exceptId`; returns their ids. */
  async revokeOtherRoots(exceptId: string): Promise<string[]> {
    const r = await this.db.query<{ access_key_id: string }>(
      `UPDATE access_keys SET revoked_at = now() WHERE is_root AND revoked_at IS NULL AND access_key_id <> $1 RETURNING access_key_id`,
      [exceptId],
    );
    return r.rows.map((row) => row.access_key_id);
  }
}
