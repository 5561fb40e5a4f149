// The server key: the 32-byte AES key that seals S3 secret keys in the database (secret-box.ts).
//
// It is SERVER_KEY when set (64 hex characters, or base64 of 32 bytes), otherwise the content of
// DATA_DIR/server.key, which the first start creates (mode 0600). Every gateway on one database
// must use the same key, so several gateways need the same SERVER_KEY or a copy of the same file;
// a gateway with another key cannot open the stored secrets (it says so), and losing the key loses
// every secret (the keys must then be created again).
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSecretFileOnce } from './secret-file.js';
import { SERVER_KEY_BYTES, serverKeyId } from './secret-box.js';

export const SERVER_KEY_FILE = 'server.key';

export class ServerKeyError extends Error {}

export interface ServerKey {
  key: Buffer;
  /** Key id (8 hex characters) stored in every secret box it seals; not secret. */
  id: string;
  source: 'SERVER_KEY' | 'file' | 'generated';
  /** The file it was read from or written to (source 'file' or 'generated'). */
  file?: string;
  /** Things an operator should know (a readable key file, SERVER_KEY shadowing a different file). */
  warnings: string[];
}

const HOW_TO_MAKE = 'e.g. the output of: openssl rand -hex 32';

/** SERVER_KEY's value (or a key file's content): 64 hex characters, or base64 (or base64url) of 32 bytes. */
export function parseServerKey(text: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const key = Buffer.from(t, 'base64');
    if (key.length === SERVER_KEY_BYTES) return key;
  }
  const shape = /^[0-9a-fA-F]*$/.test(t) ? `${t.length} hexadecimal characters` : `${t.length} characters`;
  throw new ServerKeyError(`must be 64 hexadecimal characters or the base64 of 32 bytes (${HOW_TO_MAKE}); it has ${shape}`);
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function readKeyFile(path: string): Promise<{ key: Buffer; warnings: string[] } | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null; // absent (creating it will say what is wrong)
    throw new ServerKeyError(`cannot read the server key file ${path}: ${describe(err)}; set SERVER_KEY or fix DATA_DIR`);
  }
  let key: Buffer;
  try {
    key = parseServerKey(text);
  } catch (err) {
    throw new ServerKeyError(`the server key file ${path} does not hold a server key: it ${describe(err)}`);
  }
  const warnings: string[] = [];
  const mode = (await stat(path)).mode & 0o777;
  if (mode & 0o077) warnings.push(`the server key file ${path} can be read by other users (mode ${mode.toString(8)}); chmod 600 it`);
  return { key, warnings };
}

/** Writes a new random key to `path` unless a file is there already (see secret-file.ts). */
async function createKeyFile(path: string): Promise<void> {
  try {
    await writeSecretFileOnce(path, `${randomBytes(SERVER_KEY_BYTES).toString('hex')}\n`);
  } catch (err) {
    throw new ServerKeyError(
      `cannot create the server key file ${path}: ${describe(err)}; set SERVER_KEY (${HOW_TO_MAKE}) or make DATA_DIR writable`,
    );
  }
}

/** The key to use: `configured` (SERVER_KEY, parsed by the configuration) or DATA_DIR/server.key, created if absent. */
export async function loadServerKey(options: { configured?: Buffer; dataDir: string }): Promise<ServerKey> {
  const file = join(options.dataDir, SERVER_KEY_FILE);
  if (options.configured) {
    const key = options.configured;
    const warnings: string[] = [];
    const onDisk = await readKeyFile(file).catch(() => null);
    if (onDisk && !onDisk.key.equals(key)) {
      warnings.push(`SERVER_KEY is set and differs from the key in ${file}; SERVER_KEY is used`);
    }
    return { key, id: serverKeyId(key).toString('hex'), source: 'SERVER_KEY', warnings };
  }
  let found = await readKeyFile(file);
  let source: ServerKey['source'] = 'file';
  if (!found) {
    await createKeyFile(file);
    found = await readKeyFile(file);
    if (!found) throw new ServerKeyError(`the server key file ${file} vanished right after it was created`);
    source = 'generated';
  }
  return { key: found.key, id: serverKeyId(found.key).toString('hex'), source, file, warnings: found.warnings };
}
