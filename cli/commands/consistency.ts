// objstore consistency check [--repair]: runs a check and waits for its report (exit code 4 when it
// found something).
import { Command } from 'commander';
import { call, CliError, connection, EXIT } from '../admin-client.js';
import { printJson, printTable } from '../output.js';
import type { Globals } from './global-options.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function consistencyCommand(global: Globals): Command {
  const consistency = new Command('consistency').description('compare the metadata with what the nodes hold (needs an admin token)');
  consistency
    .command('check')
    .description('run a check and print its findings')
    .option('--repair', 'also fix what it finds (heals, row fixes, deletions of stale orphans)')
    .option('--timeout <seconds>', 'give up waiting for the report after this long', '3600')
    .action(async (opts: { repair?: boolean; timeout: string }) => {
      const conn = await connection(global());
      const timeoutMs = Number(opts.timeout) * 1000;
      if (!(timeoutMs > 0)) throw new CliError('--timeout must be a positive number of seconds', EXIT.usage);
      const started = await call(conn, 'POST', `/admin/consistency-check${opts.repair ? '?repair=true' : ''}`);
      const deadline = Date.now() + timeoutMs;
      let last: any;
      for (;;) {
        last = await call(conn, 'GET', '/admin/consistency-check');
        if (last.id === started.id && last.state !== 'running') break;
        if (Date.now() > deadline) throw new CliError(`check ${started.id} still running after ${opts.timeout} s; GET /admin/consistency-check shows it later`, EXIT.refused);
        await sleep(500);
      }
      if (last.state !== 'done') throw new CliError(`check ${last.id} failed: ${last.report?.error ?? 'unknown error'}`, EXIT.refused);
      const report = last.report;
      if (global().json) printJson(last);
      else {
        process.stdout.write(
          `check ${last.id}${last.repair ? ' (repair)' : ''}: ${report.findings.length} findings; nodes listed ${report.nodesChecked.length}, skipped ${report.nodesSkipped.length}\n`,
        );
        for (const s of report.nodesSkipped) process.stdout.write(`  skipped node ${s.id} (${s.address}): ${s.reason}\n`);
        printTable(
          ['KIND', 'FILE', 'CHUNK', 'NODE', 'RECOMMENDATION', ...(last.repair ? ['DONE'] : [])],
          report.findings.map((f: any) => [f.kind, f.fileId ?? null, f.chunkId ?? null, f.nodeId ?? null, f.recommendation, ...(last.repair ? [f.repair ?? null] : [])]),
          'no findings: the metadata and the nodes agree',
        );
        if (report.truncated) process.stdout.write('(more findings than listed: fix these and run the check again)\n');
      }
      if (report.findings.length > 0) process.exitCode = EXIT.problems;
    });
  return consistency;
}
