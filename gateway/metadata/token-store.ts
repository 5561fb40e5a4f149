// All SQL of the REST API's tokens. Only hashes come and go here (gateway/auth/api-token-format.ts).
import type pg from 'pg';
import type { Scope } from '../auth/rest-access.js';
import { inTransaction } from './metadata.js';

/** Advisory lock that serialises root token bootstraps of gateways starting at once. */
const ROOT_TOKEN_LOCK = 0x746f6b6e; // 'tokn'

export interface TokenRow {
  id: number;
  prefix: string;
  name: string;
  scope: Scope;
  isRoot: boolean;
  createdAt: Date;
  revokedAt: Date | null;
}

function tokenRow(r: Record<string, unknown>): TokenRow {
  return {
    id: Number(r.id),
    prefix: r.prefix as string,
    name: r.name as string,
    scope: r.scope as Scope,
    isRoot: r.is_root as boolean,
    createdAt: r.created_at as Date,
    revokedAt: (r.revoked_at as Date | null) ?? null,
  };
}

const COLUMNS = 'id, prefix, name, scope, is_root, created_at, revoked_at';

export class TokenStore {
  constructor(private readonly pool: pg.Pool) {}

  async insert(token: { hash: Buffer; prefix: string; name: string; scope: Scope }): Promise<TokenRow> {
    const r = await this.pool.query(
      `INSERT INTO api_tokens (token_hash, prefix, name, scope) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [token.hash, token.prefix, token.name, token.scope],
    );
    return tokenRow(r.rows[0]);
  }

  /** The token in force with this hash, or null (unknown or revoked). */
  async findActive(hash: Buffer): Promise<TokenRow | null> {
    const r = await this.pool.query(`SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, [hash]);
    return r.rows[0] ? tokenRow(r.rows[0]) : null;
  }

  async get(id: number): Promise<TokenRow | null> {
    const r = await this.pool.query(`SELECT ${COLUMNS} FROM api_tokens WHERE id = $1`, [id]);
    return r.rows[0] ? tokenRow(r.rows[0]) : null;
  }

  /** Tokens in force (and revoked ones too when asked), oldest first. */
  async list(includeRevoked: boolean): Promise<TokenRow[]> {
    const r = await this.pool.query(
      `SELECT ${COLUMNS} FROM api_tokens ${includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY id`,
    );
    return r.rows.map(tokenRow);
  }

  /** Revokes an ordinary token in force; the row as it is afterwards, or null when there is none. */
  async revoke(id: number): Promise<TokenRow | null> {
    const r = await this.pool.query(
      `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND NOT is_root AND revoked_at IS NULL RETURNING ${COLUMNS}`,
      [id],
    );
    return r.rows[0] ? tokenRow(r.rows[0]) : null;
  }

  /**
   * Makes the token with this hash the root token: kept when it is the root already, else the
   * previous root token is revoked and this one inserted. 'taken': the hash belongs to an ordinary
   * token or to a revoked one, which cannot become root. Gateways starting at once take turns.
   */
  async ensureRoot(hash: Buffer, prefix: string): Promise<'kept' | 'created' | 'replaced' | 'taken'> {
    return inTransaction(this.pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [ROOT_TOKEN_LOCK]);
      const same = await c.query(`SELECT is_root, revoked_at FROM api_tokens WHERE token_hash = $1`, [hash]);
      if (same.rows[0]) return same.rows[0].is_root && same.rows[0].revoked_at === null ? 'kept' : 'taken';
      const replaced = await c.query(`UPDATE api_tokens SET revoked_at = now() WHERE is_root AND revoked_at IS NULL`);
      await c.query(`INSERT INTO api_tokens (token_hash, prefix, name, scope, is_root) VALUES ($1, $2, 'root', 'admin', true)`, [hash, prefix]);
      return replaced.rowCount ? 'replaced' : 'created';
    });
  }
}
