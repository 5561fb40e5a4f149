// Messages framed in place by our encoders go through the installed grpc-js (as patched by
// patches/) byte for byte, in both directions, with a real client and server on loopback.
import { createHash, randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FRAME_HEADER_BYTES, framedMessage, framesInPlace } from '../../proto/grpc-framing.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

// Messages are raw bytes: the serializers below frame whatever they are given in place when it
// comes as { buffer, start, end } with room in front, as the storage encoders do.
interface Framable {
  buffer: Buffer;
  start: number;
  end: number;
}
const serialize = (m: Framable | Buffer): Buffer => (Buffer.isBuffer(m) ? m : framedMessage(m.buffer, m.start, m.end));
const deserialize = (b: Buffer): Buffer => Buffer.from(b);

const service: grpc.ServiceDefinition = {
  // Client stream of messages; the answer lists their hashes.
  Put: {
    path: '/framing.Test/Put',
    requestStream: true,
    responseStream: false,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
  },
  // The request names a seed and a count; the server streams that many messages from ONE buffer,
  // rewritten for each message as soon as the previous write has called back.
  Get: {
    path: '/framing.Test/Get',
    requestStream: false,
    responseStream: true,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
  },
};

/** Deterministic message i of a run: a size from 0 to 300 KiB and its bytes. */
function messageBytes(seed: number, i: number): Buffer {
  const size = [0, 1, 5, 4096, 65536, 65537, 300 * 1024][(seed + i) % 7]!;
  const out = Buffer.alloc(size);
  for (let j = 0; j + 4 <= size; j += 4096) out.writeUInt32LE((seed * 7919 + i * 104729 + j) >>> 0, j);
  if (size) out[size - 1] = i;
  return out;
}

let server: grpc.Server;
let client: grpc.Client;
const Client = grpc.makeGenericClientConstructor(service, 'Test');

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(service, {
    Put(call: grpc.ServerReadableStream<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) {
      const hashes: string[] = [];
      call.on('data', (m: Buffer) => hashes.push(sha(m)));
      call.on('end', () => done(null, Buffer.from(hashes.join(','))));
    },
    async Get(call: grpc.ServerWritableStream<Buffer, Framable>) {
      const [seed, count] = call.request.toString().split(',').map(Number) as [number, number];
      const buffer = Buffer.alloc(FRAME_HEADER_BYTES + 300 * 1024);
      for (let i = 0; i < count; i++) {
        const bytes = messageBytes(seed, i);
        bytes.copy(buffer, FRAME_HEADER_BYTES);
        await new Promise<void>((resolve) => call.write({ buffer, start: FRAME_HEADER_BYTES, end: FRAME_HEADER_BYTES + bytes.length }, resolve));
      }
      call.end();
    },
  } as unknown as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  // As the gateway's node clients are set up (node-client.ts): no retry buffer, so a write's
  // callback means the message is written out.
  client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.enable_retries': 0,
    'grpc.per_rpc_retry_buffer_size': 0,
  });
});

afterAll(() => {
  client?.close();
  server?.forceShutdown();
});

describe('messages framed in place', () => {
  test('the installed grpc-js takes framed messages as they are (patches/ applied)', () => {
    expect(framesInPlace).toBe(true);
  });

  test('framedMessage writes the prefix into the room in front and marks the view; without room it leaves the buffer alone', () => {
    const buffer = Buffer.alloc(20, 0xee);
    const framed = framedMessage(buffer, 5, 12);
    expect([...framed.subarray(0, 5)]).toEqual([0, 0, 0, 0, 7]);
    expect(framed.byteOffset - buffer.byteOffset).toBe(0);
    expect(framed.length).toBe(12);
    expect((framed as unknown as Record<symbol, unknown>)[Symbol.for('grpc-js.framed-message')]).toBe(true);

    const tight = Buffer.alloc(20, 0xee);
    const bare = framedMessage(tight, 4, 12);
    expect(bare.length).toBe(8);
    expect(tight.every((b) => b === 0xee)).toBe(true);
    expect((bare as unknown as Record<symbol, unknown>)[Symbol.for('grpc-js.framed-message')]).toBeUndefined();
  });

  test('client to server: 200 messages from one reused buffer arrive byte for byte', async () => {
    const count = 200;
    const sent: string[] = [];
    const answer = new Promise<Buffer>((resolve, reject) => {
      const call = (client as unknown as { makeClientStreamRequest: Function }).makeClientStreamRequest(
        '/framing.Test/Put',
        serialize,
        deserialize,
        new grpc.Metadata(),
        {},
        (err: grpc.ServiceError | null, res?: Buffer) => (err ? reject(err) : resolve(res!)),
      ) as grpc.ClientWritableStream<Framable>;
      const buffer = Buffer.alloc(FRAME_HEADER_BYTES + 300 * 1024);
      void (async () => {
        for (let i = 0; i < count; i++) {
          const bytes = messageBytes(1, i);
          bytes.copy(buffer, FRAME_HEADER_BYTES);
          sent.push(sha(bytes));
          await new Promise<void>((resolve) => call.write({ buffer, start: FRAME_HEADER_BYTES, end: FRAME_HEADER_BYTES + bytes.length }, () => resolve()));
          buffer.fill(0xa5); // scribbles over the message as soon as it is the caller's again
        }
        call.end();
      })();
    });
    expect((await answer).toString().split(',')).toEqual(sent);
  }, 30_000);

  test('server to client: 200 messages from one reused buffer arrive byte for byte', async () => {
    const got: string[] = [];
    const call = (client as unknown as { makeServerStreamRequest: Function }).makeServerStreamRequest(
      '/framing.Test/Get',
      serialize,
      deserialize,
      Buffer.from('2,200'),
      new grpc.Metadata(),
      {},
    ) as grpc.ClientReadableStream<Buffer>;
    await new Promise<void>((resolve, reject) => {
      call.on('data', (m: Buffer) => got.push(sha(m)));
      call.on('end', resolve);
      call.on('error', reject);
    });
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => sha(messageBytes(2, i))));
  }, 30_000);
});
