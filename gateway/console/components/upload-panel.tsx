// Uploading into a bucket: pick files or drop them here; each gets its own progress bar (bytes
// sent, rate, time left), a Cancel button while it runs and, if it fails, the reason.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Upload } from '../api/uploads.js';
import { useConsole } from '../context.js';
import { formatBytes, formatDuration, formatRate } from '../lib/format.js';

const STATE_WORDS: Record<Upload['state'], string> = {
  queued: 'waiting',
  sending: 'sending',
  finishing: 'all sent, the gateway is storing it',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

export function UploadPanel(props: { bucket: string; onUploaded: () => void }) {
  const { uploads } = useConsole();
  const [list, setList] = useState<Upload[]>(() => uploads.list.filter((u) => u.bucket === props.bucket));
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const done = useRef(new Set<number>(list.filter((u) => u.state === 'done').map((u) => u.id)));

  useEffect(() => {
    const sync = (): void => {
      const mine = uploads.list.filter((u) => u.bucket === props.bucket);
      setList(mine);
      // The listing shows a file once it is stored.
      if (mine.some((u) => u.state === 'done' && !done.current.has(u.id))) {
        for (const u of mine) if (u.state === 'done') done.current.add(u.id);
        props.onUploaded();
      }
    };
    const unsubscribe = uploads.subscribe(sync);
    sync(); // what changed between the first render and this subscription
    return unsubscribe;
  }, [props.bucket]);

  const add = (files: FileList | null): void => {
    if (files && files.length > 0) uploads.add(props.bucket, [...files]);
    if (input.current) input.current.value = '';
  };

  return (
    <section class="panel upload" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload</h2>
      <div
        class={`drop${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => (e.preventDefault(), setDragging(true))}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          add(e.dataTransfer?.files ?? null);
        }}
      >
        <label for="upload-input">Choose files, or drop them here</label>
        <input id="upload-input" ref={input} type="file" multiple onChange={(e) => add(e.currentTarget.files)} />
      </div>
      {list.length > 0 && (
        <>
          <ul class="uploads" aria-label="Uploads">
            {list.map((u) => (
              <UploadRow key={u.id} upload={u} onCancel={() => uploads.cancel(u.id)} />
            ))}
          </ul>
          {list.some((u) => u.state === 'done' || u.state === 'failed' || u.state === 'cancelled') && (
            <button type="button" class="link" onClick={() => uploads.clearFinished(props.bucket)}>
              Clear finished uploads
            </button>
          )}
        </>
      )}
    </section>
  );
}

function UploadRow(props: { upload: Upload; onCancel: () => void }) {
  const u = props.upload;
  const running = u.state === 'queued' || u.state === 'sending' || u.state === 'finishing';
  const percent = Math.floor(u.fraction * 100);
  const id = `upload-${u.id}`;
  return (
    <li class={`upload-row upload-${u.state}`} data-upload-name={u.name}>
      <div class="upload-head">
        <span class="upload-name" id={`${id}-name`}>
          {u.name}
        </span>
        <span class="upload-state">{STATE_WORDS[u.state]}</span>
        {running && (
          <button type="button" class="small" onClick={props.onCancel} aria-label={`Cancel the upload of ${u.name}`}>
            Cancel
          </button>
        )}
      </div>
      <progress max={100} value={u.state === 'failed' || u.state === 'cancelled' ? 0 : percent} aria-labelledby={`${id}-name`} aria-describedby={`${id}-numbers`} />
      <div class="upload-numbers" id={`${id}-numbers`}>
        <span class="upload-percent">{percent}%</span> · {formatBytes(u.sent)} of {formatBytes(u.size)}
        {u.state === 'sending' && u.rate !== null && (
          <>
            {' '}
            · {formatRate(u.rate)}
            {u.secondsLeft !== null && <> · {formatDuration(u.secondsLeft)} left</>}
          </>
        )}
      </div>
      {u.reason && (
        <p class="upload-reason" role="alert">
          {u.reason}
        </p>
      )}
    </li>
  );
}
