// Fuzz cases for the query string of GET /files: page/per_page and limit/cursor with values at the
// edges of their types, cursors that were issued, mutated or forged (times PostgreSQL cannot hold,
// ids that are not UUIDs), unknown, repeated, bracketed and prototype-named parameters, odd
// encodings and separators, and query strings up to the head limit and past it. Pure.
import { EDGE_NUMBERS, EDGE_STRINGS, longRun, mutateText, percentEncoded } from './mutate.js';
import type { Rng } from './prng.js';

export interface ListingCase {
  query: string;
  /** What the query asks for when it is plainly valid (a 200 must then honour it); null: anything goes. */
  valid: { mode: 'page'; perPage: number } | { mode: 'keyset'; limit: number } | null;
}

const NAMES = ['page', 'per_page', 'limit', 'cursor'];
const ODD_NAMES = ['', 'Page', 'LIMIT', 'page[]', 'page[a]', 'limit[0]', '__proto__', 'constructor', 'hasOwnProperty', 'toString', 'per-page', 'offset', 'a'.repeat(500)];

/** A cursor built the way the gateway builds them, from any text: times and ids of any shape. */
function forgedCursor(rng: Rng): string {
  const micros = rng.pick([...EDGE_NUMBERS, '1795000000123456', '-62135596800000000', '253402300799999999', '253402300800000000', '0']);
  const id = rng.chance(0.7) ? rng.uuid() : mutateText(rng, rng.uuid());
  return Buffer.from(`${micros}.${id}`, 'utf8').toString('base64url');
}

function value(rng: Rng, name: string, cursors: string[]): string {
  if (name === 'cursor') {
    return rng.weighted<() => string>([
      [3, () => rng.pick(cursors)],
      [2, () => mutateText(rng, rng.pick(cursors))],
      [3, () => forgedCursor(rng)],
      [1, () => encodeURIComponent(Buffer.from(rng.pick(EDGE_STRINGS), 'utf8').toString('base64'))],
      [1, () => longRun(rng, 300)],
    ])();
  }
  return rng.weighted<() => string>([
    [4, () => String(rng.range(1, 120))],
    [3, () => rng.pick(EDGE_NUMBERS)],
    [1, () => percentEncoded(rng.pick(EDGE_NUMBERS))],
    [1, () => rng.pick(EDGE_STRINGS)],
  ])();
}

/** The text of a query value as sent: percent-encoded, raw, or half and half. */
function sent(rng: Rng, text: string): string {
  if (rng.chance(0.7)) return encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '')).replace(/%20/g, rng.pick(['%20', '+']));
  return text.replace(/[\s#]/g, '');
}

export function listingCase(rng: Rng, cursors: string[]): ListingCase {
  const pairs: Array<[string, string]> = [];
  const mode = rng.pick(['page', 'keyset', 'mixed']);
  const names = mode === 'page' ? ['page', 'per_page'] : mode === 'keyset' ? ['limit', 'cursor'] : NAMES;
  for (const name of names) if (rng.chance(0.7)) pairs.push([name, value(rng, name, cursors)]);
  let plain = mode !== 'mixed';
  if (rng.chance(0.25)) {
    pairs.push([rng.pick([...ODD_NAMES, ...NAMES]), value(rng, rng.pick(NAMES), cursors)]);
    plain = false;
  }
  if (rng.chance(0.1)) {
    const [name, v] = rng.pick(pairs.length > 0 ? pairs : [['limit', '1'] as [string, string]]);
    pairs.push([name, v]); // given twice
    plain = false;
  }
  rng.shuffle(pairs);
  const separator = rng.weighted([[9, '&'], [1, rng.pick([';', '&&', '&amp;', '%26'])]]);
  let query = pairs.map(([n, v]) => (rng.chance(0.03) ? sent(rng, n) : `${sent(rng, n)}=${sent(rng, v)}`)).join(separator);
  if (separator !== '&') plain = false;
  if (rng.chance(0.05)) {
    query += `&x=${'y'.repeat(rng.pick([1_000, 15_000, 20_000]))}`;
    plain = false;
  }
  if (rng.chance(0.1)) {
    query = mutateText(rng, query);
    plain = false;
  }
  const params = new URLSearchParams(query);
  const number = (name: string, fallback: number): number | null => {
    const v = params.get(name);
    if (v === null) return fallback;
    return /^[1-9]\d?$|^100$/.test(v) ? Number(v) : null;
  };
  let valid: ListingCase['valid'] = null;
  if (plain && mode === 'page') {
    const page = number('page', 1);
    const perPage = number('per_page', 20);
    if (page !== null && perPage !== null) valid = { mode: 'page', perPage };
  }
  if (plain && mode === 'keyset' && !params.has('limit') && !params.has('cursor')) valid = { mode: 'page', perPage: 20 };
  else if (plain && mode === 'keyset' && (!params.has('cursor') || cursors.includes(params.get('cursor')!))) {
    const limit = number('limit', 20);
    if (limit !== null) valid = { mode: 'keyset', limit };
  }
  return { query, valid };
}

export function listingRequest(c: ListingCase): Buffer {
  return Buffer.from(`GET /files?${c.query} HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n`, 'utf8');
}

export const describeListingCase = (c: ListingCase): string => `GET /files?${c.query.length > 300 ? `${c.query.slice(0, 300)}...` : c.query} (${c.query.length} characters; valid: ${JSON.stringify(c.valid)})`;
