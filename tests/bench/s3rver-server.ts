// The s3rver baseline as a process of its own (`S3RVER_DIRECTORY=<dir> node s3rver-server.js`), so
// that its CPU time is read from /proc like the gateway's and it does not share the bench's event
// loop. s3rver (npm, 3.7.1) is a Node S3 server on one disk: one copy of each object, written
// without fsync, MD5 as it arrives. Prints `s3rver listening on port <n>` once ready; stops on SIGTERM.
import { createRequire } from 'node:module';

interface S3rverOptions {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
}

interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

const directory = process.env.S3RVER_DIRECTORY;
if (!directory) throw new Error('S3RVER_DIRECTORY: where s3rver keeps its objects');
// s3rver is CommonJS without type declarations.
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: S3rverOptions) => S3rverServer;
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
const { port } = await server.run();
console.log(`s3rver listening on port ${port}`);
process.once('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
