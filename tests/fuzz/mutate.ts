// Generic mutations for the fuzz suite: of bytes (bit flips, inserted, deleted and repeated runs,
// cuts) and of text (the same plus values that parsers get wrong: numbers at the edges of their
// types, encodings, traversal, control characters). Each draws from the Rng it is given. Pure.
import type { Rng } from './prng.js';

/** Numbers as text at the edges of JavaScript, PostgreSQL and protocol types, and near-numbers. */
export const EDGE_NUMBERS = [
  '0', '-0', '-1', '1', '00', '01', '+1', '1.5', '1e3', '1e400', '-1e400', '0x10', '0b1', '1_000',
  '2147483647', '2147483648', '-2147483649', '4294967296', '9007199254740991', '9007199254740993',
  '9223372036854775807', '9223372036854775808', '-9223372036854775809', '18446744073709551616',
  '99999999999999999999999', 'NaN', 'Infinity', '-Infinity', ' 1', '1 ', '', '١', '１',
] as const;

/** Text that tends to break parsers, paths, SQL, logs and JSON. */
export const EDGE_STRINGS = [
  '', ' ', '\t', '%', '%0', '%ZZ', '%00', '%25', '%2e%2e%2f', '%2F', '%C0%AE', '%E0%A4%A', '%FF', '%u002e',
  '../', '..\\', '/..', '//', '\\', '.', '..', '\u0000', '\r', '\n', '\r\n', '\u0085', '\u2028', '"', "'", '`',
  '<', '>', '&', '&amp;', '&#0;', '<![CDATA[', ']]>', '{', '}', '[', ']', '\\u0000', '${x}', '{{x}}', ';', '--',
  "' OR '1'='1", '\u00e9', 'e\u0301', '\ud83d\ude00', '\ud800', '\udfff', '\ufeff', '\ufffd', '\u202e', '\uffff',
  '__proto__', 'constructor', 'prototype', 'null', 'undefined', 'true', '[object Object]',
] as const;

/** A run of one character, sometimes very long: 1 to `max` characters. */
export function longRun(rng: Rng, max: number): string {
  return rng.pick(['a', '/', '%', '.', '0', '\u00e9', ' ']).repeat(1 + rng.size(max - 1));
}

/** Applies 1..maxOps byte-level mutations to a copy of `input`. */
export function mutateBytes(rng: Rng, input: Buffer, maxOps = 3): Buffer {
  let b = Buffer.from(input);
  const ops = 1 + rng.int(maxOps);
  for (let i = 0; i < ops; i++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(8)) {
      case 0: // flip one bit
        if (b.length > 0) {
          const j = rng.int(b.length);
          b[j] = b[j]! ^ (1 << rng.int(8));
        }
        break;
      case 1: // replace a byte
        if (b.length > 0) b[rng.int(b.length)] = rng.int(256);
        break;
      case 2: // insert random bytes
        b = Buffer.concat([b.subarray(0, at), rng.bytes(1 + rng.size(64)), b.subarray(at)]);
        break;
      case 3: // delete a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.size(64)))]);
        break;
      case 4: {
        // repeat a run
        const len = 1 + rng.size(32);
        const run = b.subarray(at, at + len);
        b = Buffer.concat([b.subarray(0, at), ...Array.from({ length: 1 + rng.int(8) }, () => run), b.subarray(at)]);
        break;
      }
      case 5: // insert an edge string
        b = Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(EDGE_STRINGS), 'utf8'), b.subarray(at)]);
        break;
      case 6: // cut the end off
        b = b.subarray(0, at);
        break;
      default: // swap two bytes
        if (b.length > 1) {
          const j = rng.int(b.length);
          const k = rng.int(b.length);
          [b[j], b[k]] = [b[k]!, b[j]!];
        }
    }
  }
  return b;
}

/** Applies 1..maxOps text mutations to `input`. */
export function mutateText(rng: Rng, input: string, maxOps = 2): string {
  let s = input;
  const ops = 1 + rng.int(maxOps);
  for (let i = 0; i < ops; i++) {
    const at = rng.int(s.length + 1);
    switch (rng.int(7)) {
      case 0:
        s = s.slice(0, at) + rng.pick(EDGE_STRINGS) + s.slice(at);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + 1 + rng.size(16));
        break;
      case 2: // replace a digit run with an edge number
        s = /\d/.test(s) ? s.replace(/-?\d+/, rng.pick(EDGE_NUMBERS)) : s + rng.pick(EDGE_NUMBERS);
        break;
      case 3:
        s = s.slice(0, at) + longRun(rng, 2_000) + s.slice(at);
        break;
      case 4: // change the case of a run
        s = s.slice(0, at) + s.slice(at, at + 8).toUpperCase() + s.slice(at + 8);
        break;
      case 5: // percent-encode a character
        if (s.length > 0) {
          const j = rng.int(s.length);
          s = s.slice(0, j) + percentEncoded(s[j]!) + s.slice(j + 1);
        }
        break;
      default:
        s = s.slice(0, at);
    }
  }
  return s;
}

/** Every UTF-8 byte of `text` as %XX (a lone surrogate becomes the bytes of U+FFFD). */
export function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}
