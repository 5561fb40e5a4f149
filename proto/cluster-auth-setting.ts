// AUTH and CLUSTER_TOKEN as the storage node and the gateway read them: authentication is on unless
// AUTH=off, and then a valid CLUSTER_TOKEN is required. Pure: reads the variables it is given.
import { clusterTokenProblem, HOW_TO_MAKE_TOKEN } from './cluster-token.js';

export type ClusterAuth =
  /** Every call to a node must carry `token` (the node checks it, the gateway sends it). */
  | { enabled: true; token: string }
  /** AUTH=off: nodes take calls without a token; one that is set is still sent. */
  | { enabled: false; token: string | undefined };

export type ClusterAuthParse = { auth: ClusterAuth; problem?: undefined } | { auth?: undefined; problem: string };

/** AUTH: on (the default) or off. */
export function authEnabled(raw: string | undefined): boolean | { problem: string } {
  const value = raw?.trim().toLowerCase() ?? '';
  if (value === '' || value === 'on') return true;
  if (value === 'off') return false;
  return { problem: `AUTH=${JSON.stringify(raw)} must be "on" (the default) or "off"` };
}

/**
 * The cluster authentication settings of a storage node or a gateway (`who` names it in messages),
 * or the problem, as one line that says what to set.
 */
export function parseClusterAuth(env: NodeJS.ProcessEnv, who: 'storage node' | 'gateway'): ClusterAuthParse {
  const enabled = authEnabled(env.AUTH);
  if (typeof enabled === 'object') return { problem: enabled.problem };
  const token = env.CLUSTER_TOKEN?.trim() || undefined;
  if (token !== undefined) {
    const problem = clusterTokenProblem(token);
    if (problem) return { problem: `CLUSTER_TOKEN ${problem}` };
  }
  if (enabled && token === undefined) {
    const role = who === 'gateway' ? 'sent on every call to the storage nodes' : 'required on every call to this node';
    return {
      problem:
        `CLUSTER_TOKEN is not set: set it to the cluster's shared token (${role}; the same on the gateway and every node; ` +
        `at least 16 printable characters, ${HOW_TO_MAKE_TOKEN}), or set AUTH=off on a trusted network`,
    };
  }
  return { auth: enabled ? { enabled: true, token: token! } : { enabled: false, token } };
}

/** Whether a bind address reaches this machine only (a wildcard such as 0.0.0.0 does not). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127\./.test(h) || h === '::1';
}

/**
 * The warning a process with AUTH=off prints at start when it listens beyond loopback, or undefined.
 * `what` says what is open (e.g. "this storage node takes gRPC calls without the cluster token").
 */
export function authOffWarning(auth: ClusterAuth, host: string, setting: string, what: string): string | undefined {
  if (auth.enabled || isLoopbackHost(host)) return undefined;
  return (
    `WARNING: AUTH=off and ${setting}=${host} is not a loopback address: ${what}. ` +
    `Use AUTH=off only on a trusted network; otherwise set CLUSTER_TOKEN and remove AUTH=off, or bind to 127.0.0.1`
  );
}
