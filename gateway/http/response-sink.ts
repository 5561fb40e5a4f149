// The download's sink: writes bytes to the HTTP response and resolves when the socket has taken
// them, so the reader holds back (bounded memory whatever the client's speed) and may reuse its
// buffers. A client that goes away rejects the pending write instead of leaving it hanging.
import type { ServerResponse } from 'node:http';
import type { Sink } from '../data/stripe-reader.js';

export class ClientGone extends Error {}

export function responseSink(res: ServerResponse, beforeFirstByte: () => void): Sink {
  let started = false;
  const gone = new Promise<never>((_, reject) => {
    res.once('close', () => reject(new ClientGone('the client closed the connection')));
  });
  gone.catch(() => undefined); // also fires after a normal end, when nobody waits on it
  return (bytes) => {
    if (!started) {
      started = true;
      beforeFirstByte();
    }
    if (res.destroyed) return Promise.reject(new ClientGone('the client closed the connection'));
    const written = new Promise<void>((resolve, reject) => res.write(bytes, (err) => (err ? reject(new ClientGone(err.message)) : resolve())));
    return Promise.race([written, gone]);
  };
}
