// Opaque keyset cursors for listing: the (created_at, id) of the last file of a page. Pure: no I/O.

export interface ListPosition {
  createdAtMicros: string; // microseconds since the epoch, as PostgreSQL keeps them (decimal string)
  fileId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Times a cursor may name: years 1 to 9999. PostgreSQL refuses a bigint beyond 2^63 and a timestamp
// beyond its own range with an error (a 500), so a cursor outside them was not made here.
const MIN_MICROS = -62_135_596_800_000_000n;
const MAX_MICROS = 253_402_300_799_999_999n;

export function encodeCursor(position: ListPosition): string {
  return Buffer.from(`${position.createdAtMicros}.${position.fileId}`, 'utf8').toString('base64url');
}

/** The position a cursor names, or null when the cursor was not made by encodeCursor. */
export function decodeCursor(cursor: string): ListPosition | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(-?\d{1,19})\.(.+)$/.exec(text);
  if (!match || !UUID.test(match[2]!)) return null;
  const micros = BigInt(match[1]!);
  if (micros < MIN_MICROS || micros > MAX_MICROS) return null;
  return { createdAtMicros: match[1]!, fileId: match[2]!.toLowerCase() };
}
