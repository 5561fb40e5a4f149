// objstore nodes list|add|drain|remove: storage node membership.
import { Command } from 'commander';
import { call, connection } from '../admin-client.js';
import { printJson, printTable } from '../output.js';
import { bytesText } from '../progress-format.js';
import type { Globals } from './global-options.js';

export function nodesCommand(global: Globals): Command {
  const nodes = new Command('nodes').description('storage nodes (needs an admin token)');

  nodes
    .command('list')
    .description('every node with health, fill and what it holds')
    .action(async () => {
      const { nodes: list } = await call(await connection(global()), 'GET', '/admin/nodes');
      if (global().json) return printJson(list);
      printTable(
        ['ID', 'ADDRESS', 'NAME', 'STATUS', 'FILL', 'CHUNKS', 'BYTES', 'ERROR'],
        list.map((n: any) => [n.id, n.address, n.name, n.draining ? `${n.status}, draining` : n.status, n.disk_fill === null ? null : `${Math.round(n.disk_fill * 100)}%`, n.chunks, bytesText(n.chunk_bytes), n.error]),
        'no storage nodes',
      );
    });

  nodes
    .command('add <address>')
    .description('register a node (host:port); it must answer with the cluster token')
    .action(async (address: string) => {
      const node = await call(await connection(global()), 'POST', '/admin/nodes', { address });
      if (global().json) return printJson(node);
      process.stdout.write(`node ${node.id} at ${node.address}: ${node.status}\n`);
    });

  nodes
    .command('drain <id>')
    .description('take no new chunks on the node and move its chunks away')
    .action(async (id: string) => {
      const r = await call(await connection(global()), 'POST', `/admin/nodes/${encodeURIComponent(id)}/drain`);
      if (global().json) return printJson(r);
      process.stdout.write(`${r.message}: ${r.files_queued} files queued, ${r.chunks_left} chunks left on it\n`);
    });

  nodes
    .command('remove <id>')
    .description('remove a node that holds no chunk (drain it first)')
    .action(async (id: string) => {
      const r = await call(await connection(global()), 'DELETE', `/admin/nodes/${encodeURIComponent(id)}`);
      if (global().json) return printJson(r);
      process.stdout.write(`${r.message}: node ${r.id} (${r.address})\n`);
    });

  return nodes;
}
