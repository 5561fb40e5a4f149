// objstore tokens create|list|show|revoke: API tokens of the REST API.
import { Command, Option } from 'commander';
import { call, connection } from '../admin-client.js';
import { printJson, printTable } from '../output.js';
import type { Globals } from './global-options.js';

interface TokenJson {
  id: number;
  name: string;
  scope: string;
  prefix: string;
  is_root: boolean;
  created_at: string;
  revoked_at: string | null;
  token?: string;
}

const row = (t: TokenJson) => [t.id, t.scope, t.is_root ? 'root' : '', `${t.prefix}...`, t.name, t.created_at, t.revoked_at];

export function tokensCommand(global: Globals): Command {
  const tokens = new Command('tokens').description('API tokens of the REST API (needs an admin token)');

  tokens
    .command('create')
    .description('create a token; its value is printed once')
    .addOption(new Option('--scope <scope>', 'what the token may do').choices(['read', 'write', 'admin']).makeOptionMandatory())
    .option('--name <name>', 'a note to tell tokens apart', '')
    .action(async (opts: { scope: string; name: string }) => {
      const created: TokenJson = await call(await connection(global()), 'POST', '/admin/tokens', { scope: opts.scope, name: opts.name });
      if (global().json) return printJson(created);
      process.stdout.write(`token ${created.id} (${created.scope}${created.name ? `, ${created.name}` : ''}) created; it is shown this once:\n${created.token}\n`);
    });

  tokens
    .command('list')
    .description('list tokens in force')
    .option('--revoked', 'include revoked tokens')
    .action(async (opts: { revoked?: boolean }) => {
      const { tokens: list } = (await call(await connection(global()), 'GET', `/admin/tokens${opts.revoked ? '?revoked=true' : ''}`)) as { tokens: TokenJson[] };
      if (global().json) return printJson(list);
      printTable(['ID', 'SCOPE', 'ROOT', 'STARTS WITH', 'NAME', 'CREATED', 'REVOKED'], list.map(row), 'no tokens');
    });

  tokens
    .command('show <id>')
    .description('show one token (never its value)')
    .action(async (id: string) => {
      const token: TokenJson = await call(await connection(global()), 'GET', `/admin/tokens/${encodeURIComponent(id)}`);
      if (global().json) return printJson(token);
      printTable(['ID', 'SCOPE', 'ROOT', 'STARTS WITH', 'NAME', 'CREATED', 'REVOKED'], [row(token)], '');
    });

  tokens
    .command('revoke <id>')
    .description('revoke a token: it stops working at once')
    .action(async (id: string) => {
      const result = (await call(await connection(global()), 'DELETE', `/admin/tokens/${encodeURIComponent(id)}`)) as TokenJson & { message: string };
      if (global().json) return printJson(result);
      process.stdout.write(`token ${result.id}: ${result.message}\n`);
    });

  return tokens;
}
