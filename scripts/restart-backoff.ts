// When to restart a process that died: exponential backoff, so a process that crashes at start does
// not spin, and a reset once it has stayed up for a while, so one crash a day always waits the
// shortest delay. Pure: no timers, no processes.

export interface RestartPolicy {
  /** Delay before the first restart of a run of crashes. */
  firstDelayMs: number;
  /** The delay doubles with every crash in a row, up to this. */
  maxDelayMs: number;
  /** A process that ran at least this long before it died starts a new run (delay back to the first). */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { firstDelayMs: 1_000, maxDelayMs: 30_000, stableAfterMs: 60_000 };

export interface RestartPlan {
  /** Restarts in the current run of crashes, this one included (1 for the first). */
  attempt: number;
  delayMs: number;
}

/** The next restart, given the attempt number of the previous one (0: none yet) and how long the process ran. */
export function planRestart(policy: RestartPolicy, previousAttempt: number, uptimeMs: number): RestartPlan {
  const attempt = uptimeMs >= policy.stableAfterMs ? 1 : previousAttempt + 1;
  // 2 ** 40 is already far past any sensible maximum; the cap keeps the arithmetic finite.
  const delayMs = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(attempt - 1, 40));
  return { attempt, delayMs };
}

/** "1 s", "2.5 s", "30 s": delays as the launcher prints them. */
export function formatDelay(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
