// Whatever a test starts (clusters, processes, databases, folders) is undone after it, last first,
// whether it passed or not.
import { afterEach, onTestFailed } from 'vitest';
import { startTestCluster, type TestCluster } from './cluster.js';
import { captureOutput } from './raw-upload.js';

export type UndoList = Array<() => Promise<unknown> | unknown>;

/** A list of undo steps that an afterEach of the calling test file runs and empties. */
export function undoAfterEach(): UndoList {
  const undo: UndoList = [];
  afterEach(async () => {
    while (undo.length > 0) {
      try {
        await undo.pop()!();
      } catch (err) {
        console.error(`cleanup failed: ${(err as Error).message}`);
      }
    }
  });
  return undo;
}

/** A cluster for one test, destroyed after it; the gateway's output is shown if the test fails. */
export async function clusterForTest(undo: UndoList, options: Parameters<typeof startTestCluster>[0] = {}): Promise<TestCluster> {
  const cluster = await startTestCluster(options);
  undo.push(() => cluster.destroy());
  const gatewayOutput = captureOutput(cluster.gateway.child);
  onTestFailed(() => console.log(`--- gateway output ---\n${gatewayOutput()}`));
  return cluster;
}
