// One file: its metadata and checksum, download and delete, and the map of its chunks: for each
// data and parity chunk, the node that holds it and how it stands (ok, missing, healing, or ok on a
// node that is down).
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { useConfirm } from '../components/confirm.js';
import { Notice } from '../components/notice.js';
import { useConsole } from '../context.js';
import { failureFrom, useLoad } from '../hooks.js';
import { FILES_BUCKET } from '../lib/abilities.js';
import { chunkCondition, type EntryDetail, type MappedChunk } from '../lib/entries.js';
import { describeFailure } from '../lib/failure.js';
import { formatBytes, formatCount, formatTime } from '../lib/format.js';
import { routeHref } from '../lib/route.js';
import { deleteEntry, downloadEntry } from './bucket.js';

export function EntryPage(props: { bucket: string; id: string }) {
  const { gateway, abilities, refreshMs } = useConsole();
  const { bucket, id } = props;
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [dialog, confirm] = useConfirm();
  // Refreshed: a chunk being healed shows it.
  const entry = useLoad<EntryDetail>(() => gateway.rest<EntryDetail>('GET', `/buckets/${encodeURIComponent(bucket)}/entries/${encodeURIComponent(id)}`), `${bucket}/${id}`, refreshMs * 2);
  const e = entry.data;

  const remove = async (): Promise<void> => {
    if (!e) return;
    const ok = await confirm({ title: `Delete ${e.name}?`, body: <p>This cannot be undone.</p>, confirm: 'Delete file', danger: true });
    if (!ok) return;
    try {
      await deleteEntry(gateway, bucket, e);
      location.hash = routeHref({ page: 'bucket', bucket, prefix: '', sort: 'date' });
    } catch (err) {
      setMessage({ kind: 'error', text: `Not deleted. ${describeFailure(failureFrom(err))}` });
    }
  };

  const download = async (): Promise<void> => {
    if (!e) return;
    try {
      await downloadEntry(gateway, bucket, e);
    } catch (err) {
      setMessage({ kind: 'error', text: `Could not download. ${describeFailure(failureFrom(err))}` });
    }
  };

  return (
    <>
      <p class="crumbs">
        <a href={routeHref({ page: 'buckets' })}>Buckets</a> / <a href={routeHref({ page: 'bucket', bucket, prefix: '', sort: 'date' })}>{bucket}</a> /{' '}
        <span>{e?.name ?? id}</span>
      </p>
      <h1 class="file-title">{e?.name ?? 'File'}</h1>
      {dialog}
      {message && (
        <Notice kind={message.kind} onClose={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
      {entry.error && <Notice kind="error">Could not read this file. {describeFailure(entry.error)}</Notice>}
      {e && (
        <>
          <div class="actions">
            <button type="button" class="primary" onClick={() => void download()}>
              Download
            </button>
            {abilities.write(bucket) && (
              <button type="button" class="danger" onClick={() => void remove()}>
                Delete
              </button>
            )}
          </div>
          <section aria-labelledby="meta-title">
            <h2 id="meta-title">Metadata</h2>
            <dl class="meta">
              <dt>{bucket === FILES_BUCKET ? 'File name' : 'Key'}</dt>
              <dd class="mono">{e.key ?? e.filename}</dd>
              <dt>Size</dt>
              <dd>
                {formatBytes(e.size)} ({formatCount(e.size)} bytes)
              </dd>
              <dt>Type</dt>
              <dd>{e.content_type}</dd>
              <dt>Stored</dt>
              <dd>{formatTime(e.modified_at)}</dd>
              <dt>Id</dt>
              <dd class="mono">{e.id}</dd>
              {e.sha256 && (
                <>
                  <dt>SHA-256</dt>
                  <dd class="mono checksum">{e.sha256}</dd>
                </>
              )}
              {e.md5 && (
                <>
                  <dt>MD5</dt>
                  <dd class="mono checksum">{e.md5}</dd>
                </>
              )}
              {e.etag && (
                <>
                  <dt>ETag</dt>
                  <dd class="mono">{e.etag}</dd>
                </>
              )}
              {Object.entries(e.checksums).map(([algorithm, value]) => (
                <Fragment key={algorithm}>
                  <dt>{algorithm}</dt>
                  <dd class="mono">{value}</dd>
                </Fragment>
              ))}
              {Object.entries(e.metadata).map(([name, value]) => (
                <Fragment key={name}>
                  <dt>{name}</dt>
                  <dd>{value}</dd>
                </Fragment>
              ))}
              <dt>Erasure code</dt>
              <dd>
                {e.k} data + {e.m} parity chunks, stripe unit {formatBytes(e.stripe_unit)}: readable while any {e.k} chunks are
              </dd>
            </dl>
          </section>
          <section aria-labelledby="map-title">
            <h2 id="map-title">Chunk map</h2>
            {e.parts.length === 0 ? (
              <ChunkMap chunks={e.chunks} k={e.k} m={e.m} label="Chunks" />
            ) : (
              <>
                <p>
                  A multipart object of {e.part_count} parts, each stored as its own chunks
                  {e.parts_truncated ? ` (the first ${e.parts.length} shown)` : ''}.
                </p>
                {e.parts.map((p) => (
                  <ChunkMap key={p.part_number} chunks={p.chunks} k={p.k} m={p.m} label={`Part ${p.part_number} (${formatBytes(p.size)})`} />
                ))}
              </>
            )}
          </section>
        </>
      )}
    </>
  );
}

function ChunkMap(props: { chunks: MappedChunk[]; k: number; m: number; label: string }) {
  const { k } = props;
  const data = props.chunks.filter((c) => c.role === 'data').length;
  return (
    <div class="table-wrap">
      <table class="chunk-map cards-on-phone">
        <caption>
          {props.label}: {data} data and {props.chunks.length - data} parity chunks
          {data < k ? ` (a file this small fills ${data} of the ${k} data units of its stripe)` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Chunk</th>
            <th scope="col">Role</th>
            <th scope="col">Node</th>
            <th scope="col" class="num">
              Size
            </th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {props.chunks.map((c) => {
            const condition = chunkCondition(c);
            const label = c.role === 'data' ? `D${c.chunk_number + 1}` : `P${c.chunk_number - k + 1}`;
            return (
              <tr key={c.chunk_number} class={`chunk chunk-${condition.tone}`} data-chunk-state={c.state}>
                <td data-label="Chunk">
                  <span class={`chunk-badge chunk-${c.role}`}>{label}</span>
                </td>
                <td data-label="Role">{c.role}</td>
                <td data-label="Node">{c.server_address ? `${c.server_address} (node ${c.server_id})` : 'no node'}</td>
                <td class="num" data-label="Size">
                  {formatBytes(c.size)}
                </td>
                <td data-label="State">
                  <span class={`state state-${condition.tone}`}>{condition.label}</span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
