// The database reachable or not, edge-triggered: `failures` failed probes in a row make it
// unreachable (one slow connection is not an outage), one good probe makes it back. Pure.

export type ReachabilityChange = 'unreachable' | 'back';

export class Reachability {
  private failedInRow = 0;
  private down = false;

  constructor(private readonly failures: number) {}

  get reachable(): boolean {
    return !this.down;
  }

  /** The change this probe makes, if any. */
  record(ok: boolean): ReachabilityChange | undefined {
    if (ok) {
      this.failedInRow = 0;
      if (!this.down) return undefined;
      this.down = false;
      return 'back';
    }
    this.failedInRow += 1;
    if (this.down || this.failedInRow < this.failures) return undefined;
    this.down = true;
    return 'unreachable';
  }
}
