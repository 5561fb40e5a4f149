// The gRPC credentials of both ends of a gateway-to-node connection, from the TLS settings: a node
// serves TLS with TLS_CERT/TLS_KEY (and verifies client certificates with TLS_CLIENT_CA); the
// gateway verifies nodes with NODE_TLS_CA (and presents NODE_TLS_CERT/NODE_TLS_KEY). The cluster
// token is sent by an interceptor either way (storage-proto.ts), so it travels inside TLS unchanged.
import * as grpc from '@grpc/grpc-js';
import { dropIpServernameWarning } from './ip-servername-warning.js';
import type { KeyPair } from './tls-files.js';

/** A node's TLS: its certificate, and the CA its callers' certificates must chain to (mTLS). */
export interface NodeTlsServer {
  identity: KeyPair;
  clientCa: Buffer | undefined;
}

/** A caller's TLS to the nodes: the CA that nodes' certificates chain to, and its own certificate. */
export interface NodeTlsClient {
  ca: Buffer;
  identity: KeyPair | undefined;
}

export function nodeServerCredentials(tls: NodeTlsServer | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  // With a client CA, a client without a certificate it signed fails the handshake.
  return grpc.ServerCredentials.createSsl(tls.clientCa ?? null, [{ cert_chain: tls.identity.cert, private_key: tls.identity.key }], tls.clientCa !== undefined);
}

/** Insecure without `tls`; otherwise TLS that verifies the node's certificate against `tls.ca` and the address's host. */
export function nodeChannelCredentials(tls: NodeTlsClient | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  dropIpServernameWarning(); // nodes are usually addressed by IP
  return grpc.credentials.createSsl(tls.ca, tls.identity?.key ?? null, tls.identity?.cert ?? null);
}
