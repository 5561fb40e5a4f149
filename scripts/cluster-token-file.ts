// The cluster token of `npm start` (and of test and bench clusters) when CLUSTER_TOKEN is not set:
// DATA_DIR/cluster.token, 32 random bytes in base64url, created with mode 0600 at the first start
// and read again at every later one, so the nodes' and the gateway's token survives restarts.
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSecretFileOnce } from '../gateway/auth/secret-file.js';
import { clusterTokenProblem } from '../proto/cluster-token.js';

export const CLUSTER_TOKEN_FILE = 'cluster.token';

export interface ClusterTokenFile {
  token: string;
  file: string;
  /** True when this call wrote the file. */
  created: boolean;
  /** Things an operator should know (a file other users can read). */
  warnings: string[];
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The token in `file`, or null when there is no such file. */
async function readTokenFile(file: string): Promise<{ token: string; warnings: string[] } | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read the cluster token file ${file}: ${describe(err)}; set CLUSTER_TOKEN or fix DATA_DIR`);
  }
  const token = text.trim();
  const problem = clusterTokenProblem(token);
  if (problem) throw new Error(`the cluster token file ${file} does not hold a usable token: it ${problem}; fix or delete it, or set CLUSTER_TOKEN`);
  const mode = (await stat(file)).mode & 0o777;
  const warnings = mode & 0o077 ? [`the cluster token file ${file} can be read by other users (mode ${mode.toString(8)}); chmod 600 it`] : [];
  return { token, warnings };
}

/** Writes a new token to `file` unless one is there already (see secret-file.ts); true when it did. */
async function createTokenFile(file: string): Promise<boolean> {
  try {
    return await writeSecretFileOnce(file, `${randomBytes(32).toString('base64url')}\n`);
  } catch (err) {
    throw new Error(`cannot create the cluster token file ${file}: ${describe(err)}; set CLUSTER_TOKEN or make DATA_DIR writable`);
  }
}

/** DATA_DIR/cluster.token's token, created first if absent. */
export async function loadClusterTokenFile(dataDir: string): Promise<ClusterTokenFile> {
  const file = join(dataDir, CLUSTER_TOKEN_FILE);
  let found = await readTokenFile(file);
  let created = false;
  if (!found) {
    created = await createTokenFile(file);
    found = await readTokenFile(file);
    if (!found) throw new Error(`the cluster token file ${file} vanished right after it was created`);
  }
  return { token: found.token, file, created, warnings: found.warnings };
}
