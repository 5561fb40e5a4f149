// The aims of the erasure-coding, self-repair and S3 issues, judged from measured figures (no I/O):
// each verdict says what was aimed at, what was measured, and whether the aim was met.
import { MiB } from './bench-support.js';

export const MAX_CODING_COST = 0.25; // k=4,m=2 loses under 25% of the m=0 throughput
export const MIN_DEGRADED_SHARE = 0.5; // a read with two nodes down keeps half the healthy speed
export const MAX_CPU_PER_GIB = { upload: 10, download: 6 }; // gateway + nodes, CPU-seconds per GiB
export const MAX_GATEWAY_RSS = 256 * MiB;
export const MIN_FOREGROUND_DURING_HEAL = 0.7; // uploads and downloads keep 70% of their speed while a heal runs

export interface Verdict {
  aim: string;
  measured: string;
  ok: boolean;
}

export type Direction = 'upload' | 'download';

/** Throughput with parity against the same cluster without (both MB/s, medians). */
export function codingCostVerdict(direction: Direction, withParity: number, withoutParity: number): Verdict {
  const cost = 1 - withParity / withoutParity;
  return {
    aim: `${direction}: coding costs under ${MAX_CODING_COST * 100}% of the m=0 throughput`,
    measured: `${withParity.toFixed(0)} vs ${withoutParity.toFixed(0)} MB/s: ${cost >= 0 ? 'costs' : 'gains'} ${Math.abs(cost * 100).toFixed(0)}%`,
    ok: cost < MAX_CODING_COST,
  };
}

/** Download with two nodes down against the healthy download (both MB/s, medians). */
export function degradedReadVerdict(degraded: number, healthy: number): Verdict {
  const share = degraded / healthy;
  return {
    aim: `degraded read keeps at least ${MIN_DEGRADED_SHARE * 100}% of healthy read speed`,
    measured: `${degraded.toFixed(0)} vs ${healthy.toFixed(0)} MB/s: ${(share * 100).toFixed(0)}%`,
    ok: share >= MIN_DEGRADED_SHARE,
  };
}

/** CPU-seconds per GiB of user data, gateway and storage nodes together (median). */
export function cpuVerdict(direction: Direction, cpuSecondsPerGiB: number): Verdict {
  const max = MAX_CPU_PER_GIB[direction];
  return {
    aim: `${direction}: at most ${max} CPU-s per GiB (gateway + nodes)`,
    measured: `${cpuSecondsPerGiB.toFixed(1)} CPU-s/GiB`,
    ok: cpuSecondsPerGiB <= max,
  };
}

/** The gateway's peak resident memory through one kind of transfer. */
export function gatewayRssVerdict(during: string, peakBytes: number): Verdict {
  return {
    aim: `gateway peak RSS under ${MAX_GATEWAY_RSS / MiB} MiB: ${during}`,
    measured: `${(peakBytes / MiB).toFixed(0)} MiB`,
    ok: peakBytes < MAX_GATEWAY_RSS,
  };
}

/** Foreground throughput while a heal runs against the same without (both MB/s, medians). */
export function healForegroundVerdict(direction: Direction, duringHeal: number, without: number): Verdict {
  const share = duringHeal / without;
  return {
    aim: `${direction} while a heal runs keeps at least ${MIN_FOREGROUND_DURING_HEAL * 100}% of its speed`,
    measured: `${duringHeal.toFixed(0)} vs ${without.toFixed(0)} MB/s: ${(share * 100).toFixed(0)}%`,
    ok: share >= MIN_FOREGROUND_DURING_HEAL,
  };
}

// The aims of the S3 issue ("How well").
export const MAX_LISTING_P99_MS = 20; // ListObjectsV2, at any depth, with or without a delimiter

/** S3 PutObject (upload) or GetObject (download) through the gateway against s3rver (MB/s, medians). */
export function s3rverVerdict(direction: Direction, s3: number, s3rver: number): Verdict {
  return {
    aim: `S3 ${direction === 'upload' ? 'PUT' : 'GET'}: at least as fast as s3rver`,
    measured: `${s3.toFixed(0)} vs ${s3rver.toFixed(0)} MB/s: ${(s3 / s3rver).toFixed(2)} ×`,
    ok: s3 >= s3rver,
  };
}

/** The 99th percentile of one kind of listing request, in milliseconds. */
export function listingLatencyVerdict(listing: string, p99Ms: number): Verdict {
  return {
    aim: `ListObjectsV2 p99 under ${MAX_LISTING_P99_MS} ms: ${listing}`,
    measured: `${p99Ms.toFixed(1)} ms`,
    ok: p99Ms < MAX_LISTING_P99_MS,
  };
}
