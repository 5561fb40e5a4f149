import { describe, expect, test } from 'vitest';
import { rawAnswer } from '../../gateway/http/connection-limit.js';
import { parserRefusal } from '../../gateway/http/parser-refusal.js';
import { headsCheckIntervalMs, limitedServerOptions } from '../../gateway/http/server-limits.js';
import { UploadSlots } from '../../gateway/http/upload-slots.js';

describe('upload slots', () => {
  test('at most max are taken; a release frees one, once', () => {
    const slots = new UploadSlots(2);
    const a = slots.tryTake();
    const b = slots.tryTake();
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(slots.tryTake()).toBeNull();
    expect(slots.inFlight).toBe(2);
    a!();
    a!(); // twice: still one slot freed
    expect(slots.inFlight).toBe(1);
    const c = slots.tryTake();
    expect(c).not.toBeNull();
    expect(slots.tryTake()).toBeNull();
    b!();
    c!();
    expect(slots.inFlight).toBe(0);
  });
});

describe('answers to requests the HTTP parser refused', () => {
  const limits = { maxHeaderBytes: 16_384, headersTimeoutMs: 20_000 };
  const packet = (text: string): Buffer => Buffer.from(text, 'latin1');

  test('a head over the limit: 414 when the request line alone is too long, else 431', () => {
    const longUrl = packet(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(parserRefusal('HPE_HEADER_OVERFLOW', undefined, longUrl, limits)).toMatchObject({ status: 414, code: 'URITooLong' });
    // The URL still arriving, no line end yet.
    expect(parserRefusal('HPE_HEADER_OVERFLOW', undefined, packet(`PUT /${'b'.repeat(16_400)}`), limits).status).toBe(414);
    const bigHeader = packet(`GET /files HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(parserRefusal('HPE_HEADER_OVERFLOW', undefined, bigHeader, limits)).toMatchObject({
      status: 431,
      code: 'RequestHeaderFieldsTooLarge',
      message: expect.stringContaining('16384 bytes'),
    });
    // A later read of a head that came in pieces: its start is not at hand.
    expect(parserRefusal('HPE_HEADER_OVERFLOW', undefined, packet(`aaaa\r\nX-B: ${'b'.repeat(20_000)}`), limits).status).toBe(431);
    expect(parserRefusal('HPE_HEADER_OVERFLOW', undefined, undefined, limits).status).toBe(431);
  });

  test('a head not whole in time is 408 naming the time; anything else 400 with llhttp reason', () => {
    expect(parserRefusal('ERR_HTTP_REQUEST_TIMEOUT', undefined, undefined, limits)).toMatchObject({
      status: 408,
      code: 'RequestTimeout',
      message: expect.stringContaining('20000 ms'),
    });
    expect(parserRefusal('HPE_INVALID_METHOD', 'Invalid method encountered', undefined, limits)).toEqual({
      status: 400,
      reason: 'Bad Request',
      code: 'InvalidRequest',
      message: 'the request is not valid HTTP/1.1: Invalid method encountered',
    });
    // A reason that is not plain short text is left out.
    expect(parserRefusal('HPE_X', 'a\nb', undefined, limits).message).toBe('the request is not valid HTTP/1.1');
    expect(parserRefusal('HPE_CHUNK_EXTENSIONS_OVERFLOW', undefined, undefined, limits).status).toBe(413);
  });

  test('the raw answer is one HTTP/1.1 response that closes the connection', () => {
    const text = rawAnswer(503, 'Service Unavailable', { 'Retry-After': '1' }, '{"error":"é","code":"X"}');
    const [head, body] = text.split('\r\n\r\n');
    expect(head!.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
    expect(head).toContain('\r\nRetry-After: 1');
    expect(head).toContain('\r\nConnection: close');
    expect(head).toContain(`\r\nContent-Length: ${Buffer.byteLength(body!)}`);
    expect(JSON.parse(body!)).toEqual({ error: 'é', code: 'X' });
  });
});

describe('server options', () => {
  test('heads are checked within a quarter of their timeout, at least every second', () => {
    expect(headsCheckIntervalMs(20_000)).toBe(1_000);
    expect(headsCheckIntervalMs(1_500)).toBe(375);
    expect(headsCheckIntervalMs(100)).toBe(50);
    expect(limitedServerOptions({ maxHeaderBytes: 8192, headersTimeoutMs: 2_000, idleTimeoutMs: 5_000, maxConnections: 10 })).toEqual({
      maxHeaderSize: 8192,
      headersTimeout: 2_000,
      requestTimeout: 0,
      connectionsCheckingInterval: 500,
    });
  });
});
