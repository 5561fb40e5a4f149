// Which database errors are retried, and the retry loop's bounds.
import { describe, expect, it } from 'vitest';
import { isBrokenConnection, isTransientTransactionError, withRetries } from '../../gateway/metadata/db-retry.js';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('classification', () => {
  it('serialization failures and deadlocks are transient; constraint violations are not', () => {
    expect(isTransientTransactionError(pgError('40001'))).toBe(true);
    expect(isTransientTransactionError(pgError('40P01'))).toBe(true);
    expect(isTransientTransactionError(pgError('23505'))).toBe(false);
    expect(isTransientTransactionError(null)).toBe(false);
  });

  it('resets and server shutdowns are broken connections; a refused connection is not (nothing to repeat on)', () => {
    expect(isBrokenConnection(pgError('ECONNRESET'))).toBe(true);
    expect(isBrokenConnection(pgError('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isBrokenConnection(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isBrokenConnection(pgError('ECONNREFUSED'))).toBe(false);
    expect(isBrokenConnection(pgError('42P01', 'relation does not exist'))).toBe(false);
    expect(isBrokenConnection('not an error')).toBe(false);
  });
});

describe('withRetries', () => {
  it('repeats while the error is retryable, at most once per delay, and returns the first success', async () => {
    let calls = 0;
    const value = await withRetries(
      async () => {
        calls += 1;
        if (calls < 3) throw pgError('40001');
        return 'done';
      },
      isTransientTransactionError,
      [1, 1, 1],
    );
    expect([value, calls]).toEqual(['done', 3]);
  });

  it('gives up after the last delay with the last error, and at once on an error that is not retryable', async () => {
    let calls = 0;
    await expect(withRetries(async () => { calls += 1; throw pgError('40P01', `attempt ${calls}`); }, isTransientTransactionError, [1, 1])).rejects.toThrow('attempt 3');
    expect(calls).toBe(3);
    calls = 0;
    await expect(withRetries(async () => { calls += 1; throw pgError('23505'); }, isTransientTransactionError, [1, 1])).rejects.toThrow();
    expect(calls).toBe(1);
  });
});
