// The throughput chart's geometry: the history's points (GET /admin/history) as SVG paths of upload
// and download rates over the last minutes, with a rounded top of scale. Pure.

export interface HistoryPoint {
  t: string;
  upload_bytes_per_second: number;
  download_bytes_per_second: number;
  requests_per_second?: number;
  errors_per_second?: number;
  heal_queue_files?: number;
}

export interface ChartGeometry {
  empty: boolean;
  max: number; // bytes per second at the top of the chart
  upload: string; // SVG path data
  download: string;
  from: string | null; // time of the first point shown
  to: string | null;
  latest: { upload: number; download: number } | null;
}

const POWERS = [1, 1024, 1024 ** 2, 1024 ** 3, 1024 ** 4];

/** The top of scale: 1, 2 or 5 times a power of ten, in the largest binary unit below `value`. */
export function scaleTop(value: number): number {
  if (!(value > 0)) return 1024 * 1024; // an idle chart still reads as a rate: 1 MiB/s
  const unit = [...POWERS].reverse().find((p) => value >= p) ?? 1;
  const v = value / unit;
  const ten = 10 ** Math.floor(Math.log10(v));
  const step = [1, 2, 5, 10].find((s) => v <= s * ten)!;
  return step * ten * unit;
}

const rate = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0);

/** The last `windowMs` of points (before the newest) drawn in a width x height box (y down), in time order. */
export function throughputChart(points: readonly HistoryPoint[], width: number, height: number, windowMs = 15 * 60_000): ChartGeometry {
  const newest = Date.parse(points[points.length - 1]?.t ?? '');
  const shown = Number.isNaN(newest) ? points.slice(-1) : points.filter((p) => Date.parse(p.t) >= newest - windowMs);
  if (shown.length === 0) return { empty: true, max: scaleTop(0), upload: '', download: '', from: null, to: null, latest: null };
  const max = scaleTop(Math.max(...shown.map((p) => Math.max(rate(p.upload_bytes_per_second), rate(p.download_bytes_per_second)))));
  // x by time: a gap (a restarted gateway) shows as one.
  const start = Date.parse(shown[0]!.t);
  const span = Date.parse(shown[shown.length - 1]!.t) - start;
  const x = (i: number): number => (shown.length === 1 || !(span > 0) ? width : ((Date.parse(shown[i]!.t) - start) * width) / span);
  const y = (v: number): number => height - (Math.min(v, max) / max) * height;
  const path = (pick: (p: HistoryPoint) => number): string =>
    shown.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)} ${y(rate(pick(p))).toFixed(1)}`).join(' ');
  const last = shown[shown.length - 1]!;
  return {
    empty: false,
    max,
    upload: path((p) => p.upload_bytes_per_second),
    download: path((p) => p.download_bytes_per_second),
    from: shown[0]!.t,
    to: last.t,
    latest: { upload: rate(last.upload_bytes_per_second), download: rate(last.download_bytes_per_second) },
  };
}
