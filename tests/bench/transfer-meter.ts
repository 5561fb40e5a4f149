// What one transfer costs: MB/s, CPU-seconds per GiB of user data for the gateway and for the
// storage nodes together, and the peak resident memory of each while it runs.
import { startCpuMeter } from './cpu-usage.js';
import { GiB, mbps, sampleRss } from './bench-support.js';

/** The processes to watch: the gateway and the storage nodes that are running. */
export interface WatchedProcesses {
  gateway: number;
  nodes: number[];
}

export interface TransferFigures {
  bytes: number;
  seconds: number;
  mbps: number;
  /** CPU-seconds per GiB of user data; absent when no processes were watched (the plain-file baseline). */
  cpu?: { gateway: number; nodes: number };
  /** Peak resident memory in bytes: the gateway, and the largest of the nodes. */
  rss?: { gateway: number; nodes: number };
}

/** Runs `transfer` (which returns its own timing in seconds) while counting CPU and sampling memory. */
export async function meterTransfer(
  bytes: number,
  watched: WatchedProcesses | undefined,
  transfer: () => Promise<number>,
): Promise<TransferFigures> {
  if (!watched) {
    const seconds = await transfer();
    return { bytes, seconds, mbps: mbps(bytes, seconds) };
  }
  const gatewayRss = sampleRss(watched.gateway);
  const nodeRss = watched.nodes.map((pid) => sampleRss(pid));
  const gatewayCpu = startCpuMeter([watched.gateway]);
  const nodesCpu = startCpuMeter(watched.nodes);
  const stopSampling = (): { gateway: number; nodes: number } => ({
    gateway: gatewayRss.stop(),
    nodes: Math.max(0, ...nodeRss.map((s) => s.stop())),
  });
  let seconds: number;
  try {
    seconds = await transfer();
  } catch (err) {
    stopSampling();
    throw err;
  }
  const rss = stopSampling();
  const perGiB = bytes / GiB;
  return {
    bytes,
    seconds,
    mbps: mbps(bytes, seconds),
    cpu: { gateway: gatewayCpu.stop() / perGiB, nodes: nodesCpu.stop() / perGiB },
    rss,
  };
}
