// The request a piece of work belongs to, carried through async calls (AsyncLocalStorage): the
// gateway sets it per HTTP request, its log lines and its calls to the nodes (gRPC metadata
// x-request-id) take the id from here, so one request can be followed across processes.
import { AsyncLocalStorage } from 'node:async_hooks';

export const REQUEST_ID_HEADER = 'x-request-id';

const storage = new AsyncLocalStorage<{ requestId: string }>();

export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** A request id a client sent that may be used as is: 1-128 characters of [A-Za-z0-9._:-]. Pure. */
export function acceptRequestId(raw: unknown): string | undefined {
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : undefined;
}
