// The order of object keys: UTF-8 byte order, as S3 lists them and as PostgreSQL sorts
// text COLLATE "C". Pure: no I/O.

// UTF-16 code units sort U+10000 and above (surrogate pairs, 0xD800-0xDFFF) before U+E000-U+FFFF;
// in UTF-8 (and in code points) they come after. This maps units at or above 0xD800 so that
// comparing mapped units gives code point order: U+E000-U+FFFF to 0xD800-0xF7FF, surrogates above.
function rank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** Compares two keys in UTF-8 byte order (negative, 0, positive), without encoding them. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x >= 0xd800 && y >= 0xd800 ? rank(x) - rank(y) : x - y;
  }
  return a.length - b.length;
}

const MAX_CODE_POINT = 0x10ffff;

/**
 * The smallest string greater than every string that starts with `prefix`, or null when there is
 * none (empty, or only U+10FFFF): the exclusive upper end of the keys under `prefix`. Its last code
 * point goes up by one (over the surrogate range, which no UTF-8 text holds); a last U+10FFFF
 * cannot go up, so it is dropped and the one before it goes up instead.
 */
export function prefixSuccessor(prefix: string): string | null {
  let end = prefix.length;
  while (end > 0) {
    const low = prefix.charCodeAt(end - 1);
    const pair = end >= 2 && low >= 0xdc00 && low <= 0xdfff && isHighSurrogate(prefix.charCodeAt(end - 2));
    const start = pair ? end - 2 : end - 1;
    const codePoint = prefix.codePointAt(start)!;
    if (codePoint !== MAX_CODE_POINT) {
      const next = codePoint + 1 === 0xd800 ? 0xe000 : codePoint + 1;
      return prefix.slice(0, start) + String.fromCodePoint(next);
    }
    end = start;
  }
  return null;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** True when the string has a surrogate without its partner (it has no UTF-8 form). */
export function hasLoneSurrogate(text: string): boolean {
  return /\p{Cs}/u.test(text);
}
