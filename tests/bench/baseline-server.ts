// The baseline for gateway throughput: a plain Node HTTP server that writes a request body to one
// file with fsync and serves it back, with no striping, hashing or metadata.
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

export async function startBaselineServer(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const path = join(dir, 'baseline.bin');
  const server: Server = createServer((req, res) => {
    const done = (status: number): void => {
      res.writeHead(status).end();
    };
    if (req.method === 'POST') {
      pipeline(req, createWriteStream(path))
        .then(async () => {
          const fh = await open(path, 'r+');
          await fh.sync();
          await fh.close();
          done(201);
        })
        .catch(() => done(500));
    } else {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), res).catch(() => res.destroy());
    }
  });
  server.requestTimeout = 0;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
