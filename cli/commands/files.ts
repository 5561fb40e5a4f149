// objstore files ls|put|get|rm: the REST /files API, with progress for put and get.
import { Command } from 'commander';
import { call, CliError, connection, EXIT } from '../admin-client.js';
import { getFile, putFile } from '../file-transfer.js';
import { printJson, printTable } from '../output.js';
import { bytesText } from '../progress-format.js';
import type { Globals } from './global-options.js';

export function filesCommand(global: Globals): Command {
  const files = new Command('files').description('files of the REST API (read or write token)');

  files
    .command('ls')
    .description('list files, newest first')
    .option('--limit <n>', 'files per page (1-100)', '100')
    .option('--all', 'follow the pages to the end')
    .action(async (opts: { limit: string; all?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new CliError('--limit must be a whole number from 1 to 100', EXIT.usage);
      const conn = await connection(global());
      const all: any[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await call(conn, 'GET', `/files?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        all.push(...page.files);
        cursor = page.next_cursor;
      } while (opts.all && cursor);
      if (global().json) return printJson(all);
      printTable(['FILE', 'SIZE', 'NAME', 'CREATED'], all.map((f) => [f.file_id, bytesText(f.size), f.filename, f.created_at]), 'no files');
    });

  files
    .command('put <path>')
    .description('upload a file (progress on stderr)')
    .option('--name <name>', 'the file name to store (default: the local one)')
    .action(async (path: string, opts: { name?: string }) => {
      const file = await putFile(await connection(global()), path, opts.name, false);
      if (global().json) return printJson(file);
      process.stdout.write(`${file.file_id}\n`);
    });

  files
    .command('get <id>')
    .description('download a file, checked against its SHA-256 (progress on stderr)')
    .option('-o, --output <path>', 'where to write it (default: the file id in the current folder)')
    .action(async (id: string, opts: { output?: string }) => {
      const out = opts.output ?? id;
      const got = await getFile(await connection(global()), id, out, false);
      if (global().json) return printJson({ file_id: id, path: out, ...got });
      process.stdout.write(`${out}: ${got.size} bytes, sha256 ${got.sha256}\n`);
    });

  files
    .command('rm <id>')
    .description('delete a file')
    .action(async (id: string) => {
      const r = await call(await connection(global()), 'DELETE', `/files/${encodeURIComponent(id)}`);
      if (global().json) return printJson(r);
      process.stdout.write(`${r.message}: ${r.file_id}\n`);
    });

  return files;
}
