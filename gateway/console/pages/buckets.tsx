// Buckets: the S3 buckets this key may see, the REST API's own files, creating a bucket (the
// naming rules shown beside the field and checked as you type) and deleting an empty one.
import { useState } from 'preact/hooks';
import { useConfirm } from '../components/confirm.js';
import { Notice } from '../components/notice.js';
import { useConsole } from '../context.js';
import { failureFrom, useLoad } from '../hooks.js';
import { bucketNameProblem } from '../../s3/bucket-name.js';
import { FILES_BUCKET } from '../lib/abilities.js';
import { describeFailure } from '../lib/failure.js';
import { formatTime } from '../lib/format.js';
import { routeHref } from '../lib/route.js';
import { parseListBuckets, type BucketInfo } from '../lib/s3-listing.js';

const RULES = [
  '3 to 63 characters',
  'lowercase letters a-z, digits, dots (.) and hyphens (-) only',
  'begins and ends with a letter or a digit',
  'no two dots in a row, and not shaped like an IP address (192.168.1.1)',
  'not starting with xn--, sthree- or amzn-s3-demo-, not ending with -s3alias, --ol-s3, .mrap or --x-s3',
];

export function BucketsPage() {
  const { gateway, abilities } = useConsole();
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [dialog, confirm] = useConfirm();
  const buckets = useLoad<BucketInfo[]>(
    async () => (abilities.s3 ? parseListBuckets((await gateway.s3('GET', gateway.s3Url(''))).text) : []),
    'buckets',
  );

  const remove = async (name: string): Promise<void> => {
    const ok = await confirm({
      title: `Delete bucket ${name}?`,
      body: <p>Only an empty bucket can be deleted. Grants that name it are deleted with it.</p>,
      confirm: `Delete bucket ${name}`,
      danger: true,
    });
    if (!ok) return;
    try {
      await gateway.s3('DELETE', gateway.s3Url(name));
      setMessage({ kind: 'ok', text: `Bucket ${name} deleted.` });
      buckets.reload();
    } catch (err) {
      setMessage({ kind: 'error', text: `Bucket ${name} was not deleted. ${describeFailure(failureFrom(err))}` });
    }
  };

  return (
    <>
      <h1>Buckets</h1>
      {dialog}
      {message && (
        <Notice kind={message.kind} onClose={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
      {buckets.error && <Notice kind="error">Could not list the buckets. {describeFailure(buckets.error)}</Notice>}
      {!abilities.s3 && <Notice kind="info">S3 buckets need an access key: sign out and sign in with one to see them.</Notice>}
      <div class="table-wrap">
        <table class="cards-on-phone">
          <caption class="sr-only">Buckets</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Your access</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {abilities.read(FILES_BUCKET) && (
              <tr>
                <td>
                  <a href={routeHref({ page: 'bucket', bucket: FILES_BUCKET, prefix: '', sort: 'date' })}>{FILES_BUCKET}</a>
                  <span class="muted"> — the REST API's files (/files)</span>
                </td>
                <td data-label="Created">–</td>
                <td data-label="Your access">{access(abilities.read(FILES_BUCKET), abilities.write(FILES_BUCKET))}</td>
                <td />
              </tr>
            )}
            {(buckets.data ?? []).map((b) => (
              <tr key={b.name}>
                <td data-label="Name">
                  <a href={routeHref({ page: 'bucket', bucket: b.name, prefix: '', sort: 'date' })}>{b.name}</a>
                </td>
                <td class="date" data-label="Created">
                  {formatTime(b.created)}
                </td>
                <td data-label="Your access">{access(abilities.read(b.name), abilities.write(b.name))}</td>
                <td class="row-actions">
                  {abilities.createBuckets && (
                    <button type="button" class="danger small" onClick={() => void remove(b.name)} aria-label={`Delete bucket ${b.name}`}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
            {buckets.data && buckets.data.length === 0 && abilities.s3 && (
              <tr>
                <td colSpan={4} class="muted">
                  No S3 bucket {abilities.createBuckets ? 'yet' : 'that this key holds a grant on'}.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {abilities.createBuckets && <CreateBucket onCreated={(name) => (setMessage({ kind: 'ok', text: `Bucket ${name} created.` }), buckets.reload())} />}
    </>
  );
}

function access(read: boolean, write: boolean): string {
  return read && write ? 'read and write' : read ? 'read only' : write ? 'write only' : 'none';
}

function CreateBucket(props: { onCreated: (name: string) => void }) {
  const { gateway } = useConsole();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const problem = name === '' ? null : bucketNameProblem(name);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const p = bucketNameProblem(name);
    if (p) {
      setError(`${p}.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await gateway.s3('PUT', gateway.s3Url(name));
      setName('');
      props.onCreated(name);
    } catch (err) {
      setError(`Bucket ${name} was not created. ${describeFailure(failureFrom(err))}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="create-bucket">
      <h2 id="create-bucket">Create a bucket</h2>
      <form onSubmit={submit} class="inline-form">
        <label for="bucket-name">Bucket name</label>
        <input
          id="bucket-name"
          value={name}
          onInput={(e) => (setName(e.currentTarget.value), setError(null))}
          aria-describedby="bucket-rules bucket-problem"
          aria-invalid={problem ? 'true' : 'false'}
          spellcheck={false}
          autocomplete="off"
        />
        <button type="submit" class="primary" disabled={busy}>
          Create
        </button>
      </form>
      <p id="bucket-problem" class="field-problem" aria-live="polite">
        {problem ? `${problem}.` : ''}
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      <div id="bucket-rules" class="rules">
        <p>A bucket name is part of every address of its files, so S3 sets rules for it:</p>
        <ul>
          {RULES.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      </div>
    </section>
  );
}
