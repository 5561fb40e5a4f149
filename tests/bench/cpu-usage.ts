// CPU time spent by other processes (the gateway, the storage nodes), read from /proc/<pid>/stat:
// utime + stime in clock ticks, summed over every thread of the process, libuv's pool included.
// process.cpuUsage() only sees the bench itself. Linux only; resolution one tick (10 ms at 100 Hz).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * utime + stime (fields 14 and 15) of one /proc/<pid>/stat line, in clock ticks. The command name
 * (field 2) may hold spaces and parentheses, so fields are counted from its closing ')'.
 */
export function cpuTicksFromStat(stat: string): number {
  const close = stat.lastIndexOf(')');
  const fields = close < 0 ? [] : stat.slice(close + 1).trim().split(/\s+/);
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  return utime + stime;
}

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (`getconf CLK_TCK`, normally 100), asked once. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (!Number.isInteger(value) || value <= 0) throw new Error(`getconf CLK_TCK gave ${value}`);
    ticksPerSecond = value;
  }
  return ticksPerSecond;
}

/** CPU-seconds (user + system) the process has used since it started; throws once it has exited. */
export function cpuSecondsOf(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    throw new Error(`process ${pid} is gone: its CPU time cannot be read (did it exit during the measurement?)`);
  }
  return cpuTicksFromStat(stat) / clockTicksPerSecond();
}

/** Starts counting the CPU time of `pids`; stop() returns the CPU-seconds they used together since. */
export function startCpuMeter(pids: readonly number[]): { stop(): number } {
  const before = pids.map(cpuSecondsOf);
  return {
    stop: () => pids.reduce((sum, pid, i) => sum + cpuSecondsOf(pid) - before[i]!, 0),
  };
}
