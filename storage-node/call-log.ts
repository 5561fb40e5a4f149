// Every gRPC call, logged at debug when it ends: the method, the gateway's request id (metadata
// x-request-id), the status and how long it took, so one client request can be followed from the
// gateway's log into the nodes'. Installed only with LOG_LEVEL=debug (or trace).
import * as grpc from '@grpc/grpc-js';
import { acceptRequestId, REQUEST_ID_HEADER } from '../proto/request-context.js';
import { log } from '../proto/log.js';

export function callLogInterceptor(): grpc.ServerInterceptor {
  return (method, call) => {
    const started = process.hrtime.bigint();
    let reqId: string | undefined;
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, pass) {
            reqId = acceptRequestId(metadata.get(REQUEST_ID_HEADER)[0]);
            pass(metadata);
          },
        });
      },
      sendStatus(status, next) {
        log.debug('rpc', {
          rpc: method.path.split('/').pop(),
          ...(reqId ? { reqId } : {}),
          code: grpc.status[status.code],
          ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        });
        next(status);
      },
    });
  };
}
