// The root API token (admin scope): API_TOKEN when set, else the one in DATA_DIR/api.token, created
// at the first start. Either way it replaces an earlier root token in the database, so changing
// API_TOKEN (or the file) and restarting rotates it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TokenStore } from '../metadata/token-store.js';
import { apiTokenProblem, generateApiToken, hashApiToken, shownPrefix } from './api-token-format.js';
import { writeSecretFileOnce } from './secret-file.js';

export const API_TOKEN_FILE = 'api.token';

export type RootTokenOutcome = {
  source: 'API_TOKEN' | 'file';
  file?: string;
  /** Set only when this start generated the token (the one time it is printed). */
  generated?: string;
  change: 'kept' | 'created' | 'replaced';
};

/** A root token that cannot be used: a bad file, or a token that is (or was) an ordinary one. */
export class RootTokenError extends Error {}

async function tokenFromFile(file: string): Promise<{ token: string; generated?: string }> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new RootTokenError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (text === undefined) {
    const fresh = generateApiToken();
    if (await writeSecretFileOnce(file, `${fresh}\n`)) return { token: fresh, generated: fresh };
    text = await readFile(file, 'utf8'); // another process created it first: use theirs
  }
  const token = text.trim();
  const problem = apiTokenProblem(token);
  if (problem) throw new RootTokenError(`${file}: the token ${problem}; delete the file to have a new one generated, or set API_TOKEN`);
  return { token };
}

export async function ensureRootToken(store: TokenStore, options: { configured?: string; dataDir: string }): Promise<RootTokenOutcome> {
  const file = join(options.dataDir, API_TOKEN_FILE);
  const { token, generated } = options.configured !== undefined ? { token: options.configured, generated: undefined } : await tokenFromFile(file);
  const change = await store.ensureRoot(hashApiToken(token), shownPrefix(token));
  const where = options.configured !== undefined ? 'API_TOKEN' : file;
  if (change === 'taken') {
    throw new RootTokenError(`the token in ${where} is an ordinary API token, or one that was revoked: it cannot become the root token; choose another`);
  }
  return { source: options.configured !== undefined ? 'API_TOKEN' : 'file', file: options.configured !== undefined ? undefined : file, generated, change };
}

/** The block a gateway prints when it generates the root token. */
export function rootTokenBanner(token: string, file: string): string[] {
  const rule = '='.repeat(78);
  return [
    rule,
    `A new root API token (admin scope) was generated and stored in ${file} (mode 0600):`,
    `  root API token: ${token}`,
    'Send it as "Authorization: Bearer <token>". To choose it yourself, set API_TOKEN and restart',
    '(the generated token is then revoked).',
    rule,
  ];
}

/** The line of the banner that holds the token, for the npm start launcher. */
export function readRootTokenLine(line: string): string | undefined {
  return /root API token: (\S{32,256})\s*$/.exec(line)?.[1];
}
