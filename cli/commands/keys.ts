// objstore keys create|list|show|revoke|allow|disallow: S3 access keys and their bucket grants.
import { Command } from 'commander';
import { call, CliError, connection, EXIT } from '../admin-client.js';
import { printJson, printTable } from '../output.js';
import type { Globals } from './global-options.js';

interface KeyJson {
  access_key_id: string;
  name: string;
  is_root: boolean;
  created_at: string;
  revoked_at: string | null;
  grants: Array<{ bucket: string; read: boolean; write: boolean }>;
  secret_access_key?: string;
}

const grants = (k: KeyJson): string => k.grants.map((g) => `${g.bucket}:${g.read ? 'r' : ''}${g.write ? 'w' : ''}`).join(',');
const row = (k: KeyJson) => [k.access_key_id, k.is_root ? 'root' : '', k.name, grants(k), k.created_at, k.revoked_at];
const HEADER = ['ACCESS KEY', 'ROOT', 'NAME', 'GRANTS', 'CREATED', 'REVOKED'];

export function keysCommand(global: Globals): Command {
  const keys = new Command('keys').description('S3 access keys and what they may do per bucket (needs an admin token)');
  const key = (id: string): string => `/admin/keys/${encodeURIComponent(id)}`;

  keys
    .command('create')
    .description('create an access key; its secret is printed once')
    .option('--name <name>', 'a note to tell keys apart', '')
    .action(async (opts: { name: string }) => {
      const created: KeyJson = await call(await connection(global()), 'POST', '/admin/keys', { name: opts.name });
      if (global().json) return printJson(created);
      process.stdout.write(`access key ${created.access_key_id} created; its secret is shown this once:\n${created.secret_access_key}\n`);
    });

  keys
    .command('list')
    .description('list access keys')
    .action(async () => {
      const { keys: list } = (await call(await connection(global()), 'GET', '/admin/keys')) as { keys: KeyJson[] };
      if (global().json) return printJson(list);
      printTable(HEADER, list.map(row), 'no access keys');
    });

  keys
    .command('show <id>')
    .description('show one access key and its grants (never its secret)')
    .action(async (id: string) => {
      const k: KeyJson = await call(await connection(global()), 'GET', key(id));
      if (global().json) return printJson(k);
      printTable(HEADER, [row(k)], '');
    });

  keys
    .command('revoke <id>')
    .description('revoke an access key')
    .action(async (id: string) => {
      const result = (await call(await connection(global()), 'DELETE', key(id))) as KeyJson & { message: string };
      if (global().json) return printJson(result);
      process.stdout.write(`access key ${result.access_key_id}: ${result.message}\n`);
    });

  keys
    .command('allow <id> <bucket>')
    .description('let a key read and/or write a bucket (".files" is the REST /files API)')
    .option('--read', 'may read (get, head, list)')
    .option('--write', 'may write (put, delete, multipart)')
    .action(async (id: string, bucket: string, opts: { read?: boolean; write?: boolean }) => {
      if (!opts.read && !opts.write) throw new CliError('say what the key may do: --read, --write or both', EXIT.usage);
      const k: KeyJson = await call(await connection(global()), 'PUT', `${key(id)}/grants/${encodeURIComponent(bucket)}`, {
        read: opts.read === true,
        write: opts.write === true,
      });
      if (global().json) return printJson(k);
      process.stdout.write(`access key ${k.access_key_id}: ${grants(k)}\n`);
    });

  keys
    .command('disallow <id> <bucket>')
    .description("remove a key's grant on a bucket")
    .action(async (id: string, bucket: string) => {
      const k: KeyJson = await call(await connection(global()), 'DELETE', `${key(id)}/grants/${encodeURIComponent(bucket)}`);
      if (global().json) return printJson(k);
      process.stdout.write(`access key ${k.access_key_id}: ${grants(k) || 'no grants'}\n`);
    });

  return keys;
}
