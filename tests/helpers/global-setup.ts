// Once per test run: a PostgreSQL server for the tests. DATABASE_URL when set (CI points it at the
// machine's server), otherwise an embedded PostgreSQL in a temporary folder.
import { freePort } from '../bench/bench-support.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';


declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.DATABASE_URL) {
    project.provide('adminDatabaseUrl', process.env.DATABASE_URL);
    return async () => undefined;
  }
  const { startEmbeddedDatabase } = await import('../../dist/gateway/metadata/embedded-database.js');
  const dir = await mkdtemp(join(tmpdir(), 'objstore-test-pg-'));
  const db = await startEmbeddedDatabase(dir, await freePort());
  project.provide('adminDatabaseUrl', db.url);
  return async () => {
    await db.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
