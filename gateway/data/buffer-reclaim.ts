// Downloads receive every gRPC message in a fresh buffer and do little other JavaScript work, so V8
// collects those buffers late: measured, the gateway climbed to 300-490 MiB during a 10 GiB
// download. A full collection every RECLAIM_EVERY bytes streamed keeps it near 200 MiB; the heap is
// small, so each takes a few milliseconds (under 1% at 150 MB/s). An asynchronous request was not
// enough: V8 may drop it while a cycle is already under way.
import v8 from 'node:v8';
import vm from 'node:vm';

const RECLAIM_EVERY = 128 * 1024 * 1024;

type Gc = (options: { type: 'major'; execution: 'sync' }) => void;

function exposeGc(): Gc | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as Gc) : null;
  } catch {
    return null; // without it V8 still collects, only later
  }
}

const gc = exposeGc();
let sinceLast = 0;

/** Counts bytes streamed out of freshly allocated buffers; now and then starts a collection. */
export function streamedBytes(bytes: number): void {
  sinceLast += bytes;
  if (sinceLast >= RECLAIM_EVERY && gc) {
    sinceLast = 0;
    gc({ type: 'major', execution: 'sync' });
  }
}
