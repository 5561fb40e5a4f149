// Upload and download throughput of the last 15 minutes (GET /admin/history, one point per step,
// 10 s by default) as a small SVG: two lines, the top of scale, the time span, and the latest rates
// in words.
import { throughputChart, type HistoryPoint } from '../lib/chart.js';
import { formatRate, formatTime } from '../lib/format.js';

const W = 600;
const H = 120;

export function ThroughputChart(props: { points: HistoryPoint[] | null; missing: boolean; error: string | null }) {
  if (props.error) return <p class="muted">The throughput history could not be read: {props.error}</p>;
  if (props.missing) return <p class="muted chart-empty">No history yet: this gateway does not keep a throughput history (GET /admin/history).</p>;
  if (!props.points) return <p class="muted">Loading…</p>;
  const g = throughputChart(props.points, W, H);
  if (g.empty) return <p class="muted chart-empty">No history yet: the first point comes within one step (HISTORY_STEP_MS).</p>;
  const summary = `Upload now ${formatRate(g.latest!.upload)}, download now ${formatRate(g.latest!.download)}; scale up to ${formatRate(g.max)}, from ${formatTime(g.from)} to ${formatTime(g.to)}`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={summary}>
        <line x1="0" y1={H / 2} x2={W} y2={H / 2} class="grid" />
        <path d={g.download} class="line-download" vector-effect="non-scaling-stroke" />
        <path d={g.upload} class="line-upload" vector-effect="non-scaling-stroke" />
      </svg>
      <figcaption>
        <span class="key key-upload">Upload {formatRate(g.latest!.upload)}</span>
        <span class="key key-download">Download {formatRate(g.latest!.download)}</span>
        <span class="muted">
          top {formatRate(g.max)} · {formatTime(g.from).slice(11)} to {formatTime(g.to).slice(11)}
        </span>
      </figcaption>
    </figure>
  );
}
