// Bounds the bandwidth of background work (healing, scrubbing): callers take bytes before using
// them and wait when they run ahead of the rate. Shared by every worker of one kind in a gateway.
export class Throttle {
  private next = 0; // when the bytes taken so far are paid for (ms, monotonic clock)

  /** `bytesPerSecond` 0: no limit; a function is asked at every take (the rate may change). */
  constructor(private readonly bytesPerSecond: number | (() => number)) {}

  async take(bytes: number): Promise<void> {
    const rate = typeof this.bytesPerSecond === 'number' ? this.bytesPerSecond : this.bytesPerSecond();
    if (rate <= 0 || bytes <= 0) return;
    const now = performance.now();
    // An idle throttle does not bank unused time beyond a quarter second of burst.
    this.next = Math.max(this.next, now - 250) + (bytes * 1000) / rate;
    const wait = this.next - now;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
