// Per-node circuit breaker: a node is taken out after `failures` failed calls or probes in a row and
// let back in after `recoveries` good probes in a row, so a dead node costs no time on each request.
// Pure: no I/O, no clock.

export interface BreakerSettings {
  failures: number; // failed calls or probes in a row that open the breaker (node down)
  recoveries: number; // good probes in a row that close it again
}

export class CircuitBreaker {
  private failuresInRow = 0;
  private goodProbesInRow = 0;
  private openState = false;

  constructor(private readonly settings: BreakerSettings) {}

  /** True while the node is considered down. */
  get open(): boolean {
    return this.openState;
  }

  /** A call or probe failed. */
  failure(): void {
    this.goodProbesInRow = 0;
    this.failuresInRow += 1;
    if (this.failuresInRow >= this.settings.failures) this.openState = true;
  }

  /** A call succeeded: it resets the count of failures, but only probes close an open breaker. */
  callSucceeded(): void {
    if (!this.openState) this.failuresInRow = 0;
  }

  /** A health probe answered. */
  probeSucceeded(): void {
    this.failuresInRow = 0;
    if (!this.openState) return;
    this.goodProbesInRow += 1;
    if (this.goodProbesInRow >= this.settings.recoveries) {
      this.openState = false;
      this.goodProbesInRow = 0;
    }
  }
}
