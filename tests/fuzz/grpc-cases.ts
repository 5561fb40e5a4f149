// Fuzz cases for a storage node's gRPC API: PutChunk streams with bad, changing or missing chunk
// ids, checksums right, wrong, malformed, doubled or late, block checksums right, wrong, short or
// off the block boundaries, skip_sha256 mixed up with checksums, empty, tiny and oversized messages,
// streams cancelled half way; GetChunk with negative, huge and past-the-end offsets and lengths;
// Stat/Verify/Delete with bad ids; and bytes that are not the messages the calls take (through
// grpc-js, and as raw HTTP/2 frames with lying length prefixes and compression flags). Puts that
// name a fixture chunk always fail by construction, so the fixture must stay intact. Pure.
import { createHash } from 'node:crypto';
import { xxh64 } from '@node-rs/xxhash';
import { chunkIdProblem } from '../../storage-node/chunk-id.js';
import { EDGE_STRINGS, mutateBytes } from './mutate.js';
import type { Rng } from './prng.js';

export const BLOCK = 65_536;
const MiB = 1024 * 1024;
/** The node takes messages of up to 16 MiB of data (MAX_MESSAGE_BYTES is 16 MiB + 64 KiB). */
export const OVERSIZED = 16 * MiB + 128 * 1024;

export interface Fixture {
  id: string;
  data: Buffer;
}

export interface PutMessage {
  chunkId?: string;
  data?: Buffer;
  checksum?: string;
  blockChecksums?: Buffer;
  skipSha256?: boolean;
}

export type GrpcCase =
  | {
      kind: 'put';
      id: string;
      messages: PutMessage[];
      /** Cancel the call after this many messages instead of ending the stream. */
      cancelAfter: number | null;
      /** True: a valid stream (must succeed with `content`); false: must fail; null: either. */
      valid: boolean | null;
      content: Buffer;
      skipSha256: boolean;
      /** Whether the node computes the SHA-256 (skip_sha256 unset, or a checksum came before any data). */
      hashed: boolean;
      notes: string[];
    }
  | { kind: 'get'; id: string; offset: number | string; length: number | string | undefined; withBlockChecksums: boolean; fixture: number | null }
  | { kind: 'unary'; method: 'statChunk' | 'verifyChunk' | 'deleteChunk' | 'healthCheck'; id: string; fixture: number | null }
  | { kind: 'raw'; method: 'PutChunk' | 'GetChunk' | 'StatChunk' | 'DeleteChunk' | 'VerifyChunk'; messages: Buffer[] }
  | { kind: 'h2'; path: string; headers: Record<string, string>; body: Buffer };

const BAD_IDS = ['', '.', '..', '../x', '../../etc/passwd', 'a/b', 'a\\b', 'a'.repeat(129), 'é', 'a b', 'a\u0000', '%2e%2e', 'tmp/x', '~', 'a:b', '/'];

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** xxHash64 (seed 0, 8 bytes big-endian) of each 64 KiB block of `data`. */
export function blockSums(data: Buffer): Buffer {
  const out = Buffer.alloc(Math.ceil(data.length / BLOCK) * 8);
  for (let i = 0; i * BLOCK < data.length; i++) out.writeBigUInt64BE(xxh64(data.subarray(i * BLOCK, (i + 1) * BLOCK)), i * 8);
  return out;
}

/** An id the node must refuse (checked against the node's own rule, so a valid one is never taken for bad). */
function badId(rng: Rng): string {
  const id = rng.chance(0.7) ? rng.pick(BAD_IDS) : `${rng.pick(EDGE_STRINGS)}x`;
  return chunkIdProblem(id) === null ? `${id}/` : id;
}

/** Splits `data` into messages: random sizes, or whole blocks (for block checksums). */
function split(rng: Rng, data: Buffer, wholeBlocks: boolean): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const n = wholeBlocks ? BLOCK * rng.range(1, 4) : 1 + rng.size(300_000);
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

