// Client transfers running in this gateway, so that background work (healing, moves) can step back
// while clients are served.
export class ForegroundActivity {
  private running = 0;

  get busy(): boolean {
    return this.running > 0;
  }

  /** Runs `work` as one client transfer. */
  async during<T>(work: () => Promise<T>): Promise<T> {
    this.running += 1;
    try {
      return await work();
    } finally {
      this.running -= 1;
    }
  }
}
