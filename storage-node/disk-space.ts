// Free and total space of the file system that holds a folder.
import { statfs } from 'node:fs/promises';

export interface DiskSpace {
  total: number;
  available: number; // free for this process (without the blocks the file system keeps for root)
  diskUsed: number; // taken by anything on the file system, chunks or not
}

export async function diskSpace(dir: string): Promise<DiskSpace> {
  const s = await statfs(dir);
  return { total: s.blocks * s.bsize, available: s.bavail * s.bsize, diskUsed: (s.blocks - s.bfree) * s.bsize };
}
