// API tokens of the REST API as the rest of the gateway uses them: the REST layer checks the token
// of a request; the admin API creates, lists and revokes tokens. Every check asks the database, so
// a revoked token stops working at once, on every gateway of the database.
import type { TokenRow, TokenStore } from '../metadata/token-store.js';
import { generateApiToken, hashApiToken, shownPrefix } from './api-token-format.js';
import type { Scope } from './rest-access.js';

export type TokenInfo = TokenRow;

export type TokenRevokeResult = { outcome: 'revoked'; token: TokenInfo } | { outcome: 'already-revoked' | 'root'; token: TokenInfo } | { outcome: 'unknown' };

export class ApiTokens {
  constructor(private readonly store: TokenStore) {}

  /** The token in force that `token` is, or null. */
  check(token: string): Promise<TokenInfo | null> {
    return this.store.findActive(hashApiToken(token));
  }

  /** A new token: the only time its value is handed out. */
  async create(name: string, scope: Scope): Promise<{ info: TokenInfo; token: string }> {
    const token = generateApiToken();
    const info = await this.store.insert({ hash: hashApiToken(token), prefix: shownPrefix(token), name, scope });
    return { info, token };
  }

  list(includeRevoked = false): Promise<TokenInfo[]> {
    return this.store.list(includeRevoked);
  }

  get(id: number): Promise<TokenInfo | null> {
    return this.store.get(id);
  }

  /** The root token is not revoked this way: it is replaced by setting API_TOKEN (or a new api.token). */
  async revoke(id: number): Promise<TokenRevokeResult> {
    const revoked = await this.store.revoke(id);
    if (revoked) return { outcome: 'revoked', token: revoked };
    const row = await this.store.get(id);
    if (!row) return { outcome: 'unknown' };
    return { outcome: row.isRoot && !row.revokedAt ? 'root' : 'already-revoked', token: row };
  }
}
