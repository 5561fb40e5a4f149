// The console: loads the gateway's config, signs in, then shows the page the URL fragment names,
// under a header with the navigation and the signed-in identity.
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Gateway, loadConfig, RequestFailed, type ConsoleConfig } from './api/gateway.js';
import { clearSession, loadSession, saveSession, type Session } from './api/session.js';
import { Uploads } from './api/uploads.js';
import { Console, type ConsoleContext } from './context.js';
import { failureFrom } from './hooks.js';
import { abilitiesOf, type Whoami } from './lib/abilities.js';
import { describeFailure } from './lib/failure.js';
import { parseRoute, routeHref, type Route } from './lib/route.js';
import { AccessPage } from './pages/access.js';
import { BucketPage } from './pages/bucket.js';
import { BucketsPage } from './pages/buckets.js';
import { ClusterPage } from './pages/cluster.js';
import { EntryPage } from './pages/entry.js';
import { SignIn } from './pages/sign-in.js';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

type Boot =
  | { kind: 'loading' }
  | { kind: 'broken'; message: string }
  | { kind: 'signed-out'; config: ConsoleConfig; clockOffsetMs: number; message: string | null }
  | { kind: 'ready'; config: ConsoleConfig; clockOffsetMs: number; ctx: ConsoleContext; session: Session };

async function enter(config: ConsoleConfig, clockOffsetMs: number, session: Session): Promise<ConsoleContext> {
  const gateway = new Gateway(config, session.kind === 'key' ? session.credentials : null, clockOffsetMs);
  const me = await gateway.rest<Whoami>('GET', '/whoami');
  return {
    gateway,
    me,
    abilities: abilitiesOf(me, gateway.keyId),
    uploads: new Uploads(gateway),
    refreshMs: Math.min(5_000, Math.max(1_000, config.health_interval_ms)),
  };
}

export function App() {
  const [boot, setBoot] = useState<Boot>({ kind: 'loading' });
  const route = useRoute();

  const start = async (session: Session | null, message: string | null = null): Promise<void> => {
    let loaded: Awaited<ReturnType<typeof loadConfig>>;
    try {
      loaded = await loadConfig();
    } catch (err) {
      setBoot({ kind: 'broken', message: `The console cannot reach its gateway. ${describeFailure(failureFrom(err))}` });
      return;
    }
    const { config, clockOffsetMs } = loaded;
    if (!session) {
      setBoot({ kind: 'signed-out', config, clockOffsetMs, message });
      return;
    }
    try {
      const ctx = await enter(config, clockOffsetMs, session);
      saveSession(session);
      setBoot({ kind: 'ready', config, clockOffsetMs, ctx, session });
      if (route.page === 'signin') location.hash = routeHref({ page: 'buckets' });
    } catch (err) {
      clearSession();
      const f = failureFrom(err);
      const refused = err instanceof RequestFailed && f.status === 401;
      setBoot({
        kind: 'signed-out',
        config,
        clockOffsetMs,
        message: refused ? `Signed out: the gateway no longer accepts this key (revoked, or its secret changed). ${describeFailure(f)}` : describeFailure(f),
      });
    }
  };

  useEffect(() => void start(loadSession()), []);

  const signOut = (): void => {
    clearSession();
    // A fresh page: nothing of the session stays in memory either.
    location.hash = routeHref({ page: 'signin' });
    location.reload();
  };

  if (boot.kind === 'loading') {
    return (
      <main id="main" class="boot" aria-busy="true">
        <p>Loading the console…</p>
      </main>
    );
  }
  if (boot.kind === 'broken') {
    return (
      <main id="main" class="boot">
        <h1>Object store console</h1>
        <p class="notice notice-error" role="alert">
          {boot.message}
        </p>
        <button type="button" onClick={() => location.reload()}>
          Try again
        </button>
      </main>
    );
  }
  if (boot.kind === 'signed-out') {
    return (
      <Shell nav={null}>
        <SignIn config={boot.config} clockOffsetMs={boot.clockOffsetMs} message={boot.message} onSignedIn={(s) => void start(s)} />
      </Shell>
    );
  }
  return (
    <Console.Provider value={boot.ctx}>
      <Shell nav={<Nav route={route} ctx={boot.ctx} onSignOut={signOut} />}>
        <Page route={route} />
      </Shell>
    </Console.Provider>
  );
}

function Shell(props: { nav: ComponentChildren; children: ComponentChildren }) {
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Object store</span>
        {props.nav}
      </header>
      {props.children}
    </>
  );
}

function Nav(props: { route: Route; ctx: ConsoleContext; onSignOut: () => void }) {
  const { abilities, me, gateway } = props.ctx;
  const current = props.route.page;
  const link = (page: 'buckets' | 'cluster' | 'access', label: string, active: boolean) => (
    <a href={routeHref({ page })} aria-current={active ? 'page' : undefined}>
      {label}
    </a>
  );
  const who = gateway.keyId ?? (me.caller === 'trusted' ? 'no key (AUTH=off)' : me.caller);
  return (
    <>
      <nav aria-label="Main">
        {link('buckets', 'Buckets', current === 'buckets' || current === 'bucket' || current === 'entry')}
        {abilities.admin && link('cluster', 'Cluster', current === 'cluster')}
        {abilities.admin && link('access', 'Access', current === 'access')}
      </nav>
      <div class="who">
        <span title="Signed in as">
          {who}
          {me.is_root ? ' (root)' : ''}
        </span>
        <button type="button" class="link" onClick={props.onSignOut}>
          Sign out
        </button>
      </div>
    </>
  );
}

function Page(props: { route: Route }) {
  const { route } = props;
  const main = useRef<HTMLElement>(null);
  const key = routeHref(route);
  // A new page moves focus to its content, so that keyboard and screen reader users start there.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [key]);
  const content = useMemo(() => {
    switch (route.page) {
      case 'signin':
      case 'buckets':
        return <BucketsPage />;
      case 'bucket':
        return <BucketPage key={key} bucket={route.bucket} prefix={route.prefix} sort={route.sort} />;
      case 'entry':
        return <EntryPage bucket={route.bucket} id={route.id} />;
      case 'cluster':
        return <ClusterPage />;
      case 'access':
        return <AccessPage />;
    }
  }, [key]);
  return (
    <main id="main" ref={main} tabIndex={-1}>
      {content}
    </main>
  );
}