function putCase(rng: Rng, index: number, fixtures: Fixture[]): GrpcCase {
  const notes: string[] = [];
  const size = rng.weighted([[4, rng.size(4_000)], [3, rng.size(600_000)], [1, rng.pick([0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 4 * BLOCK])]]);
  const ownId = `fz-${index}`;
  const fixtureTarget = rng.chance(0.15) ? rng.int(fixtures.length) : null;
  let id = fixtureTarget === null ? ownId : fixtures[fixtureTarget]!.id;
  let valid: boolean | null = true;
  if (fixtureTarget === null && rng.chance(0.1)) {
    id = badId(rng);
    valid = false;
    notes.push('bad id');
  }

  // The data messages: random sizes, or whole blocks with their checksums; now and then thousands
  // of tiny messages, or one of the largest size the node takes.
  const withBlocks = rng.chance(0.4);
  const messages: PutMessage[] = split(rng, rng.bytes(size), withBlocks).map((data) => ({ data, ...(withBlocks ? { blockChecksums: blockSums(data) } : {}) }));
  if (rng.chance(0.05)) {
    messages.unshift(...Array.from({ length: rng.pick([1_000, 3_000]) }, (_, i) => ({ data: Buffer.from([i & 0xff]) })));
    if (withBlocks && size > 0) valid = false; // checksummed messages must then start off a block boundary
    notes.push('thousands of tiny messages');
  }
  if (fixtureTarget === null && rng.chance(0.03)) {
    messages.push({ data: Buffer.alloc(16 * MiB, 8) });
    notes.push('16 MiB message');
    if (withBlocks && size % BLOCK !== 0) valid = false; // data after a short checksummed block
  }
  if (messages.length === 0) messages.push({});
  const content = Buffer.concat(messages.map((m) => m.data ?? Buffer.alloc(0)));
  messages[0]!.chunkId = id;
  const skipSha256 = rng.chance(0.3);
  if (skipSha256) messages[0]!.skipSha256 = true;
  const checksumAt = rng.weighted<'none' | 'first' | 'last'>([[2, 'none'], [2, 'first'], [1, 'last']]);
  if (checksumAt === 'first') messages[0]!.checksum = sha256Hex(content);
  if (checksumAt === 'last') {
    messages.push({ checksum: sha256Hex(content) });
    // A checksum after data of a stream that skipped the SHA-256 cannot be verified.
    if (skipSha256 && content.length > 0) valid = false;
  }

  // Mixed-up sequences: each makes the stream one the node must refuse.
  const breakers: Array<[string, () => void]> = [
    ['wrong checksum', () => messages.push({ checksum: sha256Hex(Buffer.concat([content, Buffer.from('x')])) })],
    ['malformed checksum', () => (messages[0]!.checksum = rng.pick(['xyz', '0'.repeat(63), `${sha256Hex(content)}0`, 'g'.repeat(64)]))],
    ['two checksums', () => messages.push({ checksum: sha256Hex(Buffer.from('other')) }, { checksum: sha256Hex(content) })],
    ['id changes', () => messages.push({ chunkId: `${id}-other`, data: Buffer.from('x') })],
    ['id changes to a bad one', () => messages.push({ chunkId: badId(rng) || 'x y', data: Buffer.alloc(0) })],
    ['no id first', () => delete messages[0]!.chunkId],
    ['wrong block checksums', () => messages.push({ data: Buffer.alloc(BLOCK, 1), blockChecksums: Buffer.alloc(8, 0xff) })],
    ['short block checksums', () => messages.push({ data: Buffer.alloc(2 * BLOCK, 2), blockChecksums: Buffer.alloc(8) })],
    ['block checksums off the boundary', () => messages.push({ data: Buffer.alloc(100, 3) }, { data: Buffer.alloc(BLOCK, 4), blockChecksums: blockSums(Buffer.alloc(BLOCK, 4)) })],
    ['data after a short checksummed block', () => messages.push({ data: Buffer.alloc(10, 5), blockChecksums: blockSums(Buffer.alloc(10, 5)) }, { data: Buffer.alloc(10, 6) })],
    ['oversized message', () => messages.push({ data: Buffer.alloc(OVERSIZED, 7) })],
  ];
  // A stream naming a fixture is always broken (so the fixture never changes), and never oversized
  // (cheap); others are broken a third of the time, oversized rarely.
  const breaks = fixtureTarget !== null ? 1 + (rng.chance(0.2) ? 1 : 0) : rng.chance(0.35) ? 1 : 0;
  for (let i = 0; i < breaks; i++) {
    const [name, apply] = rng.pick(fixtureTarget === null && rng.chance(0.1) ? breakers : breakers.slice(0, 10));
    apply();
    notes.push(name);
    valid = false;
  }
  let cancelAfter: number | null = null;
  if (rng.chance(0.1)) {
    cancelAfter = rng.int(messages.length);
    notes.push(`cancelled after ${cancelAfter} messages`);
    valid = false;
  }
  const hashed = !skipSha256 || checksumAt === 'first' || (checksumAt === 'last' && content.length === 0);
  return { kind: 'put', id, messages, cancelAfter, valid, content, skipSha256, hashed, notes };
}

function position(rng: Rng, size: number): number | string {
  return rng.weighted<() => number | string>([
    [5, () => rng.int(size + 1)],
    [2, () => rng.pick([0, 1, size - 1, size, size + 1, BLOCK - 1, BLOCK, BLOCK + 1])],
    [1, () => rng.pick([-1, -BLOCK, -(2 ** 31), -(2 ** 53), 2 ** 31, 2 ** 32, 2 ** 53 + 2])],
    [1, () => rng.pick(['9223372036854775807', '-9223372036854775808', '18446744073709551615', '4294967296'])],
  ])();
}

