// Fuzz cases for request headers of the REST API: Range headers of every shape against a fixture
// file (single, suffix, open, multiple, thousands, huge and negative numbers, other units, junk),
// thousands of headers, duplicated or missing Host, bad header names and values, obsolete line
// folding, framing headers on a GET, odd HTTP versions. A single well-formed range says which bytes
// must come back. Pure.
import { EDGE_NUMBERS, EDGE_STRINGS, mutateText } from './mutate.js';
import type { Rng } from './prng.js';

export interface HeaderFixture {
  id: string;
  size: number;
}

export interface HeaderCase {
  method: 'GET' | 'HEAD';
  path: string;
  /** The fixture the request reads, if any. */
  fixture: HeaderFixture | null;
  /** Header lines as sent (without CRLF), Host included or not. */
  headers: string[];
  version: string;
  /** Body bytes after the head (for framing headers on a GET). */
  body: string;
  range: string | null;
  /** [start, end] (end included) a simple satisfiable range must answer with 206; null: not simple. */
  expectedRange: [number, number] | null;
}

/** A position in a file of `size` bytes, often at its edges. */
function position(rng: Rng, size: number): string {
  return rng.weighted<() => string>([
    [4, () => String(rng.int(size + 1))],
    [2, () => String(rng.pick([0, 1, size - 1, size, size + 1, 65535, 65536, 65537, 262143, 262144]))],
    [1, () => rng.pick(EDGE_NUMBERS)],
  ])();
}

function rangeSpec(rng: Rng, size: number): string {
  switch (rng.int(5)) {
    case 0:
      return `${position(rng, size)}-`;
    case 1:
      return `-${position(rng, size)}`;
    case 2:
      return `${rng.pick(['', '-', '--', ' '])}${position(rng, size)}${rng.pick(['-', '--', ' - ', '~'])}${position(rng, size)}`;
    default:
      return `${position(rng, size)}-${position(rng, size)}`;
  }
}

function rangeHeader(rng: Rng, size: number): { value: string; expected: [number, number] | null } {
  const kind = rng.int(10);
  if (kind < 5) {
    // One simple range a-b: what RFC 9110 says it means is known here.
    const a = rng.int(size + 2);
    const b = rng.chance(0.8) ? a + rng.size(size) : rng.int(size + 2);
    const value = `bytes=${a}-${b}`;
    return { value, expected: a <= b && a < size ? [a, Math.min(b, size - 1)] : null };
  }
  if (kind === 5) return { value: `bytes=${Array.from({ length: rng.range(2, 3_000) }, () => rangeSpec(rng, size)).join(rng.pick([',', ', ', ' ,']))}`, expected: null };
  if (kind === 6) return { value: `${rng.pick(['Bytes', 'items', '', 'bytes ', 'bytes=bytes=', 'none'])}=${rangeSpec(rng, size)}`, expected: null };
  if (kind === 7) return { value: mutateText(rng, `bytes=${rangeSpec(rng, size)}`), expected: null };
  return { value: `bytes=${rangeSpec(rng, size)}`, expected: null };
}

const ODD_HEADERS: ReadonlyArray<(rng: Rng) => string> = [
  () => 'Host: other',
  (rng) => `Host: ${rng.pick(['', ' ', 'a'.repeat(300), 'h:99999', '[::1', 'exa mple'])}`,
  () => 'Bad Header: x',
  () => 'X-Colon:: x',
  () => ': no name',
  () => 'X-Obs: folded\r\n  continuation',
  () => 'X-Nul: a\u0000b',
  () => 'X-Utf8: d\u00e9j\u00e0 vu \ud83d\ude00',
  () => 'X-Latin: \u00ff\u00fe',
  (rng) => `Content-Length: ${rng.pick(EDGE_NUMBERS)}`,
  () => 'Transfer-Encoding: chunked',
  (rng) => `Transfer-Encoding: ${rng.pick(['gzip', 'chunked, gzip', 'identity', 'x'])}`,
  (rng) => `Expect: ${rng.pick(['100-continue', '200-ok', '', 'x'.repeat(100)])}`,
  () => 'Connection: upgrade\r\nUpgrade: websocket',
  () => 'Connection: keep-alive, close, Upgrade',
  (rng) => `If-None-Match: ${rng.pick(['*', '"x"', 'W/"x"', '', '"'.repeat(50)])}`,
  (rng) => `If-Range: ${rng.pick(['"x"', 'Mon, 01 Jan 1990 00:00:00 GMT', 'junk'])}`,
  (rng) => `If-Modified-Since: ${rng.pick(['Mon, 01 Jan 2999 00:00:00 GMT', 'yesterday', '0'])}`,
  (rng) => `Accept-Encoding: ${rng.pick(['gzip', 'br;q=1.0, *;q=0', 'x'.repeat(1_000)])}`,
  (rng) => `Authorization: ${rng.pick(['Bearer x', 'Basic Zm9vOmJhcg==', 'AWS4-HMAC-SHA256 junk', ''])}`,
  (rng) => `Cookie: ${'a=b; '.repeat(rng.range(1, 2_000))}`,
  (rng) => `X-Forwarded-For: ${rng.pick(['1.2.3.4', 'junk', '::1, 127.0.0.1'])}`,
  (rng) => `Content-Type: ${rng.pick(EDGE_STRINGS)}`,
  (rng) => `Accept: ${rng.pick(['*/*', 'application/json', 'text/html;q=0.1', '\u0001'])}`,
];

