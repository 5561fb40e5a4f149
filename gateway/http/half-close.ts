// A client may end its side of the connection once its request is sent (TCP half-close), and still
// read the answer. Node's HTTP server by default treats that end as the client gone: the request
// being answered is aborted and its answer lost, although the request was whole and is carried out
// (an upload stored, its 201 never sent). Node's own switch `httpAllowHalfOpen` makes it send the
// answer, then close. A request not yet whole when the client ends is refused as before (Node's
// parser reports the early end before this switch is looked at).
import type { Server } from 'node:http';

export function answerHalfClosedClients(server: Server): void {
  // Not in Node's typings; on a Node without it, only such a client's answer is lost, as before.
  (server as Server & { httpAllowHalfOpen?: boolean }).httpAllowHalfOpen = true;
}
