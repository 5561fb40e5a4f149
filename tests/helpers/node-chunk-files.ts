// The chunk files the storage nodes of a test cluster hold, by the file they belong to (a chunk's
// file name is `<file id>.<chunk number>`), to check that nothing is left behind.
import type { TestCluster } from './cluster.js';
import { nodeDir } from './cluster-nodes.js';
import { storedFiles } from './raw-upload.js';

/** Chunk file names on every node of the cluster: `<file id>.<chunk number>`, and temporary files. */
export async function nodeChunkFiles(c: TestCluster): Promise<string[]> {
  const lists = await Promise.all(c.nodes.map(async (_, i) => storedFiles(nodeDir(c, i))));
  return lists.flat().map((f) => f.split('/').pop()!);
}

/** Ids of the files that have chunks (or temporary files) on the nodes. */
export async function fileIdsOnNodes(c: TestCluster): Promise<Set<string>> {
  return new Set((await nodeChunkFiles(c)).map((f) => f.split('.')[0]!));
}

/** Ids of files with chunks on the nodes that were not there before, sorted. */
export async function addedFileIds(c: TestCluster, before: Set<string>): Promise<string[]> {
  return [...(await fileIdsOnNodes(c))].filter((id) => !before.has(id)).sort();
}

