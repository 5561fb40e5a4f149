// A secret written to a file once (the server key, the cluster token): processes starting at once
// on one data folder end up with the same secret. Each writes a temporary file (mode 0600, synced)
// and links it into place; link() lets only the first one win, and a reader never sees half a file.
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

/** Writes `contents` to `path` unless a file is there already; true when this call created it. */
export async function writeSecretFileOnce(path: string, contents: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const won = await link(tmp, path).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') return false;
        throw err;
      },
    );
    const dir = await open(dirname(path), 'r');
    await dir.sync().finally(() => dir.close());
    return won;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
