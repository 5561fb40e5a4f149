// Confirmation before anything that deletes or moves data: a modal <dialog> (keyboard: Tab moves
// inside it, Escape cancels, focus starts on Cancel so that Enter alone never destroys anything).
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';

export interface ConfirmRequest {
  title: string;
  body: ComponentChildren;
  confirm: string; // the button's words: "Delete 3 files"
  danger?: boolean;
}

export function useConfirm(): [ComponentChildren, (request: ConfirmRequest) => Promise<boolean>] {
  const dialog = useRef<HTMLDialogElement>(null);
  const [request, setRequest] = useState<ConfirmRequest | null>(null);
  const resolver = useRef<((ok: boolean) => void) | null>(null);

  const close = (ok: boolean): void => {
    dialog.current?.close();
    setRequest(null);
    resolver.current?.(ok);
    resolver.current = null;
  };

  const ask = (r: ConfirmRequest): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      resolver.current?.(false);
      resolver.current = resolve;
      setRequest(r);
      // Opened once the dialog has its content.
      requestAnimationFrame(() => {
        const d = dialog.current;
        if (d && !d.open) d.showModal();
        d?.querySelector<HTMLButtonElement>('button[data-cancel]')?.focus();
      });
    });

  const element = (
    <dialog ref={dialog} class="confirm" aria-labelledby="confirm-title" onCancel={() => close(false)}>
      {request && (
        <div>
          <h2 id="confirm-title">{request.title}</h2>
          <div class="confirm-body">{request.body}</div>
          <div class="actions">
            <button type="button" data-cancel onClick={() => close(false)}>
              Cancel
            </button>
            <button type="button" class={request.danger ? 'danger' : 'primary'} onClick={() => close(true)}>
              {request.confirm}
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
  return [element, ask];
}
