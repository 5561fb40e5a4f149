// A storage node's gRPC address as the gateway records it and a node announces it: host:port, the
// host a DNS name, an IPv4 address or a bracketed IPv6 address. Shared by the gateway (STORAGE_NODES,
// POST /admin/nodes) and the node (ADVERTISE_ADDRESS). Pure: no I/O.
import { isIPv4, isIPv6 } from 'node:net';

/** Longest DNS name (RFC 1035), and of one of its labels. */
const MAX_HOST = 253;
const MAX_LABEL = 63;
const LABEL = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/;

export type NodeAddressParse = { address: string; problem?: undefined } | { address?: undefined; problem: string };

/** Why `host` (without brackets) is not a usable DNS name or IPv4 address, or null. */
function hostProblem(host: string): string | null {
  if (host === '') return 'the host is empty';
  if (host.length > MAX_HOST) return `the host is ${host.length} characters long; a host name has at most ${MAX_HOST}`;
  if (host.includes(':')) return 'an IPv6 address goes in brackets, as [::1]:50051';
  const labels = host.split('.');
  // A name whose last label is all digits is meant as an IPv4 address (no top-level domain is numeric).
  if (/^\d+$/.test(labels[labels.length - 1]!)) return isIPv4(host) ? null : `${JSON.stringify(host)} is not a valid IPv4 address`;
  for (const label of labels) {
    if (label.length > MAX_LABEL) return `a label of the host is ${label.length} characters long; the limit is ${MAX_LABEL}`;
    if (!LABEL.test(label)) {
      return `${JSON.stringify(host)} is not a valid host name (labels of letters, digits, "_" and "-", separated by dots, no "-" at either end)`;
    }
  }
  return null;
}

/**
 * The canonical form of a node address (host in lower case, port without leading zeros), or the
 * problem with it, said so that a person can fix it.
 */
export function parseNodeAddress(raw: string): NodeAddressParse {
  const text = raw.trim();
  if (text === '') return { problem: 'the address is empty; expected host:port' };
  // Say the length before anything else: a 10 KB string should not be quoted back.
  if (text.length > MAX_HOST + 8) return { problem: `the address is ${text.length} characters long; expected host:port with a host of at most ${MAX_HOST}` };
  if (/\s/.test(text)) return { problem: 'the address contains white space; expected host:port' };
  if (text.includes('://')) return { problem: 'give host:port without a scheme (no "http://" or "grpc://")' };
  if (/[/?#@]/.test(text)) return { problem: 'the address may not contain a path, query, fragment or user; expected host:port' };

  let host: string;
  let port: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return { problem: 'an IPv6 address is written [address]:port' };
    host = text.slice(1, close).toLowerCase();
    port = text.slice(close + 2);
    if (!isIPv6(host)) return { problem: `${JSON.stringify(host)} is not a valid IPv6 address` };
    host = `[${host}]`;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return { problem: 'the address has no port; expected host:port' };
    host = text.slice(0, colon).toLowerCase();
    port = text.slice(colon + 1);
    const problem = hostProblem(host);
    if (problem) return { problem };
  }
  if (!/^\d{1,5}$/.test(port)) return { problem: `the port ${JSON.stringify(port)} is not a number from 1 to 65535` };
  const portNumber = Number(port);
  if (portNumber < 1 || portNumber > 65535) return { problem: `the port ${portNumber} is out of range (1..65535)` };
  return { address: `${host}:${portNumber}` };
}
