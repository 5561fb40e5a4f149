// objstore status | redundancy | heal status: how the cluster is.
import { Command } from 'commander';
import { call, connection, EXIT } from '../admin-client.js';
import { printJson, printTable } from '../output.js';
import { bytesText } from '../progress-format.js';
import type { Globals } from './global-options.js';

/** Problems a status shows, one line each; none means healthy. */
export function statusProblems(s: any): string[] {
  const problems: string[] = [];
  if (!s.database?.reachable) problems.push(`database unreachable: ${s.database?.error ?? '?'}`);
  for (const n of s.nodes ?? []) if (n.status !== 'healthy') problems.push(`node ${n.id} (${n.address}) is ${n.status}${n.error ? `: ${n.error}` : ''}`);
  if (s.redundancy?.unreadable > 0) problems.push(`${s.redundancy.unreadable} files unreadable`);
  if (s.redundancy?.degraded > 0) problems.push(`${s.redundancy.degraded} files degraded (healing)`);
  return problems;
}

export function statusCommands(global: Globals): Command[] {
  const status = new Command('status')
    .description('the whole cluster on one page (exit code 4 when something is wrong)')
    .action(async () => {
      const s = await call(await connection(global()), 'GET', '/admin/status');
      const problems = statusProblems(s);
      if (global().json) printJson(s);
      else {
        const r = s.redundancy;
        process.stdout.write(
          `gateway ${s.version} on ${s.gateway.host} (pid ${s.gateway.pid}), up ${s.gateway.uptime_seconds} s\n` +
            `database ${s.database.reachable ? `reachable, ${s.database.latency_ms} ms` : `UNREACHABLE: ${s.database.error}`}; ` +
            `pool ${s.database.pool.total} connections, ${s.database.pool.idle} idle, ${s.database.pool.waiting} waiting\n` +
            (r.error ? `redundancy: ${r.error}\n` : `files ${r.files}: ${r.fully_redundant} fully redundant, ${r.degraded} degraded, ${r.unreadable} unreadable\n`) +
            `heal queue ${s.healer.queue?.files ?? '?'} files; deletion queue ${s.deletion_queue?.chunks ?? '?'} chunks\n`,
        );
        printTable(
          ['ID', 'ADDRESS', 'STATUS', 'BREAKER', 'FILL', 'CHUNKS', 'LAST SEEN'],
          s.nodes.map((n: any) => [n.id, n.address, n.draining ? `${n.status}, draining` : n.status, n.breaker, n.disk_fill === null ? null : `${Math.round(n.disk_fill * 100)}%`, n.chunks, n.last_seen_at]),
          'no storage nodes',
        );
        process.stdout.write(problems.length ? `problems:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` : 'no problems\n');
      }
      if (problems.length) process.exitCode = EXIT.problems;
    });

  const redundancy = new Command('redundancy').description('how redundant the files are, and the heal queue').action(async () => {
    const r = await call(await connection(global()), 'GET', '/admin/redundancy');
    if (global().json) return printJson(r);
    process.stdout.write(
      `files ${r.files}: ${r.fully_redundant} fully redundant, ${r.unreadable} unreadable, ${bytesText(r.bytes_at_risk)} at risk\n` +
        r.degraded.map((d: any) => `  ${d.files} files (${bytesText(d.bytes)}) missing ${d.missing_chunks} chunk(s)\n`).join('') +
        `heal queue: ${r.heal_queue.files} files, ${r.heal_queue.chunks} chunks; heals done ${r.heals.done}, failed ${r.heals.failed}\n`,
    );
  });

  const heal = new Command('heal').description('the healer');
  heal
    .command('status')
    .description('the heal queue and the heals done')
    .action(async () => {
      const r = await call(await connection(global()), 'GET', '/admin/redundancy');
      const out = { queue: r.heal_queue, heals: r.heals, moves: r.moves };
      if (global().json) return printJson(out);
      process.stdout.write(
        `queue: ${r.heal_queue.files} files, ${r.heal_queue.chunks} chunks (${r.heal_queue.due} due, ${r.heal_queue.claimed} being healed)\n` +
          `heals: ${r.heals.done} done (${bytesText(r.heals.bytes)}), ${r.heals.failed} failed, last ${r.heals.last_at ?? 'never'}\n` +
          `moves: ${r.moves.done} done (${bytesText(r.moves.bytes)})\n`,
      );
    });
  return [status, redundancy, heal];
}
