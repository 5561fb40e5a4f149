// A bound on uploads in flight in one gateway (REST and S3 together): each holds stripe buffers and
// a stream to every node of its stripe, so beyond the bound an upload is refused at once (503 with
// Retry-After) instead of waiting in a queue that nothing bounds. Pure: no I/O.

export class UploadSlots {
  private taken = 0;

  constructor(readonly max: number) {}

  get inFlight(): number {
    return this.taken;
  }

  /** A slot's release (calling it again does nothing), or null when all `max` are taken. */
  tryTake(): (() => void) | null {
    if (this.taken >= this.max) return null;
    this.taken++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.taken--;
    };
  }
}
