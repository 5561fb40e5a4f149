// Which event, if any, a change of a node's status in this gateway's registry is. Pure.
import type { NodeState } from '../cluster/node-registry.js';
import type { AlertKind } from './alert-event.js';

type Status = NodeState['status'];

const isDown = (s: Status): boolean => s === 'down' || s === 'dead';
const isUp = (s: Status): boolean => s === 'healthy' || s === 'low_space';

/**
 * down or dead after anything else: node_down (node_dead for dead); down to dead: node_dead; up
 * again after down or dead: node_up. Healthy and low_space are both up (disk_fill speaks of space),
 * and unknown (not probed yet) to up is a start, not news.
 */
export function nodeTransition(previous: Status, next: Status): AlertKind | undefined {
  if (previous === next) return undefined;
  if (next === 'dead') return 'node_dead';
  if (next === 'down' && !isDown(previous)) return 'node_down';
  if (isUp(next) && isDown(previous)) return 'node_up';
  return undefined;
}
