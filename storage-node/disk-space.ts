// Free and total space of the file system that holds a folder.
import { statfs } from 'node:fs/promises';

export interface DiskSpace {
  total: number;
  available: number;
}

export async function diskSpace(dir: string): Promise<DiskSpace> {
  const s = await statfs(dir);
  return { total: s.blocks * s.bsize, available: s.bavail * s.bsize };
}
