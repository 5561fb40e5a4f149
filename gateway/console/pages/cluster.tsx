// The cluster: every node (health, circuit breaker, fill, chunks), the redundancy summary and heal
// queue, throughput of the last minutes, refreshed live; and the admin actions, each confirmed: add,
// drain and remove nodes, rebalance, a consistency check and its report.
import { useState } from 'preact/hooks';
import { RequestFailed } from '../api/gateway.js';
import { useConfirm } from '../components/confirm.js';
import { FillBar } from '../components/fill-bar.js';
import { Notice } from '../components/notice.js';
import { ThroughputChart } from '../components/throughput-chart.js';
import { useConsole } from '../context.js';
import { failureFrom, useLoad } from '../hooks.js';
import type { HistoryPoint } from '../lib/chart.js';
import { nodeHealth, nodeRows, type CheckRun, type CheckSummary, type NodeRow, type Redundancy, type SpaceNode, type SystemStatus } from '../lib/cluster.js';
import { describeFailure } from '../lib/failure.js';
import { formatBytes, formatCount, formatTime } from '../lib/format.js';

type Message = { kind: 'ok' | 'error'; text: string } | null;

export function ClusterPage() {
  const { abilities } = useConsole();
  if (!abilities.admin) {
    return (
      <>
        <h1>Cluster</h1>
        <Notice kind="info">The cluster page needs an admin key (the root key, or an admin API token).</Notice>
      </>
    );
  }
  return <ClusterView />;
}

