// When a webhook POST is tried again. Pure.

export interface RetrySettings {
  attempts: number; // in all, the first included
  baseMs: number; // wait before the second attempt; doubled before each one after
  maxMs: number; // longest wait between two attempts
}

export const WEBHOOK_RETRY: RetrySettings = { attempts: 5, baseMs: 1_000, maxMs: 30_000 };

/** The wait before attempt `next` (2 for the first retry); undefined when no attempt is left. */
export function retryDelayMs(next: number, settings: RetrySettings): number | undefined {
  if (next < 2 || next > settings.attempts) return undefined;
  return Math.min(settings.maxMs, settings.baseMs * 2 ** (next - 2));
}

/**
 * Whether an answer is worth another attempt: no answer at all (status undefined), a timeout or
 * throttling (408, 429), or a server error. Any other 4xx says the receiver refuses this event, a
 * 3xx that it lives elsewhere: the same POST again would get the same answer.
 */
export function worthRetrying(status: number | undefined): boolean {
  if (status === undefined) return true;
  return status === 408 || status === 429 || status >= 500;
}
