// Request and response objects made by the REST server with express's own prototypes. Express
// gives every request and response its prototypes on arrival (Object.setPrototypeOf, for its
// sub-apps); an object given a new prototype made V8 keep about everything a request allocated
// through the next minor GC (measured on a bare Node server: 3-4 MB copied per scavenge instead of
// under 1 KB, 10-15 ms pauses in the gateway instead of 1-3 ms). Made with these prototypes from
// the start, express's call changes nothing.
import { IncomingMessage, ServerResponse, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/** The server options that make Node build requests and responses as `app`'s (http.createServer). */
export function expressMessages(app: Express): Pick<ServerOptions, 'IncomingMessage' | 'ServerResponse'> {
  // Constructor functions, not classes: express's objects must be the prototypes themselves.
  function Request(this: IncomingMessage, socket: Socket): void {
    IncomingMessage.call(this, socket);
  }
  Request.prototype = app.request;
  function Response(this: ServerResponse, req: IncomingMessage, options?: unknown): void {
    (ServerResponse as unknown as (this: ServerResponse, req: IncomingMessage, options?: unknown) => void).call(this, req, options);
  }
  Response.prototype = app.response;
  return {
    IncomingMessage: Request as unknown as typeof IncomingMessage,
    ServerResponse: Response as unknown as typeof ServerResponse,
  };
}
