// How the parts of `npm run bench` report: sections (a title and a table), verdicts on the aims,
// and the summary and row of a series of metered transfers, shared by the parts that move files.
import type { Verdict } from './bench-aims.js';
import { median, MiB } from './bench-support.js';
import type { TransferFigures } from './transfer-meter.js';

export interface Section {
  title: string;
  header: string[];
  rows: string[][];
}

export interface PartResult {
  sections: Section[];
  verdicts: Verdict[];
}

export const fmtRate = (x: number): string => `${x.toFixed(0)} MB/s`;
export const fmtMiB = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`;

export interface Summary {
  mbps: number;
  /** Medians of CPU-seconds per GiB; total is the median of each run's gateway + nodes. */
  cpu?: { gateway: number; nodes: number; total: number };
  /** The highest peaks over the runs (a bound, so not a median). */
  rss?: { gateway: number; nodes: number };
}

export function summarize(figures: TransferFigures[]): Summary {
  const metered = figures.filter((f) => f.cpu && f.rss);
  return {
    mbps: median(figures.map((f) => f.mbps)),
    ...(metered.length === figures.length && {
      cpu: {
        gateway: median(metered.map((f) => f.cpu!.gateway)),
        nodes: median(metered.map((f) => f.cpu!.nodes)),
        total: median(metered.map((f) => f.cpu!.gateway + f.cpu!.nodes)),
      },
      rss: {
        gateway: Math.max(...metered.map((f) => f.rss!.gateway)),
        nodes: Math.max(...metered.map((f) => f.rss!.nodes)),
      },
    }),
  };
}

export const TRANSFER_HEADER = ['transfer', 'variant', 'rate', 'ratio', 'CPU-s/GiB gateway', 'nodes', 'total', 'gateway peak RSS', 'node peak RSS', 'target'];

/**
 * One row under TRANSFER_HEADER. `withNodes` false: a single-process server (its figures are in the
 * gateway columns and the node columns stay empty).
 */
export function transferRow(transfer: string, variant: string, s: Summary, ratio = '', target = '', withNodes = true): string[] {
  const nodes = (text: string): string => (withNodes ? text : '-');
  return [
    transfer,
    variant,
    fmtRate(s.mbps),
    ratio,
    s.cpu ? s.cpu.gateway.toFixed(1) : '-',
    s.cpu ? nodes(s.cpu.nodes.toFixed(1)) : '-',
    s.cpu ? s.cpu.total.toFixed(1) : '-',
    s.rss ? fmtMiB(s.rss.gateway) : '-',
    s.rss ? nodes(fmtMiB(s.rss.nodes)) : '-',
    target,
  ];
}

export const ratioTo = (a: Summary, b: Summary | undefined, name: string): string[] =>
  b ? [`${(a.mbps / b.mbps).toFixed(2)} × ${name}`] : [];

export const logFigures = (label: string, f: TransferFigures): string =>
  `${label} ${fmtRate(f.mbps)}` + (f.cpu ? ` (${f.cpu.gateway.toFixed(1)}+${f.cpu.nodes.toFixed(1)} CPU-s/GiB)` : '');

/** The last section: every verdict of the parts that ran, under the names of their issues. */
export function aimsSection(issues: string[], verdicts: Verdict[]): Section {
  const met = verdicts.filter((v) => v.ok).length;
  const names = issues.length > 1 ? `${issues.slice(0, -1).join(', ')} and ${issues.at(-1)}` : (issues[0] ?? '');
  return {
    title: `Aims of the ${names} issue${issues.length === 1 ? '' : 's'} (${met} of ${verdicts.length} met)`,
    header: ['aim', 'measured', 'verdict'],
    rows: verdicts.map((v) => [v.aim, v.measured, v.ok ? 'ok' : 'MISSED']),
  };
}
