// A webhook for alert tests: a real HTTP server on loopback that records every POST it gets and
// answers each as the test says (a status, or never).
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  n: number; // 1 for the first POST this receiver got
  body: any; // the parsed JSON (null when the body was not JSON)
  headers: Record<string, string | string[] | undefined>;
  receivedAt: number; // Date.now() when the body had arrived
  answer: number | 'hang';
}

export interface WebhookReceiver {
  url: string;
  posts: ReceivedPost[];
  /** Requests held open without an answer now. */
  hanging(): number;
  /** Polls until a POST matches (returns it) or `timeoutMs` passes (undefined). */
  waitFor(match: (p: ReceivedPost) => boolean, timeoutMs: number): Promise<ReceivedPost | undefined>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(answer: (n: number, body: any) => number | 'hang' = () => 200): Promise<WebhookReceiver> {
  const posts: ReceivedPost[] = [];
  const held = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      let body: any = null;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      } catch {
        body = null;
      }
      const n = posts.length + 1;
      const a = answer(n, body);
      posts.push({ n, body, headers: req.headers, receivedAt: Date.now(), answer: a });
      if (a === 'hang') {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      res.writeHead(a, { 'Content-Type': 'text/plain' }).end(a < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    posts,
    hanging: () => held.size,
    async waitFor(match, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = posts.find(match);
        if (found || Date.now() > deadline) return found;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
