// Percent-decoding and the URI encoding of AWS Signature V4: every byte outside RFC 3986's unreserved
// set (A-Z a-z 0-9 - . _ ~) becomes %XX with upper-case hex. Decoding works on bytes, not on
// strings, so that a path or a value holding invalid UTF-8 still round-trips to the same bytes.

const HEX = '0123456789ABCDEF';

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || // -
    byte === 0x2e || // .
    byte === 0x5f || // _
    byte === 0x7e // ~
  );
}

/**
 * The bytes that `text` stands for: `%XX` is one byte, a `%` not followed by two hex digits is
 * itself, `+` is a space when `plusIsSpace` (query strings, as URLSearchParams reads them), and a
 * character outside ASCII is its UTF-8 encoding.
 */
export function percentDecode(text: string, plusIsSpace = false): Buffer {
  const out = Buffer.allocUnsafe(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && i + 2 < text.length) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
      out[n++] = c;
    } else if (c === 0x2b && plusIsSpace) {
      out[n++] = 0x20;
    } else if (c < 0x80) {
      out[n++] = c;
    } else {
      // A surrogate pair is one code point: encode both halves together.
      const isPair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length;
      const char = isPair ? text.slice(i, i + 2) : text[i]!;
      if (isPair) i++;
      n += out.write(char, n, 'utf8');
    }
  }
  return out.subarray(0, n);
}

/** AWS's URI encoding of `bytes`; `/` stays as it is when `keepSlash` (object key names in paths). */
export function uriEncode(bytes: Uint8Array, keepSlash = false): string {
  let out = '';
  let plainFrom = 0;
  // Runs of unreserved bytes are copied in one piece: most keys and values are plain ASCII.
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (isUnreserved(b) || (keepSlash && b === 0x2f)) continue;
    if (i > plainFrom) out += Buffer.from(bytes.buffer, bytes.byteOffset + plainFrom, i - plainFrom).toString('latin1');
    out += '%' + HEX[b >> 4] + HEX[b & 15];
    plainFrom = i + 1;
  }
  if (bytes.length > plainFrom) {
    out += Buffer.from(bytes.buffer, bytes.byteOffset + plainFrom, bytes.length - plainFrom).toString('latin1');
  }
  return out;
}
