// The node's one check of the cluster token, as a gRPC server interceptor: it sees each call's
// metadata before any handler exists, so a call without the right token gets UNAUTHENTICATED and
// no handler runs (a refused PutChunk creates no file; its messages are never even decoded, a
// refused GetChunk reads nothing).
import * as grpc from '@grpc/grpc-js';
import { CLUSTER_TOKEN_METADATA_KEY, ClusterTokenCheck, presentedToken } from '../proto/cluster-token.js';

const REFUSED = `missing or wrong cluster token: every call must carry the metadata "${CLUSTER_TOKEN_METADATA_KEY}: Bearer <CLUSTER_TOKEN>" with this cluster's token`;

export function clusterTokenInterceptor(token: string): grpc.ServerInterceptor {
  const check = new ClusterTokenCheck(token);
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, pass) {
            if (!check.matches(presentedToken(metadata.get(CLUSTER_TOKEN_METADATA_KEY)))) {
              call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: REFUSED, metadata: null });
              return; // the handler is never started
            }
            // Handlers have no use for the secret: keep it out of anything they might log.
            metadata.remove(CLUSTER_TOKEN_METADATA_KEY);
            pass(metadata);
          },
        });
      },
    });
}
