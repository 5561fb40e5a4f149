#!/usr/bin/env node
// objstore: the command-line tool for the gateway's admin API (npx objstore --help).
import { Command, CommanderError } from 'commander';
import { CliError, EXIT } from './admin-client.js';
import { keysCommand } from './commands/keys.js';
import { tokensCommand } from './commands/tokens.js';
import { statusCommands } from './commands/status.js';
import { nodesCommand } from './commands/nodes.js';
import { consistencyCommand } from './commands/consistency.js';
import { filesCommand } from './commands/files.js';
import type { GlobalOptions } from './commands/global-options.js';

const program = new Command('objstore')
  .description('administer a chunked object store through its gateway')
  .option('--url <url>', 'the gateway (default: OBJSTORE_URL or http://127.0.0.1:8080)')
  .option('--token <token>', 'an API token (default: OBJSTORE_TOKEN, API_TOKEN, or ./data/api.token)')
  .option('--ca <file>', 'the CA (PEM) of an https gateway (default: OBJSTORE_CA)')
  .option('--json', 'print JSON for scripts')
  .showHelpAfterError();

const global = () => program.opts<GlobalOptions>();
for (const command of statusCommands(global)) program.addCommand(command);
program.addCommand(nodesCommand(global));
program.addCommand(consistencyCommand(global));
program.addCommand(filesCommand(global));
program.addCommand(tokensCommand(global));
program.addCommand(keysCommand(global));
const overrideExit = (command: Command): void => {
  command.exitOverride();
  command.commands.forEach(overrideExit);
};
overrideExit(program);

program.parseAsync(process.argv).then(
  () => undefined,
  (err: unknown) => {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.stderr.write(`objstore: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : EXIT.refused;
  },
);
