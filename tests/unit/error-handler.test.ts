import { describe, expect, test } from 'vitest';
import { isClientAbort, toApiError } from '../../gateway/http/error-handler.js';
import { ClientGone } from '../../gateway/http/response-sink.js';

/** The error Node destroys a request with when its client goes away mid-body (abortIncoming). */
function abortedRequestError(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

describe('toApiError', () => {
  test('a client that went away mid-body is its own 400 ClientAborted, not a 503 blaming the database (found by the REST fuzz suite)', () => {
    expect(isClientAbort(abortedRequestError())).toBe(true);
    const e = toApiError(abortedRequestError());
    expect({ status: e.status, code: e.code }).toEqual({ status: 400, code: 'ClientAborted' });
  });

  test('a download whose connection closed before its first byte is no server failure either (found by the REST fuzz suite)', () => {
    // A GET with "Transfer-Encoding: x": Node starts the route, then refuses the body and closes the socket.
    const e = toApiError(new ClientGone('the client closed the connection'));
    expect({ status: e.status, code: e.code }).toEqual({ status: 400, code: 'ClientAborted' });
  });

  test('a connection to PostgreSQL reset is still the database being unavailable', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(isClientAbort(reset)).toBe(false);
    const e = toApiError(reset);
    expect({ status: e.status, code: e.code }).toEqual({ status: 503, code: 'DatabaseUnavailable' });
  });
});
