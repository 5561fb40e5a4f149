// A message at the top of a section: errors are announced at once (role=alert), the rest politely.
import type { ComponentChildren } from 'preact';

export function Notice(props: { kind: 'error' | 'ok' | 'info'; children: ComponentChildren; onClose?: () => void }) {
  return (
    <div class={`notice notice-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      <span>{props.children}</span>
      {props.onClose && (
        <button type="button" class="link" onClick={props.onClose} aria-label="Dismiss message">
          Dismiss
        </button>
      )}
    </div>
  );
}
