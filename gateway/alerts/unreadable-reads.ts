// Downloads that failed because too few chunks of a file could be read, gathered between two
// reports so that an outage that fails a thousand reads makes one event, not a thousand. Pure.

/** File ids named in one event at most; the count covers the rest. */
export const MAX_NAMED_FILES = 20;

export interface UnreadableBatch {
  reads: number; // failed reads since the last batch
  fileIds: string[]; // the first MAX_NAMED_FILES distinct files
  firstMessage: string;
}

export class UnreadableReads {
  private reads = 0;
  private readonly files = new Set<string>();
  private firstMessage = '';

  record(fileId: string, message: string): void {
    if (this.reads === 0) this.firstMessage = message;
    this.reads += 1;
    if (this.files.size < MAX_NAMED_FILES) this.files.add(fileId);
  }

  /** What was gathered since the last take (undefined: nothing), and a fresh start. */
  take(): UnreadableBatch | undefined {
    if (this.reads === 0) return undefined;
    const batch = { reads: this.reads, fileIds: [...this.files], firstMessage: this.firstMessage };
    this.reads = 0;
    this.files.clear();
    this.firstMessage = '';
    return batch;
  }
}
