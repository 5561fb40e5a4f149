// A bucket's files: a page at a time (keyset paging underneath: Next follows the gateway's cursor,
// Previous goes back through the cursors seen), searched by name prefix, sorted by date or name;
// several selected at once and deleted; uploads into it.
import { useState } from 'preact/hooks';
import type { Gateway } from '../api/gateway.js';
import { useConfirm } from '../components/confirm.js';
import { Notice } from '../components/notice.js';
import { UploadPanel } from '../components/upload-panel.js';
import { useConsole } from '../context.js';
import { failureFrom, useLoad } from '../hooks.js';
import { FILES_BUCKET } from '../lib/abilities.js';
import { startDownload } from '../lib/download.js';
import { downloadName, type Entry, type EntryPage } from '../lib/entries.js';
import { describeFailure } from '../lib/failure.js';
import { formatBytes, formatTime } from '../lib/format.js';
import { routeHref } from '../lib/route.js';

const PAGE_SIZE = 50;

export async function downloadEntry(gateway: Gateway, bucket: string, entry: { id: string; name: string }): Promise<void> {
  const url = bucket === FILES_BUCKET ? await gateway.fileDownloadUrl(entry.id) : await gateway.s3DownloadUrl(bucket, entry.name, downloadName(entry.name));
  startDownload(url);
}

export async function deleteEntry(gateway: Gateway, bucket: string, entry: { id: string; name: string }): Promise<void> {
  if (bucket === FILES_BUCKET) await gateway.rest('DELETE', `/files/${encodeURIComponent(entry.id)}`);
  else await gateway.s3('DELETE', gateway.s3Url(bucket, entry.name));
}

