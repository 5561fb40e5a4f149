// Copies a value to the clipboard: the Clipboard API where the page may use it (https, localhost),
// else the selection and execCommand, which plain-http pages still have.
import { useRef, useState } from 'preact/hooks';

async function copy(text: string, fallbackInput: HTMLInputElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // refused: try the selection below
  }
  if (!fallbackInput) return false;
  fallbackInput.focus();
  fallbackInput.select();
  return document.execCommand('copy');
}

/** A read-only field with the value and a Copy button. */
export function CopyField(props: { label: string; value: string; id: string }) {
  const [said, setSaid] = useState('');
  const input = useRef<HTMLInputElement>(null);
  return (
    <div class="copy-field">
      <label for={props.id}>{props.label}</label>
      <div class="copy-row">
        <input id={props.id} readOnly value={props.value} ref={input} spellcheck={false} autocomplete="off" />
        <button
          type="button"
          onClick={async () => setSaid((await copy(props.value, input.current)) ? 'Copied' : 'Select the text and copy it by hand')}
          aria-describedby={`${props.id}-said`}
        >
          Copy
        </button>
        <span id={`${props.id}-said`} class="muted" role="status">
          {said}
        </span>
      </div>
    </div>
  );
}
