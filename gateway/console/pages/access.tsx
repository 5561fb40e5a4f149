// Access: S3 access keys (create, list, revoke) and their grants on buckets, and API tokens of the
// REST API (create with a scope, list, revoke), all through the admin API the CLI uses. A new
// secret is shown once, with a Copy button; the gateway keeps no copy it can show again.
import { useState } from 'preact/hooks';
import { CopyField } from '../components/copy-button.js';
import { useConfirm } from '../components/confirm.js';
import { Notice } from '../components/notice.js';
import { useConsole } from '../context.js';
import { failureFrom, useLoad } from '../hooks.js';
import { grantWords, type AccessKey, type ApiToken, type NewAccessKey, type NewApiToken } from '../lib/access.js';
import { describeFailure } from '../lib/failure.js';
import { formatTime } from '../lib/format.js';
import { parseListBuckets } from '../lib/s3-listing.js';

type Message = { kind: 'ok' | 'error'; text: string } | null;

export function AccessPage() {
  const { abilities } = useConsole();
  if (!abilities.admin) {
    return (
      <>
        <h1>Access</h1>
        <Notice kind="info">The access page needs an admin key.</Notice>
      </>
    );
  }
  return <AccessView />;
}

function AccessView() {
  const [dialog, confirm] = useConfirm();
  return (
    <>
      <h1>Access</h1>
      {dialog}
      <Keys confirm={confirm} />
      <Tokens confirm={confirm} />
    </>
  );
}

type Confirm = ReturnType<typeof useConfirm>[1];

