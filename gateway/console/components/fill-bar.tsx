// How full something is: a bar with its numbers in words beside it (the bar alone tells nothing to
// a screen reader or in grey scale).
import { formatBytes, formatPercent } from '../lib/format.js';

export function FillBar(props: { used: number | null; total: number | null; label: string }) {
  const { used, total } = props;
  const fraction = used !== null && total ? Math.min(1, Math.max(0, used / total)) : null;
  const level = fraction === null ? 'unknown' : fraction >= 0.9 ? 'high' : fraction >= 0.75 ? 'mid' : 'low';
  return (
    <div class="fill">
      <meter class={`fill-bar fill-${level}`} min={0} max={1} low={0.75} high={0.9} optimum={0} value={fraction ?? 0} aria-label={props.label} />
      <span class="fill-text">{fraction === null ? 'unknown' : `${formatBytes(used)} of ${formatBytes(total)} (${formatPercent(fraction)})`}</span>
    </div>
  );
}
