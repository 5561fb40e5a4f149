// The bench learns each node's id, address and data folder from its start line as the launcher
// shows it, to start a killed node again as the same node (the degraded-download part).
import { describe, expect, test } from 'vitest';
import { humanLine } from '../../scripts/log-line.js';
import { parseNodeStartLine } from '../bench/node-outage.js';

describe('parseNodeStartLine', () => {
  // The node's JSON log line as storage-node/main.ts writes it through pino.
  const json = JSON.stringify({
    level: 30,
    time: Date.UTC(2026, 11, 1, 19, 54, 57),
    role: 'storage-node',
    node: 'node-5',
    pid: 4242,
    msg: 'storage-node node-5 listening on 127.0.0.1:33009 data=/tmp/objstore-bench-VUXp5f/m0/node-5 metrics=http://127.0.0.1:34943/metrics',
  });

  test('reads the line the launcher shows (readable form, time, level, metrics URL after the folder)', () => {
    expect(parseNodeStartLine(`[node-5] ${humanLine(json)}`)).toEqual({
      name: 'node-5',
      nodeId: 'node-5',
      host: '127.0.0.1',
      port: 33009,
      dataDir: '/tmp/objstore-bench-VUXp5f/m0/node-5',
    });
  });

  test('reads a plain start line without metrics, and nothing else', () => {
    expect(parseNodeStartLine('[node-2] storage-node n2 listening on 127.0.0.1:50052 data=/d/n2')).toMatchObject({ name: 'node-2', nodeId: 'n2', port: 50052, dataDir: '/d/n2' });
    expect(parseNodeStartLine('[gateway] [19:54:58] INFO: gateway listening on http://127.0.0.1:45293')).toBeNull();
    expect(parseNodeStartLine('[node-2] [19:56:09] INFO: SIGTERM, finishing running calls')).toBeNull();
  });
});