export function grpcCase(rng: Rng, index: number, fixtures: Fixture[]): GrpcCase {
  const kind = rng.weighted<GrpcCase['kind']>([[10, 'put'], [7, 'get'], [3, 'unary'], [1, 'raw'], [1, 'h2']]);
  const f = rng.int(fixtures.length);
  const fixture = fixtures[f]!;
  switch (kind) {
    case 'put':
      return putCase(rng, index, fixtures);
    case 'get': {
      const which = rng.weighted<'fixture' | 'missing' | 'bad'>([[7, 'fixture'], [1, 'missing'], [1, 'bad']]);
      const id = which === 'fixture' ? fixture.id : which === 'missing' ? `fz-missing-${index}` : badId(rng);
      return { kind, id, offset: position(rng, fixture.data.length), length: rng.chance(0.3) ? undefined : position(rng, fixture.data.length), withBlockChecksums: rng.chance(0.4), fixture: which === 'fixture' ? f : null };
    }
    case 'unary': {
      const method = rng.pick(['statChunk', 'verifyChunk', 'deleteChunk', 'healthCheck'] as const);
      // A delete never names a fixture: it names one of this case's own (absent) ids or a bad one.
      const which = method === 'deleteChunk' ? rng.pick(['missing', 'bad'] as const) : rng.pick(['fixture', 'missing', 'bad'] as const);
      const id = which === 'fixture' ? fixture.id : which === 'missing' ? `fz-missing-${index}` : badId(rng);
      return { kind, method, id, fixture: which === 'fixture' ? f : null };
    }
    case 'raw': {
      const method = rng.pick(['PutChunk', 'GetChunk', 'StatChunk', 'DeleteChunk', 'VerifyChunk'] as const);
      // Protobuf-looking bytes: a field key then junk, or a valid message of another call, mutated.
      const base = Buffer.concat([Buffer.from([0x0a, 0x05]), Buffer.from('fz-rw'), Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x10])]);
      const messages = Array.from({ length: method === 'PutChunk' ? rng.range(1, 4) : 1 }, () => (rng.chance(0.5) ? mutateBytes(rng, base, 4) : rng.bytes(rng.size(200))));
      return { kind, method, messages };
    }
    default: {
      const method = rng.pick(['PutChunk', 'GetChunk', 'StatChunk', 'DeleteChunk', 'VerifyChunk', 'HealthCheck', 'Nope']);
      const payload = rng.bytes(rng.size(100));
      // gRPC framing: compressed flag, 4-byte length, message; lengths that lie, flags that are not 0/1.
      const frame = Buffer.alloc(5);
      frame[0] = rng.pick([0, 0, 0, 1, 2, 0xff]);
      frame.writeUInt32BE(rng.pick([payload.length, payload.length, payload.length + 1, 0, 0xffffffff, 16 * MiB + 65 * 1024, 2 ** 31]), 1);
      const body = rng.chance(0.1) ? rng.bytes(rng.size(64)) : Buffer.concat([frame, payload]);
      const headers: Record<string, string> = { 'content-type': rng.pick(['application/grpc', 'application/grpc', 'application/grpc+proto', 'text/plain', 'application/grpc+json']), te: 'trailers' };
      if (rng.chance(0.2)) headers['grpc-encoding'] = rng.pick(['gzip', 'deflate', 'snappy', 'identity']);
      if (rng.chance(0.1)) headers['grpc-timeout'] = rng.pick(['1n', '99999999H', 'x', '0S']);
      return { kind: 'h2', path: `/storage.StorageService/${method}`, headers, body };
    }
  }
}

export function describeGrpcCase(c: GrpcCase): string {
  switch (c.kind) {
    case 'put':
      return `PutChunk ${JSON.stringify(c.id.slice(0, 60))}: ${c.messages.length} messages, ${c.content.length} bytes${c.skipSha256 ? ', skip_sha256' : ''}, valid ${c.valid} [${c.notes.join(', ')}]`;
    case 'get':
      return `GetChunk ${JSON.stringify(c.id.slice(0, 60))} offset ${c.offset} length ${c.length}${c.withBlockChecksums ? ' with block checksums' : ''}`;
    case 'unary':
      return `${c.method} ${JSON.stringify(c.id.slice(0, 60))}`;
    case 'raw':
      return `raw ${c.method}: ${c.messages.map((m) => m.toString('hex').slice(0, 60)).join(' | ')}`;
    default:
      return `HTTP/2 ${c.path} ${JSON.stringify(c.headers)} body ${c.body.toString('hex').slice(0, 60)} (${c.body.length} bytes)`;
  }
}
