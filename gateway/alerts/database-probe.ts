// Whether the metadata database answers, asked on a connection of its own: the pool may be busy
// with client requests (a full pool is load, not an outage) and must not be queued behind.
import pg from 'pg';

export async function probeDatabase(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined); // a server that goes away mid-probe: the probe's own promise says so
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.query('SELECT 1');
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    void client.end().catch(() => undefined);
  }
}
