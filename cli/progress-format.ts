// How a transfer's progress reads, on a terminal bar or as plain lines. Pure.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function bytesText(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

/** Seconds as people read them: "42 s", "3 min 5 s", "1 h 2 min". */
export function durationText(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export interface ProgressState {
  done: number;
  total: number;
  elapsedSeconds: number;
}

export function rateText(p: ProgressState): string {
  return p.elapsedSeconds > 0 ? `${bytesText(p.done / p.elapsedSeconds)}/s` : '-';
}

/** Seconds left at the average rate so far (Infinity before anything moved). */
export function secondsLeft(p: ProgressState): number {
  if (p.done <= 0 || p.elapsedSeconds <= 0) return Infinity;
  return ((p.total - p.done) * p.elapsedSeconds) / p.done;
}

/** One plain line: "put demo.bin: 20.0 MiB of 200.0 MiB (10%), 45.2 MiB/s, 4 s left". */
export function progressLine(label: string, p: ProgressState): string {
  const percent = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 100;
  const tail = p.done >= p.total ? `done in ${durationText(p.elapsedSeconds)}` : `${durationText(secondsLeft(p))} left`;
  return `${label}: ${bytesText(p.done)} of ${bytesText(p.total)} (${percent}%), ${rateText(p)}, ${tail}`;
}

/** The tenths of the transfer crossed going from `before` to `after` bytes (plain output prints at each). */
export function tenthsCrossed(before: number, after: number, total: number): number {
  if (total <= 0) return 0;
  return Math.floor((after * 10) / total) - Math.floor((before * 10) / total);
}
