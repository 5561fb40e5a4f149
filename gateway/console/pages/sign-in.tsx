// Signing in: an access key id and its secret, checked against the gateway before they are kept
// (sessionStorage only). Where the REST API runs without authentication (AUTH=off) the console may
// be used without a key; S3 buckets still need one.
import { useState } from 'preact/hooks';
import { Gateway, type ConsoleConfig } from '../api/gateway.js';
import type { Session } from '../api/session.js';
import { Notice } from '../components/notice.js';
import { describeFailure } from '../lib/failure.js';
import { failureFrom } from '../hooks.js';

export function SignIn(props: { config: ConsoleConfig; clockOffsetMs: number; message: string | null; onSignedIn: (s: Session) => void }) {
  const [keyId, setKeyId] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | null>(props.message);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const credentials = { accessKeyId: keyId.trim(), secretAccessKey: secret };
    if (!credentials.accessKeyId || !credentials.secretAccessKey) {
      setError('Give both the access key id and its secret.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      // The S3 API checks every signature (also with AUTH=off): a wrong secret fails here, not later.
      const gateway = new Gateway(props.config, credentials, props.clockOffsetMs);
      await gateway.s3('GET', gateway.s3Url(''));
      props.onSignedIn({ kind: 'key', credentials });
    } catch (err) {
      setError(`Sign-in failed. ${describeFailure(failureFrom(err))}`);
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin" tabIndex={-1}>
      <h1>Sign in</h1>
      <p>
        Sign in with an S3 access key. The first <code>npm start</code> printed the root key (<q>S3 root access key</q> and <q>S3 root secret key</q>); an
        admin can make others on the Access page. The key stays in this browser tab only and is forgotten when you sign out or close the tab.
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      <form onSubmit={submit} class="stack">
        <label for="key-id">Access key id</label>
        <input id="key-id" name="access-key-id" autocomplete="username" spellcheck={false} value={keyId} onInput={(e) => setKeyId(e.currentTarget.value)} required />
        <label for="key-secret">Secret access key</label>
        <input
          id="key-secret"
          name="secret-access-key"
          type="password"
          autocomplete="current-password"
          spellcheck={false}
          value={secret}
          onInput={(e) => setSecret(e.currentTarget.value)}
          required
        />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
      {!props.config.auth && (
        <section class="panel">
          <h2>Without a key</h2>
          <p>This gateway runs without authentication (AUTH=off): its REST API, the cluster pages and the REST files work without a key. S3 buckets need one.</p>
          <button type="button" onClick={() => props.onSignedIn({ kind: 'anonymous' })}>
            Continue without a key
          </button>
        </section>
      )}
    </main>
  );
}
