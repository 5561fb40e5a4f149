// The S3 root key at gateway start. With S3_ROOT_ACCESS_KEY and S3_ROOT_SECRET_KEY set, that key is
// the root key: created, or its secret brought up to date, and any other root key in force is
// revoked (the variables say which key is root). Without them, a root key is generated if none is in
// force, for the caller to print once. Gateways starting at once take turns under an advisory lock,
// and a unique index allows one root key in force, so they never make two.
import type { KeyStore } from '../metadata/key-store.js';
import { openKeySecret } from './access-keys.js';
import { generateAccessKeyId, generateSecretKey } from './key-format.js';
import { sealSecret } from './secret-box.js';

/** The root key chosen by the operator (S3_ROOT_ACCESS_KEY, S3_ROOT_SECRET_KEY), validated by the configuration. */
export interface RootKeySetting {
  accessKeyId: string;
  secret: string;
}

export type RootKeyOutcome =
  /** No root key was in force and none was configured: this one was made. Print it; it is never shown again. */
  | { kind: 'generated'; accessKeyId: string; secret: string }
  /** The configured key: created, given the configured secret, taken back into force, or already as configured. */
  | { kind: 'configured'; accessKeyId: string; change: 'created' | 'secret-updated' | 'restored' | 'unchanged'; revoked: string[] }
  /** None configured and one in force already; `readable` is false when its secret is sealed under another server key. */
  | { kind: 'existing'; accessKeyId: string; readable: boolean };

/** S3_ROOT_ACCESS_KEY names a key that exists and is not a root key: refused rather than promoted. */
export class RootKeyConflict extends Error {}

export async function ensureRootKey(store: KeyStore, serverKey: Buffer, configured?: RootKeySetting): Promise<RootKeyOutcome> {
  return store.rootBootstrap(async (tx) => {
    if (configured) {
      const id = configured.accessKeyId;
      const row = await tx.get(id);
      if (row && !row.isRoot) {
        throw new RootKeyConflict(
          `S3_ROOT_ACCESS_KEY=${id} is the id of an ordinary access key${row.revokedAt ? ' (revoked)' : ''}; choose another id for the root key`,
        );
      }
      // First, so that the unique index (one root key in force) lets the configured one in.
      const revoked = await tx.revokeOtherRoots(id);
      const box = sealSecret(serverKey, configured.secret, id);
      if (!row) {
        await tx.insert({ accessKeyId: id, secretBox: box, name: 'root (S3_ROOT_ACCESS_KEY)', isRoot: true });
        return { kind: 'configured', accessKeyId: id, change: 'created', revoked };
      }
      let same = false;
      try {
        same = openKeySecret(serverKey, row) === configured.secret;
      } catch {
        same = false; // sealed under another server key: sealed again under this one
      }
      if (same && !row.revokedAt) return { kind: 'configured', accessKeyId: id, change: 'unchanged', revoked };
      await tx.makeRoot(id, box);
      return { kind: 'configured', accessKeyId: id, change: row.revokedAt ? 'restored' : 'secret-updated', revoked };
    }
    const root = await tx.activeRoot();
    if (root) {
      let readable = true;
      try {
        openKeySecret(serverKey, root);
      } catch {
        readable = false;
      }
      return { kind: 'existing', accessKeyId: root.accessKeyId, readable };
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const accessKeyId = generateAccessKeyId();
      const secret = generateSecretKey();
      const row = await tx.insert({ accessKeyId, secretBox: sealSecret(serverKey, secret, accessKeyId), name: 'root (generated)', isRoot: true });
      if (row) return { kind: 'generated', accessKeyId, secret };
    }
    throw new Error('five random access key ids in a row were taken; the random source is broken');
  });
}

/** One line about the root key for the gateway's log (never the secret). */
export function describeRootKey(outcome: Exclude<RootKeyOutcome, { kind: 'generated' }>): string {
  if (outcome.kind === 'existing') {
    return outcome.readable
      ? `S3 root access key ${outcome.accessKeyId} (created earlier; its secret was shown once then)`
      : `WARNING: the S3 root access key ${outcome.accessKeyId} was encrypted under another server key and cannot ` +
          `authenticate: give this gateway the server key in use when it was created (SERVER_KEY or DATA_DIR/server.key), ` +
          `or set S3_ROOT_ACCESS_KEY and S3_ROOT_SECRET_KEY to replace it`;
  }
  const what = {
    created: 'created from S3_ROOT_ACCESS_KEY and S3_ROOT_SECRET_KEY',
    'secret-updated': 'secret updated from S3_ROOT_SECRET_KEY',
    restored: 'taken back into force from S3_ROOT_ACCESS_KEY and S3_ROOT_SECRET_KEY',
    unchanged: 'from S3_ROOT_ACCESS_KEY and S3_ROOT_SECRET_KEY',
  }[outcome.change];
  const revoked = outcome.revoked.length > 0 ? `; the previous root key ${outcome.revoked.join(', ')} is revoked` : '';
  return `S3 root access key ${outcome.accessKeyId} (${what})${revoked}`;
}