function ClusterView() {
  const { gateway, refreshMs } = useConsole();
  const [message, setMessage] = useState<Message>(null);
  const [dialog, confirm] = useConfirm();

  const cluster = useLoad(
    async () => {
      const [status, nodes, redundancy] = await Promise.all([
        gateway.rest<SystemStatus>('GET', '/admin/status'),
        gateway.rest<{ nodes: SpaceNode[] }>('GET', '/admin/nodes'),
        gateway.rest<Redundancy>('GET', '/admin/redundancy'),
      ]);
      return { status, rows: nodeRows(status.nodes, nodes.nodes), redundancy };
    },
    'cluster',
    refreshMs,
  );
  // A gateway without the history answers 404: asked once per visit, not again every few seconds.
  const [historyMissing, setHistoryMissing] = useState(false);
  const history = useLoad(
    async () => {
      if (historyMissing) return null;
      try {
        return (await gateway.rest<{ points: HistoryPoint[] }>('GET', '/admin/history')).points;
      } catch (err) {
        if (err instanceof RequestFailed && err.failure.status === 404) {
          setHistoryMissing(true);
          return null;
        }
        throw err;
      }
    },
    'history',
    historyMissing ? undefined : Math.max(refreshMs, 5_000),
  );

  const act = async (ask: Parameters<typeof confirm>[0], run: () => Promise<string>): Promise<void> => {
    if (!(await confirm(ask))) return;
    try {
      setMessage({ kind: 'ok', text: await run() });
    } catch (err) {
      setMessage({ kind: 'error', text: `${ask.confirm}: failed. ${describeFailure(failureFrom(err))}` });
    }
    cluster.reload();
  };

  const drain = (n: NodeRow) =>
    act(
      {
        title: `Drain node ${n.id} (${n.address})?`,
        body: <p>It takes no new chunks, and each of its {formatCount(n.chunks)} chunks is copied to another node, checked, and then deleted from it. Files stay readable throughout.</p>,
        confirm: `Drain node ${n.id}`,
        danger: true,
      },
      async () => {
        const r = await gateway.rest<{ message: string; files_queued: number; chunks_left: number }>('POST', `/admin/nodes/${n.id}/drain`);
        return `${r.message} (${formatCount(r.files_queued)} files queued, ${formatCount(r.chunks_left)} chunks to move; follow its chunk count below).`;
      },
    );

  const remove = (n: NodeRow) =>
    act(
      {
        title: `Remove node ${n.id} (${n.address})?`,
        body: <p>Only a node that holds no chunk can be removed; it is no longer probed. Stop its process first, or it registers again when it next announces itself.</p>,
        confirm: `Remove node ${n.id}`,
        danger: true,
      },
      async () => (await gateway.rest<{ message: string }>('DELETE', `/admin/nodes/${n.id}`)).message,
    );

  const rebalance = () =>
    act(
      { title: 'Rebalance the cluster?', body: <p>Chunks move from the fullest nodes to the emptiest until they are within 10% of the mean, at the healer's pace.</p>, confirm: 'Rebalance' },
      async () => {
        const r = await gateway.rest<{ message: string; moves_queued: number }>('POST', '/admin/rebalance');
        return `${r.message}: ${formatCount(r.moves_queued)} moves queued (follow "Chunks moved" and the heal queue below).`;
      },
    );

  const data = cluster.data;
  const r = data?.redundancy;
  const degraded = r ? r.degraded.reduce((a, d) => a + d.files, 0) : null;
  return (
    <>
      <h1>Cluster</h1>
      {dialog}
      {message && (
        <Notice kind={message.kind} onClose={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
      {cluster.error && <Notice kind="error">The cluster's state could not be read. {describeFailure(cluster.error)}</Notice>}
      <p class="muted" aria-live="off">
        Refreshed every {Math.round(refreshMs / 1000)} s{cluster.at ? `; last at ${formatTime(new Date(cluster.at)).slice(11)}` : ''}.
      </p>

      <section aria-labelledby="nodes-title">
        <h2 id="nodes-title">Storage nodes</h2>
        <div class="table-wrap">
          <table class="nodes cards-on-phone">
            <caption class="sr-only">Storage nodes</caption>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Health</th>
                <th scope="col">Circuit breaker</th>
                <th scope="col">Disk</th>
                <th scope="col" class="num">
                  Chunks
                </th>
                <th scope="col">Last seen</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(data?.rows ?? []).map((n) => {
                const health = nodeHealth(n);
                return (
                  <tr key={n.id} data-node-id={n.id} data-node-address={n.address} data-node-status={n.status}>
                    <td data-label="Node">
                      <strong>{n.id}</strong> {n.address}
                      {n.name && <div class="muted">{n.name}</div>}
                    </td>
                    <td data-label="Health">
                      <span class={`state state-${health.tone}`}>{health.label}</span>
                      {n.error && <div class="muted small-text">{n.error}</div>}
                    </td>
                    <td data-label="Breaker">
                      <span class={`state state-${n.breaker === 'closed' ? 'ok' : 'bad'}`}>{n.breaker === 'closed' ? 'closed (in use)' : 'open (skipped)'}</span>
                    </td>
                    <td data-label="Disk">
                      <FillBar used={n.used} total={n.total} label={`Disk of node ${n.id}`} />
                    </td>
                    <td class="num" data-label="Chunks">
                      {formatCount(n.chunks)}
                      <div class="muted">{formatBytes(n.chunk_bytes)}</div>
                    </td>
                    <td class="date" data-label="Last seen">
                      {formatTime(n.last_seen_at)}
                    </td>
                    <td class="row-actions">
                      {!n.draining && (
                        <button type="button" class="small" onClick={() => void drain(n)} aria-label={`Drain node ${n.id}`}>
                          Drain
                        </button>
                      )}
                      <button
                        type="button"
                        class="small danger"
                        disabled={(n.chunks ?? 1) > 0}
                        title={(n.chunks ?? 1) > 0 ? 'Only an empty node can be removed: drain it first' : undefined}
                        onClick={() => void remove(n)}
                        aria-label={`Remove node ${n.id}`}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <AddNode onDone={(m) => (setMessage(m), cluster.reload())} confirm={confirm} />
      </section>

      <section aria-labelledby="redundancy-title">
        <h2 id="redundancy-title">Redundancy</h2>
        {r && (
          <div class="cards">
            <Card label="Files" value={formatCount(r.files)} />
            <Card label="Fully redundant" value={formatCount(r.fully_redundant)} tone="ok" />
            <Card label="Degraded" value={formatCount(degraded)} tone={degraded ? 'warn' : undefined} detail={r.degraded.map((d) => `${d.files} missing ${d.missing_chunks}`).join(', ')} />
            <Card label="Unreadable" value={formatCount(r.unreadable)} tone={r.unreadable ? 'bad' : undefined} />
            <Card label="Bytes at risk" value={formatBytes(r.bytes_at_risk)} />
            <Card label="Heal queue" value={`${formatCount(r.heal_queue.files)} files`} detail={`${formatCount(r.heal_queue.chunks)} chunks to rebuild, ${formatCount(r.heal_queue.claimed)} being worked on`} />
            <Card label="Chunks healed" value={formatCount(r.heals.done)} detail={`${formatBytes(r.heals.bytes)}; ${formatCount(r.heals.failed)} failed`} />
            <Card label="Chunks moved" value={formatCount(r.moves?.done ?? 0)} detail={`${formatBytes(r.moves?.bytes ?? 0)} by drains and rebalancing`} />
            <Card label="Healer" value={`${data?.status.healer.busy ?? 0} of ${data?.status.healer.workers ?? 0} busy`} />
          </div>
        )}
        <div class="actions">
          <button type="button" onClick={() => void rebalance()}>
            Rebalance…
          </button>
        </div>
      </section>

      <section aria-labelledby="throughput-title">
        <h2 id="throughput-title">Throughput</h2>
        <ThroughputChart points={history.data ?? null} missing={historyMissing} error={history.error ? describeFailure(history.error) : null} />
      </section>

      <ConsistencyCheck confirm={confirm} summary={data && data.status.consistency_check && !('error' in data.status.consistency_check) ? data.status.consistency_check : null} />
    </>
  );
}

function Card(props: { label: string; value: string; detail?: string; tone?: 'ok' | 'warn' | 'bad' }) {
  return (
    <div class={`card${props.tone ? ` card-${props.tone}` : ''}`}>
      <div class="card-label">{props.label}</div>
      <div class="card-value">{props.value}</div>
      {props.detail && <div class="card-detail muted">{props.detail}</div>}
    </div>
  );
}

function AddNode(props: { onDone: (m: Message) => void; confirm: ReturnType<typeof useConfirm>[1] }) {
  const { gateway } = useConsole();
  const [address, setAddress] = useState('');
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const a = address.trim();
    if (!a) return;
    const ok = await props.confirm({
      title: `Add the node at ${a}?`,
      body: <p>The gateway asks it for its health first; once added, new files use it and a rebalance moves chunks onto it.</p>,
      confirm: 'Add node',
    });
    if (!ok) return;
    try {
      const n = await gateway.rest<{ id: number; address: string }>('POST', '/admin/nodes', { address: a });
      setAddress('');
      props.onDone({ kind: 'ok', text: `Node ${n.id} (${n.address}) added.` });
    } catch (err) {
      props.onDone({ kind: 'error', text: `The node at ${a} was not added. ${describeFailure(failureFrom(err))}` });
    }
  };
  return (
    <form class="inline-form panel" onSubmit={submit}>
      <label for="node-address">Add a node at (host:port)</label>
      <input id="node-address" value={address} onInput={(e) => setAddress(e.currentTarget.value)} placeholder="10.0.0.7:50051" spellcheck={false} autocomplete="off" />
      <button type="submit">Add node…</button>
    </form>
  );
}

/** The last check: its summary comes with the live status; its report is read when that changes. */
function ConsistencyCheck(props: { confirm: ReturnType<typeof useConfirm>[1]; summary: CheckSummary | null }) {
  const { gateway } = useConsole();
  const [repair, setRepair] = useState(false);
  const [message, setMessage] = useState<Message>(null);
  const summary = props.summary;
  const last = useLoad(
    async () => (summary ? await gateway.rest<CheckRun>('GET', '/admin/consistency-check') : null),
    summary ? `${summary.id}|${summary.state}` : 'none',
  );
  const start = async (): Promise<void> => {
    const ok = await props.confirm({
      title: repair ? 'Start a consistency check that repairs?' : 'Start a consistency check?',
      body: (
        <p>
          Every reachable node lists its chunks, and they are compared with the metadata.
          {repair ? ' What it finds is repaired: missing chunks are healed, rows pointed back, stale orphans deleted.' : ' Nothing is changed.'}
        </p>
      ),
      confirm: repair ? 'Start and repair' : 'Start the check',
      danger: repair,
    });
    if (!ok) return;
    try {
      await gateway.rest('POST', `/admin/consistency-check${repair ? '?repair=true' : ''}`);
      setMessage({ kind: 'ok', text: 'Check started; its report shows below when done.' });
    } catch (err) {
      setMessage({ kind: 'error', text: `The check did not start. ${describeFailure(failureFrom(err))}` });
    }
    last.reload();
  };
  const run = last.data;
  const findings = run?.report?.findings ?? [];
  return (
    <section aria-labelledby="check-title">
      <h2 id="check-title">Consistency check</h2>
      {message && (
        <Notice kind={message.kind} onClose={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
      <div class="inline-form">
        <input id="check-repair" type="checkbox" checked={repair} onChange={(e) => setRepair(e.currentTarget.checked)} />
        <label for="check-repair">Repair what it finds</label>
        <button type="button" onClick={() => void start()} disabled={run?.state === 'running'}>
          Start a check…
        </button>
      </div>
      {last.error && <Notice kind="error">{describeFailure(last.error)}</Notice>}
      {run === null && <p class="muted">No check has run yet.</p>}
      {run && (
        <div class="check" aria-live="polite">
          <p>
            Check {run.id}
            {run.repair ? ' (repairing)' : ''}: <strong>{run.state}</strong>, started {formatTime(run.started_at)}
            {run.finished_at ? `, finished ${formatTime(run.finished_at)}` : ''}.
            {run.report?.nodesChecked && ` ${run.report.nodesChecked.length} nodes checked (${formatCount(run.report.nodesChecked.reduce((a, n) => a + n.chunks, 0))} chunks), ${run.report.nodesSkipped?.length ?? 0} skipped.`}
            {run.report?.error && ` It failed: ${run.report.error}`}
          </p>
          {(run.report?.nodesSkipped?.length ?? 0) > 0 && (
            <ul class="counts">
              {run.report!.nodesSkipped!.map((n) => (
                <li key={n.id}>
                  node {n.id} ({n.address}) skipped: {n.reason}
                </li>
              ))}
            </ul>
          )}
          {run.report?.counts && (
            <ul class="counts">
              {Object.entries(run.report.counts).map(([kind, n]) => (
                <li key={kind}>
                  {kind.replace(/_/g, ' ')}: <strong>{n}</strong>
                </li>
              ))}
            </ul>
          )}
          {findings.length > 0 && (
            <div class="table-wrap">
              <table>
                <caption>Findings{run.report?.truncated ? ' (not all kept: see the counts)' : ''}</caption>
                <thead>
                  <tr>
                    <th scope="col">Kind</th>
                    <th scope="col">Detail</th>
                    <th scope="col">Recommendation</th>
                    {run.repair && <th scope="col">Repair</th>}
                  </tr>
                </thead>
                <tbody>
                  {findings.slice(0, 100).map((f, i) => (
                    <tr key={i}>
                      <td>{f.kind.replace(/_/g, ' ')}</td>
                      <td>{f.detail}</td>
                      <td>{f.recommendation}</td>
                      {run.repair && <td>{f.repair ?? ''}</td>}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
