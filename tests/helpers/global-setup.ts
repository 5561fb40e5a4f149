// Once per test run: a PostgreSQL server for the tests. DATABASE_URL when set (CI points it at the
// machine's server), otherwise an embedded PostgreSQL in a temporary folder.
import { freePort } from '../bench/bench-support.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
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
  // In a process of its own: see scripts/embedded-postgres-server.ts for why.
  const dir = await mkdtemp(join(tmpdir(), 'objstore-test-pg-'));
  const server = spawn(process.execPath, ['dist/scripts/embedded-postgres-server.js', dir, String(await freePort())], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout! }).on('line', (line) => {
      const m = /^ready (\S+)$/.exec(line);
      if (m) resolve(m[1]!);
    });
    server.once('exit', (code) => reject(new Error(`the embedded PostgreSQL exited with ${code} before it was ready`)));
  });
  project.provide('adminDatabaseUrl', url);
  return async () => {
    if (server.exitCode === null) {
      const exited = once(server, 'exit');
      server.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
}
