// Rate and time left of a transfer from its progress events: bytes over the last few seconds (a
// sliding window), so the rate follows the network instead of averaging the whole transfer. Pure:
// the caller gives the clock.

interface Sample {
  at: number; // ms
  loaded: number;
}

export class TransferMeter {
  private samples: Sample[] = [];

  constructor(
    readonly total: number,
    private readonly windowMs = 4_000,
  ) {}

  /** Bytes sent so far at time `at` (ms); out-of-order or shrinking values are ignored. */
  record(loaded: number, at: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && (at < last.at || loaded < last.loaded)) return;
    this.samples.push({ at, loaded });
    // Keep one sample older than the window so that the window is always covered.
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift();
  }

  get loaded(): number {
    return this.samples[this.samples.length - 1]?.loaded ?? 0;
  }

  /** Bytes per second over the window; null until two samples at least 200 ms apart. */
  get rate(): number | null {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 200) return null;
    return ((last.loaded - first.loaded) * 1000) / (last.at - first.at);
  }

  /** Seconds left at the current rate; 0 when done, null while unknown or stalled. */
  get secondsLeft(): number | null {
    const left = this.total - this.loaded;
    if (left <= 0) return 0;
    const rate = this.rate;
    return rate === null || rate <= 0 ? null : left / rate;
  }

  /** 0..1 */
  get fraction(): number {
    return this.total <= 0 ? 1 : Math.min(1, this.loaded / this.total);
  }
}
