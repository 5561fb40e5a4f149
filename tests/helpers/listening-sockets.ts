// The addresses a process listens on (TCP, IPv4 and IPv6), read from /proc: its socket inodes from
// /proc/<pid>/fd, matched with the LISTEN entries of /proc/<pid>/net/tcp and tcp6. Linux only.
import { readdir, readFile, readlink } from 'node:fs/promises';

/** "0100007F:1F90" (IPv4, little-endian) or 32 hex digits of IPv6 (four little-endian words). */
function decodeAddress(hex: string, v6: boolean): string {
  const [addr = '', port = ''] = hex.split(':');
  const bytes: number[] = [];
  for (let word = 0; word < addr.length; word += 8) {
    for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(addr.slice(word + i, word + i + 2), 16));
  }
  const host = v6
    ? Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(':').replace(/^0:0:0:0:0:0:0:0$/, '::').replace(/^0:0:0:0:0:0:0:1$/, '::1')
    : bytes.join('.');
  return `${host}:${parseInt(port, 16)}`;
}

export async function listeningAddresses(pid: number): Promise<string[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]!);
  }
  const found: string[] = [];
  for (const [table, v6] of [['tcp', false], ['tcp6', true]] as const) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode; 0A is LISTEN
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)) found.push(decodeAddress(f[1]!, v6));
    }
  }
  return found.sort();
}
