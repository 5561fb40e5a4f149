// The CLI's errors and exit codes: what a script calling it can rely on.

/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The gateway refused or failed the request (4xx, 5xx), or a transfer did not complete. */
  refused: 1,
  /** Bad arguments. */
  usage: 2,
  /** The gateway could not be reached. */
  unreachable: 3,
  /** The command worked and found problems: a consistency check with findings, a status not healthy. */
  problems: 4,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
