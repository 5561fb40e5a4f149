// A node's disk passing the fill threshold upward. Pure.

/** Below the threshold by this much before the alarm may ring again, so a disk at the line does not ring at every probe. */
export const FILL_HYSTERESIS = 0.02;

/** The share of a disk in use (0..1), undefined when the node has not said its size. */
export function diskFill(totalSpace: number | null, availableSpace: number | null): number | undefined {
  if (totalSpace === null || availableSpace === null || totalSpace <= 0) return undefined;
  return Math.min(1, Math.max(0, 1 - availableSpace / totalSpace));
}

export class DiskFillAlarm {
  private readonly above = new Set<string>();

  constructor(private readonly threshold: number) {}

  /** True when this fill is the crossing upward (the first seen above counts as one). */
  observe(subject: string, fill: number): boolean {
    if (fill >= this.threshold) {
      if (this.above.has(subject)) return false;
      this.above.add(subject);
      return true;
    }
    if (fill < this.threshold - FILL_HYSTERESIS) this.above.delete(subject);
    return false;
  }

  /** Subjects no longer watched (a node removed), so the set stays as small as the cluster. */
  keepOnly(subjects: Set<string>): void {
    for (const s of this.above) if (!subjects.has(s)) this.above.delete(s);
  }
}
