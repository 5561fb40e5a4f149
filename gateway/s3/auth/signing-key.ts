// The SigV4 signing key: HMAC-SHA256 chained over the date, the region, the service and
// "aws4_request", starting from "AWS4" + secret. A key is valid for a whole day, so it is derived
// once per secret, day, region and service and kept in a small LRU cache (four HMACs saved per
// request, and one per chunk signature is all that is left).
import { createHash, createHmac } from 'node:crypto';

const MAX_CACHED_KEYS = 1024;
const cache = new Map<string, Buffer>();

export function hmacSha256(key: Uint8Array | string, data: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The hex SHA-256 of nothing, which the chunk string to sign carries on its fifth line. */
export const EMPTY_SHA256_HEX = sha256Hex('');

export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const id = `${date}\n${region}\n${service}\n${secretAccessKey}`;
  const cached = cache.get(id);
  if (cached) {
    // Move to the back: the map's order is the LRU order.
    cache.delete(id);
    cache.set(id, cached);
    return cached;
  }
  const kDate = hmacSha256(`AWS4${secretAccessKey}`, date);
  const kRegion = hmacSha256(kDate, region);
  const kService = hmacSha256(kRegion, service);
  const key = hmacSha256(kService, 'aws4_request');
  cache.set(id, key);
  if (cache.size > MAX_CACHED_KEYS) cache.delete(cache.keys().next().value!);
  return key;
}

/** How many derived keys the cache holds (for tests of its bound). */
export function cachedSigningKeyCount(): number {
  return cache.size;
}
