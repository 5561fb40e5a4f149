// Which k chunks a degraded read takes its stripes from. Pure: no I/O.
//
// Data chunks come first (what they hold needs no decoding), then parity chunks, the ones on the
// least busy nodes first, so that the extra reads of degraded files spread over the cluster.

export interface SourceCandidate {
  chunk: number;
  present: boolean; // false: a data chunk past the file's end (all zeros, nothing to read)
  usable: boolean; // the chunk is stored, its node answers, and it has not failed during this read
  busy: number; // chunk reads running on its node now
}

export function chooseReadSources(k: number, candidates: SourceCandidate[]): { sources: number[]; lost: number[] } {
  const lost = candidates.filter((c) => c.present && !c.usable).map((c) => c.chunk);
  const data = candidates.filter((c) => c.chunk < k && (!c.present || c.usable));
  const parity = candidates
    .filter((c) => c.chunk >= k && c.usable)
    .sort((a, b) => a.busy - b.busy || a.chunk - b.chunk);
  const sources = [...data, ...parity].slice(0, k).map((c) => c.chunk);
  return { sources: sources.sort((a, b) => a - b), lost };
}