function Keys(props: { confirm: Confirm }) {
  const { gateway, abilities } = useConsole();
  const [message, setMessage] = useState<Message>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<NewAccessKey | null>(null);
  const [showRevoked, setShowRevoked] = useState(false);
  const keys = useLoad(() => gateway.rest<{ keys: AccessKey[] }>('GET', '/admin/keys'), 'keys');
  const buckets = useLoad(async () => (abilities.s3 ? parseListBuckets((await gateway.s3('GET', gateway.s3Url(''))).text).map((b) => b.name) : []), 'bucket-names');

  const fail = (what: string, err: unknown): void => setMessage({ kind: 'error', text: `${what} ${describeFailure(failureFrom(err))}` });

  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      const k = await gateway.rest<NewAccessKey>('POST', '/admin/keys', name.trim() ? { name: name.trim() } : undefined);
      setCreated(k);
      setName('');
      setMessage(null);
      keys.reload();
    } catch (err) {
      fail('The key was not created.', err);
    }
  };

  const revoke = async (k: AccessKey): Promise<void> => {
    const ok = await props.confirm({
      title: `Revoke access key ${k.access_key_id}?`,
      body: <p>Every request signed with it fails from now on (within {`S3_KEY_CACHE_MS`}, 5 s by default, on other gateways). A revoked key cannot be restored.</p>,
      confirm: 'Revoke key',
      danger: true,
    });
    if (!ok) return;
    try {
      await gateway.rest('DELETE', `/admin/keys/${encodeURIComponent(k.access_key_id)}`);
      setMessage({ kind: 'ok', text: `Access key ${k.access_key_id} revoked.` });
      if (created?.access_key_id === k.access_key_id) setCreated(null);
    } catch (err) {
      fail(`Access key ${k.access_key_id} was not revoked.`, err);
    }
    keys.reload();
  };

  const takeBack = async (k: AccessKey, bucket: string): Promise<void> => {
    const ok = await props.confirm({
      title: `Take back ${k.access_key_id}'s access to ${bucket}?`,
      body: <p>The key can no longer read or write that bucket.</p>,
      confirm: 'Take back',
      danger: true,
    });
    if (!ok) return;
    try {
      await gateway.rest('DELETE', `/admin/keys/${encodeURIComponent(k.access_key_id)}/grants/${encodeURIComponent(bucket)}`);
      setMessage({ kind: 'ok', text: `${k.access_key_id} no longer has access to ${bucket}.` });
    } catch (err) {
      fail('The grant was not taken back.', err);
    }
    keys.reload();
  };

  const grant = async (k: AccessKey, bucket: string, read: boolean, write: boolean): Promise<void> => {
    try {
      await gateway.rest('PUT', `/admin/keys/${encodeURIComponent(k.access_key_id)}/grants/${encodeURIComponent(bucket)}`, { read, write });
      setMessage({ kind: 'ok', text: `${k.access_key_id} may now ${grantWords({ read, write })} ${bucket}.` });
    } catch (err) {
      fail('The grant was not given.', err);
    }
    keys.reload();
  };

  const list = (keys.data?.keys ?? []).filter((k) => showRevoked || !k.revoked_at);
  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">S3 access keys</h2>
      {message && (
        <Notice kind={message.kind} onClose={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
      {keys.error && <Notice kind="error">The keys could not be listed. {describeFailure(keys.error)}</Notice>}
      <form class="inline-form panel" onSubmit={create}>
        <label for="key-name">New key's name (optional)</label>
        <input id="key-name" value={name} onInput={(e) => setName(e.currentTarget.value)} autocomplete="off" maxLength={200} />
        <button type="submit" class="primary">
          Create access key
        </button>
      </form>
      {created && (
        <div class="secret-once panel" role="region" aria-labelledby="new-key-title">
          <h3 id="new-key-title">New access key {created.name ? `“${created.name}”` : ''}</h3>
          <p>
            <strong>The secret is shown this once.</strong> Copy it now: the gateway keeps it sealed and never shows it again. The key has no grant yet: give
            it one below.
          </p>
          <CopyField id="new-key-id" label="Access key id" value={created.access_key_id} />
          <CopyField id="new-key-secret" label="Secret access key" value={created.secret_access_key} />
          <button type="button" onClick={() => setCreated(null)}>
            I have saved it
          </button>
        </div>
      )}
      <label class="check-line">
        <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.currentTarget.checked)} /> Show revoked keys
      </label>
      <div class="table-wrap">
        <table class="keys cards-on-phone">
          <caption class="sr-only">Access keys</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Created</th>
              <th scope="col">Grants</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((k) => (
              <tr key={k.access_key_id} data-key-id={k.access_key_id} class={k.revoked_at ? 'revoked' : ''}>
                <td data-label="Key">
                  <span class="mono">{k.access_key_id}</span>
                  {k.name && <div>{k.name}</div>}
                  {k.is_root && <div class="state state-ok">root: may do everything</div>}
                  {k.revoked_at && <div class="state state-bad">revoked {formatTime(k.revoked_at)}</div>}
                </td>
                <td class="date" data-label="Created">
                  {formatTime(k.created_at)}
                </td>
                <td data-label="Grants">
                  {k.is_root ? (
                    <span class="muted">every bucket</span>
                  ) : (
                    <>
                      <ul class="grants">
                        {k.grants.map((g) => (
                          <li key={g.bucket}>
                            <span class="mono">{g.bucket}</span>: {grantWords(g)}{' '}
                            {!k.revoked_at && (
                              <button type="button" class="link" onClick={() => void takeBack(k, g.bucket)} aria-label={`Take back ${k.access_key_id}'s access to ${g.bucket}`}>
                                take back
                              </button>
                            )}
                          </li>
                        ))}
                        {k.grants.length === 0 && <li class="muted">none</li>}
                      </ul>
                      {!k.revoked_at && <GrantForm keyId={k.access_key_id} buckets={buckets.data ?? []} onGrant={(b, r, w) => void grant(k, b, r, w)} />}
                    </>
                  )}
                </td>
                <td class="row-actions">
                  {!k.is_root && !k.revoked_at && (
                    <button type="button" class="small danger" onClick={() => void revoke(k)} aria-label={`Revoke ${k.access_key_id}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function GrantForm(props: { keyId: string; buckets: string[]; onGrant: (bucket: string, read: boolean, write: boolean) => void }) {
  const [bucket, setBucket] = useState('');
  const [read, setRead] = useState(true);
  const [write, setWrite] = useState(false);
  const id = `grant-${props.keyId}`;
  return (
    <form
      class="grant-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (bucket.trim()) props.onGrant(bucket.trim(), read, write);
      }}
    >
      <label for={`${id}-bucket`}>Bucket</label>
      <input id={`${id}-bucket`} list={`${id}-buckets`} value={bucket} onInput={(e) => setBucket(e.currentTarget.value)} spellcheck={false} autocomplete="off" size={14} />
      <datalist id={`${id}-buckets`}>
        {['.files', ...props.buckets].map((b) => (
          <option key={b} value={b} />
        ))}
      </datalist>
      <label>
        <input type="checkbox" checked={read} onChange={(e) => setRead(e.currentTarget.checked)} /> read
      </label>
      <label>
        <input type="checkbox" checked={write} onChange={(e) => setWrite(e.currentTarget.checked)} /> write
      </label>
      <button type="submit" class="small" aria-label={`Grant ${props.keyId} access to the bucket`}>
        Grant
      </button>
    </form>
  );
}

function Tokens(props: { confirm: Confirm }) {
  const { gateway } = useConsole();
  const [message, setMessage] = useState<Message>(null);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<'read' | 'write' | 'admin'>('read');
  const [created, setCreated] = useState<NewApiToken | null>(null);
  const tokens = useLoad(() => gateway.rest<{ tokens: ApiToken[] }>('GET', '/admin/tokens'), 'tokens');

  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      const t = await gateway.rest<NewApiToken>('POST', '/admin/tokens', { scope, ...(name.trim() ? { name: name.trim() } : {}) });
      setCreated(t);
      setName('');
      setMessage(null);
      tokens.reload();
    } catch (err) {
      setMessage({ kind: 'error', text: `The token was not created. ${describeFailure(failureFrom(err))}` });
    }
  };

  const revoke = async (t: ApiToken): Promise<void> => {
    const ok = await props.confirm({
      title: `Revoke API token ${t.id} (${t.prefix}…)?`,
      body: <p>The next request with it is refused, on every gateway. A revoked token cannot be restored.</p>,
      confirm: 'Revoke token',
      danger: true,
    });
    if (!ok) return;
    try {
      await gateway.rest('DELETE', `/admin/tokens/${t.id}`);
      setMessage({ kind: 'ok', text: `API token ${t.id} revoked.` });
      if (created?.id === t.id) setCreated(null);
    } catch (err) {
      setMessage({ kind: 'error', text: `API token ${t.id} was not revoked. ${describeFailure(failureFrom(err))}` });
    }
    tokens.reload();
  };

  return (
    <section aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p class="muted">
        For scripts and the CLI on the REST API (<code>Authorization: Bearer …</code>): read lets them read /files, write also upload and delete, admin
        everything.
      </p>
      {message && (
        <Notice kind={message.kind} onClose={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
      {tokens.error && <Notice kind="error">The tokens could not be listed. {describeFailure(tokens.error)}</Notice>}
      <form class="inline-form panel" onSubmit={create}>
        <label for="token-name">New token's name (optional)</label>
        <input id="token-name" value={name} onInput={(e) => setName(e.currentTarget.value)} autocomplete="off" maxLength={200} />
        <label for="token-scope">Scope</label>
        <select id="token-scope" value={scope} onChange={(e) => setScope(e.currentTarget.value as 'read' | 'write' | 'admin')}>
          <option value="read">read</option>
          <option value="write">write</option>
          <option value="admin">admin</option>
        </select>
        <button type="submit" class="primary">
          Create API token
        </button>
      </form>
      {created && (
        <div class="secret-once panel" role="region" aria-labelledby="new-token-title">
          <h3 id="new-token-title">New API token {created.id}</h3>
          <p>
            <strong>The token is shown this once.</strong> Copy it now: the gateway keeps only its hash.
          </p>
          <CopyField id="new-token" label={`API token (scope ${created.scope})`} value={created.token} />
          <button type="button" onClick={() => setCreated(null)}>
            I have saved it
          </button>
        </div>
      )}
      <div class="table-wrap">
        <table class="tokens cards-on-phone">
          <caption class="sr-only">API tokens</caption>
          <thead>
            <tr>
              <th scope="col">Token</th>
              <th scope="col">Scope</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(tokens.data?.tokens ?? []).map((t) => (
              <tr key={t.id} data-token-id={t.id}>
                <td data-label="Token">
                  <strong>{t.id}</strong> <span class="mono">{t.prefix}…</span>
                  {t.name && <div>{t.name}</div>}
                  {t.is_root && <div class="state state-ok">root token</div>}
                </td>
                <td data-label="Scope">{t.scope}</td>
                <td class="date" data-label="Created">
                  {formatTime(t.created_at)}
                </td>
                <td class="row-actions">
                  {!t.is_root && (
                    <button type="button" class="small danger" onClick={() => void revoke(t)} aria-label={`Revoke API token ${t.id}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

