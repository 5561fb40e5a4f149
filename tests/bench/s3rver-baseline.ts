// The baseline of the S3 transfers: s3rver in a child process (s3rver-server.ts), started with the
// same V8 flags as the gateway, with the pid to meter and its key (s3rver checks no signature).
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEAP_FLAGS } from '../../scripts/heap-flags.js';
import { SupervisedProcess } from '../../scripts/supervised-process.js';
import type { S3Target } from './s3-requests.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 's3rver-server.js');

export interface S3rverBaseline {
  target: S3Target;
  pid: number;
  stop(): Promise<void>;
}

export async function startS3rver(directory: string, log: (line: string) => void): Promise<S3rverBaseline> {
  await mkdir(directory, { recursive: true });
  const server = new SupervisedProcess({
    name: 's3rver',
    script: SCRIPT,
    nodeFlags: HEAP_FLAGS,
    env: { S3RVER_DIRECTORY: directory },
    restartEnv: () => ({ S3RVER_DIRECTORY: directory }),
    ready: /^s3rver listening on port (\d+)/,
    readyTimeoutMs: 60_000,
    log,
    restart: null,
  });
  await server.start();
  return {
    target: { url: `http://127.0.0.1:${server.port}`, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    pid: server.child.pid!,
    stop: () => server.stop(5_000),
  };
}