export function BucketPage(props: { bucket: string; prefix: string; sort: 'date' | 'name' }) {
  const { gateway, abilities } = useConsole();
  const { bucket, prefix, sort } = props;
  // Cursors of the pages before this one (the first page has none).
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [search, setSearch] = useState(prefix);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [dialog, confirm] = useConfirm();
  const cursor = cursors[cursors.length - 1] ?? null;
  const canWrite = abilities.write(bucket);

  const page = useLoad<EntryPage>(() => {
    const query = new URLSearchParams({ sort, limit: String(PAGE_SIZE) });
    if (prefix) query.set('prefix', prefix);
    if (cursor) query.set('cursor', cursor);
    return gateway.rest<EntryPage>('GET', `/buckets/${encodeURIComponent(bucket)}/entries?${query}`);
  }, `${bucket}|${prefix}|${sort}|${cursor ?? ''}`);
  const entries = page.data?.entries ?? [];

  const go = (next: { prefix?: string; sort?: 'date' | 'name' }): void => {
    setCursors([null]);
    setSelected(new Set());
    location.hash = routeHref({ page: 'bucket', bucket, prefix: next.prefix ?? prefix, sort: next.sort ?? sort });
  };

  const toggle = (id: string, on: boolean): void => {
    const s = new Set(selected);
    if (on) s.add(id);
    else s.delete(id);
    setSelected(s);
  };

  const removeSelected = async (): Promise<void> => {
    const chosen = entries.filter((e) => selected.has(e.id));
    if (chosen.length === 0) return;
    const ok = await confirm({
      title: `Delete ${chosen.length} file${chosen.length === 1 ? '' : 's'}?`,
      body: (
        <>
          <p>This cannot be undone:</p>
          <ul class="names">
            {chosen.slice(0, 10).map((e) => (
              <li key={e.id}>{e.name}</li>
            ))}
            {chosen.length > 10 && <li>and {chosen.length - 10} more</li>}
          </ul>
        </>
      ),
      confirm: `Delete ${chosen.length} file${chosen.length === 1 ? '' : 's'}`,
      danger: true,
    });
    if (!ok) return;
    const failed: string[] = [];
    for (const e of chosen) {
      try {
        await deleteEntry(gateway, bucket, e);
      } catch (err) {
        failed.push(`${e.name}: ${describeFailure(failureFrom(err))}`);
      }
    }
    setSelected(new Set());
    setMessage(
      failed.length === 0
        ? { kind: 'ok', text: `Deleted ${chosen.length} file${chosen.length === 1 ? '' : 's'}.` }
        : { kind: 'error', text: `${chosen.length - failed.length} deleted, ${failed.length} not: ${failed.join(' ')}` },
    );
    page.reload();
  };

  const download = async (e: Entry): Promise<void> => {
    try {
      await downloadEntry(gateway, bucket, e);
    } catch (err) {
      setMessage({ kind: 'error', text: `Could not download ${e.name}. ${describeFailure(failureFrom(err))}` });
    }
  };

  const allOnPage = entries.length > 0 && entries.every((e) => selected.has(e.id));

  return (
    <>
      <p class="crumbs">
        <a href={routeHref({ page: 'buckets' })}>Buckets</a> / <span>{bucket}</span>
      </p>
      <h1>{bucket === FILES_BUCKET ? 'Files (REST API)' : `Bucket ${bucket}`}</h1>
      {dialog}
      {message && (
        <Notice kind={message.kind} onClose={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
      {canWrite ? (
        <UploadPanel bucket={bucket} onUploaded={() => page.reload()} />
      ) : (
        <Notice kind="info">Read only: this key may read this bucket but not upload to it or delete from it.</Notice>
      )}
      <section aria-labelledby="files-title">
        <h2 id="files-title">Files</h2>
        <div class="toolbar">
          <form
            role="search"
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              go({ prefix: search });
            }}
          >
            <label for="prefix">Name starts with</label>
            <input id="prefix" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} spellcheck={false} autocomplete="off" />
            <button type="submit">Search</button>
            {prefix && (
              <button type="button" class="link" onClick={() => (setSearch(''), go({ prefix: '' }))}>
                Clear
              </button>
            )}
          </form>
          <label for="sort">Sort by</label>
          <select id="sort" value={sort} onChange={(e) => go({ sort: e.currentTarget.value === 'name' ? 'name' : 'date' })}>
            <option value="date">Date, newest first</option>
            <option value="name">Name, A to Z</option>
          </select>
          {canWrite && (
            <button type="button" class="danger" disabled={selected.size === 0} onClick={() => void removeSelected()}>
              Delete selected ({selected.size})
            </button>
          )}
        </div>
        {page.error && <Notice kind="error">Could not list the files. {describeFailure(page.error)}</Notice>}
        <div class="table-wrap">
          <table class="entries cards-on-phone" aria-busy={page.loading ? 'true' : 'false'}>
            <caption class="sr-only">
              Files of {bucket}
              {prefix ? ` whose names start with ${prefix}` : ''}, sorted by {sort === 'date' ? 'date, newest first' : 'name'}
            </caption>
            <thead>
              <tr>
                {canWrite && (
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label="Select every file on this page"
                      checked={allOnPage}
                      onChange={(e) => setSelected(e.currentTarget.checked ? new Set(entries.map((x) => x.id)) : new Set())}
                    />
                  </th>
                )}
                <th scope="col">Name</th>
                <th scope="col" class="num">
                  Size
                </th>
                <th scope="col">Type</th>
                <th scope="col">Date</th>
                <th scope="col">
                  <span class="sr-only">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  {canWrite && (
                    <td class="select">
                      <input type="checkbox" aria-label={`Select ${e.name}`} checked={selected.has(e.id)} onChange={(ev) => toggle(e.id, ev.currentTarget.checked)} />
                    </td>
                  )}
                  <td class="name" data-label="Name">
                    <a href={routeHref({ page: 'entry', bucket, id: e.id })}>{e.name}</a>
                  </td>
                  <td class="num" data-label="Size">
                    {formatBytes(e.size)}
                  </td>
                  <td data-label="Type">{e.content_type}</td>
                  <td class="date" data-label="Date">
                    {formatTime(e.modified_at)}
                  </td>
                  <td class="row-actions">
                    <button type="button" class="small" onClick={() => void download(e)} aria-label={`Download ${e.name}`}>
                      Download
                    </button>
                  </td>
                </tr>
              ))}
              {page.data && entries.length === 0 && (
                <tr>
                  <td colSpan={canWrite ? 6 : 5} class="muted">
                    {prefix ? `No file's name starts with “${prefix}”.` : cursors.length > 1 ? 'No more files.' : 'No files yet.'}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={cursors.length <= 1} onClick={() => (setSelected(new Set()), setCursors(cursors.slice(0, -1)))}>
            Previous page
          </button>
          <span>Page {cursors.length}</span>
          <button
            type="button"
            disabled={!page.data?.next_cursor}
            onClick={() => {
              setSelected(new Set());
              setCursors([...cursors, page.data!.next_cursor]);
            }}
          >
            Next page
          </button>
        </nav>
      </section>
    </>
  );
}
