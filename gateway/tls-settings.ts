// The gateway's TLS settings: TLS_CERT and TLS_KEY make both HTTP servers (REST and S3) speak HTTPS;
// NODE_TLS_CA makes it connect to the storage nodes over TLS, verifying them with that CA, and
// NODE_TLS_CERT/NODE_TLS_KEY are its client certificate for nodes that require one (TLS_CLIENT_CA).
import type { NodeTlsClient } from '../proto/grpc-credentials.js';
import { loadCaFile, loadKeyPair, type KeyPair, type TlsParse } from '../proto/tls-files.js';

export interface GatewayTls {
  /** Unset: plain HTTP. */
  https: KeyPair | undefined;
  /** Unset: plain HTTP/2 to the nodes. */
  nodes: NodeTlsClient | undefined;
}

export function loadGatewayTls(env: NodeJS.ProcessEnv): TlsParse<GatewayTls> {
  const https = loadKeyPair(env, 'TLS_CERT', 'TLS_KEY');
  if (https.problem !== undefined) return https;
  const clientIdentity = loadKeyPair(env, 'NODE_TLS_CERT', 'NODE_TLS_KEY');
  if (clientIdentity.problem !== undefined) return clientIdentity;
  const ca = loadCaFile(env, 'NODE_TLS_CA');
  if (ca.problem !== undefined) return ca;
  if (ca.value === undefined) {
    // A client certificate is only ever presented inside TLS, which NODE_TLS_CA turns on.
    if (clientIdentity.value) {
      return { problem: "NODE_TLS_CERT and NODE_TLS_KEY are set but NODE_TLS_CA is not: set NODE_TLS_CA (the CA that signed the nodes' certificates) to use TLS to the nodes" };
    }
    return { value: { https: https.value, nodes: undefined } };
  }
  return { value: { https: https.value, nodes: { ca: ca.value, identity: clientIdentity.value } } };
}
