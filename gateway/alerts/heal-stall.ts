// The heal queue not draining: files queued and no progress for `stallMs`. Pure.

export interface HealQueueSample {
  files: number; // files in the heal queue (to rebuild or to move)
  completed: number; // chunks rebuilt or moved so far (ever growing while healers work)
}

export class HealStallDetector {
  private last: HealQueueSample | undefined;
  private progressAt = 0;
  private rung = false;

  constructor(private readonly stallMs: number) {}

  /**
   * True once per stall: the queue is non-empty, and it has neither shrunk nor had a chunk rebuilt
   * or moved for `stallMs`. Progress (or an empty queue) arms it again.
   */
  observe(sample: HealQueueSample, now: number): boolean {
    const last = this.last;
    this.last = sample;
    if (sample.files === 0 || last === undefined || last.files === 0 || sample.files < last.files || sample.completed > last.completed) {
      // Empty, the first look, newly queued, or moving: the clock starts now.
      this.progressAt = now;
      this.rung = false;
      return false;
    }
    if (this.rung || now - this.progressAt < this.stallMs) return false;
    this.rung = true;
    return true;
  }

  /** How long the queue has gone without progress. */
  stalledForMs(now: number): number {
    return now - this.progressAt;
  }
}