export function headerCase(rng: Rng, fixtures: HeaderFixture[]): HeaderCase {
  const fixture = rng.pick(fixtures);
  const target = rng.weighted<() => { path: string; fixture: HeaderFixture | null }>([
    [6, () => ({ path: `/files/${fixture.id}`, fixture })],
    [1, () => ({ path: `/files/${fixture.id}/metadata`, fixture: null })],
    [1, () => ({ path: '/files?limit=3', fixture: null })],
    [1, () => ({ path: '/health', fixture: null })],
  ])();
  const method = rng.chance(0.15) ? 'HEAD' : 'GET';
  const headers = ['Host: gateway'];
  let range: string | null = null;
  let expectedRange: [number, number] | null = null;
  if (rng.chance(0.7)) {
    const r = rangeHeader(rng, fixture.size);
    range = r.value;
    expectedRange = r.expected;
    headers.push(`Range: ${range}`);
    if (rng.chance(0.05)) headers.push(`Range: ${rangeHeader(rng, fixture.size).value}`);
  }
  let oddness = 0;
  if (rng.chance(0.15)) {
    // Many headers: from dozens to thousands, now and then past the head limit.
    const count = rng.pick([50, 500, 1_999, 2_000, 2_001, 3_000]);
    const value = 'v'.repeat(rng.pick([1, 4, 20]));
    for (let i = 0; i < count; i++) headers.push(`X-Fuzz-${i}: ${value}`);
    oddness++;
  }
  for (let i = rng.chance(0.4) ? rng.range(1, 3) : 0; i > 0; i--) {
    headers.push(rng.pick(ODD_HEADERS)(rng));
    oddness++;
  }
  if (rng.chance(0.05)) {
    headers.shift(); // no Host
    oddness++;
  }
  const version = rng.chance(0.05) ? rng.pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9', 'HTTP/1.1 x', 'http/1.1', 'HTTP/11']) : 'HTTP/1.1';
  if (version !== 'HTTP/1.1') oddness++;
  const body = headers.some((h) => /^Transfer-Encoding: chunked/.test(h)) && rng.chance(0.5) ? '0\r\n\r\n' : '';
  shuffleTail(rng, headers);
  return {
    method,
    path: target.path,
    fixture: target.fixture,
    headers,
    version,
    body,
    range,
    // Only a plain request with one simple range has a known answer.
    expectedRange: oddness === 0 && target.fixture !== null && headers.filter((h) => h.startsWith('Range:')).length === 1 ? expectedRange : null,
  };
}

/** Moves the Host line somewhere else among the headers now and then (order is free in HTTP). */
function shuffleTail(rng: Rng, headers: string[]): void {
  if (headers.length > 1 && rng.chance(0.2)) {
    const [first] = headers.splice(0, 1);
    headers.splice(rng.int(headers.length + 1), 0, first!);
  }
}

export function headerRequest(c: HeaderCase): Buffer {
  return Buffer.from(`${c.method} ${c.path} ${c.version}\r\n${[...c.headers, 'Connection: close'].join('\r\n')}\r\n\r\n${c.body}`, 'utf8');
}

export function describeHeaderCase(c: HeaderCase): string {
  const odd = c.headers.filter((h) => !/^(Host: gateway|Range: |X-Fuzz-)/.test(h));
  return `${c.method} ${c.path} ${c.version}, ${c.headers.length} headers, range ${JSON.stringify(c.range?.slice(0, 120) ?? null)}, others ${JSON.stringify(odd).slice(0, 200)}`;
}
