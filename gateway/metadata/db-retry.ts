// Which PostgreSQL errors are worth trying again, and the retry loop. Only what is safe to repeat
// is retried: a transaction the server rolled back itself (serialization failure, deadlock), and a
// read that met a connection broken underneath it (a restarted server). A write whose connection
// broke may or may not have committed: it is not repeated, the client gets a 503.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server rolled the transaction back and says trying again may succeed. */
export function isTransientTransactionError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '40001' || code === '40P01';
}

/** The connection itself failed (reset, terminated by a server shutting down or restarting). */
export function isBrokenConnection(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code ?? '';
  return (
    ['ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03'].includes(code) ||
    /Connection terminated|Client has encountered a connection error|terminating connection/i.test(err.message)
  );
}

/** Runs `fn`, again after each delay while `retryable(err)` says so; the last error otherwise. */
export async function withRetries<T>(fn: () => Promise<T>, retryable: (err: unknown) => boolean, delaysMs: readonly number[]): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= delaysMs.length || !retryable(err)) throw err;
      await sleep(delaysMs[attempt]! * (0.75 + Math.random() / 2)); // jitter: retries of many requests spread out
    }
  }
}

/** Backoff of a transaction rolled back by the server. */
export const TRANSACTION_RETRY_DELAYS_MS = [20, 80, 300] as const;
/** A read whose connection broke: once, soon (a fresh connection either works or fails at once). */
export const READ_RETRY_DELAYS_MS = [50] as const;
