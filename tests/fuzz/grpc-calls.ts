// The gRPC calls of the node fuzz cases, each ending in its status (never throwing) within a bound:
// PutChunk streams written message by message (cancelled where a case says), GetChunk read whole,
// the unary calls, the same calls with bytes that are not protobuf messages, and gRPC requests
// written as HTTP/2 by hand.
import { connect } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { bearerValue } from '../../proto/cluster-token.js';
import { callMetadataInterceptor, storageProto, type StorageServiceClient } from '../../proto/storage-proto.js';
import type { GetChunkResponse__Output } from '../../proto/generated/storage/GetChunkResponse.js';
import type { PutChunkResponse__Output } from '../../proto/generated/storage/PutChunkResponse.js';
import type { GrpcCase } from './grpc-cases.js';

const { status } = grpc;

/** A call that neither answers nor fails within this long is a hang. */
export const CALL_TIMEOUT_MS = 30_000;

export interface Ended {
  /** The gRPC status code; -1 when an HTTP/2 exchange ended without one. */
  code: number;
  details: string;
}

const ended = (err: grpc.ServiceError | null): Ended => ({ code: err ? err.code : status.OK, details: err?.details ?? '' });

/** Rejects after CALL_TIMEOUT_MS. */
function bounded<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no status within ${CALL_TIMEOUT_MS} ms (a hang)`)), CALL_TIMEOUT_MS)))]).finally(() =>
    clearTimeout(timer),
  );
}

export type RawStorageClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** A client of the node's calls that sends bytes as given (no protobuf encoding) and returns the answer's bytes. */
export function rawStorageClient(address: string, clusterToken: string): RawStorageClient {
  const service = storageProto().StorageService.service;
  const identity = Object.fromEntries(Object.entries(service).map(([name, def]) => [name, { ...def, requestSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b }]));
  const Raw = grpc.makeGenericClientConstructor(identity as unknown as grpc.ServiceDefinition, 'RawStorageService');
  return new Raw(address, grpc.credentials.createInsecure(), { interceptors: [callMetadataInterceptor(clusterToken)] }) as RawStorageClient;
}

export async function put(client: StorageServiceClient, k: Extract<GrpcCase, { kind: 'put' }>): Promise<Ended & { response?: PutChunkResponse__Output }> {
  let call!: grpc.ClientWritableStream<unknown>;
  const result = new Promise<Ended & { response?: PutChunkResponse__Output }>((resolve) => {
    call = client.putChunk((err, response) => resolve({ ...ended(err), ...(response ? { response } : {}) })) as grpc.ClientWritableStream<unknown>;
  });
  call.on('error', () => undefined); // the status comes through the callback
  let done = false;
  void result.then(() => (done = true));
  for (const [i, message] of k.messages.entries()) {
    if (done) break;
    if (k.cancelAfter === i) {
      call.cancel();
      return bounded('PutChunk', result);
    }
    if (!call.write(message)) await Promise.race([new Promise((r) => call.once('drain', r)), result]);
  }
  call.end();
  return bounded('PutChunk', result);
}

export async function get(client: StorageServiceClient, k: Extract<GrpcCase, { kind: 'get' }>): Promise<Ended & { messages: GetChunkResponse__Output[] }> {
  const request = { chunkId: k.id, offset: k.offset, ...(k.length === undefined ? {} : { length: k.length }), withBlockChecksums: k.withBlockChecksums };
  const messages: GetChunkResponse__Output[] = [];
  const stream = client.getChunk(request as never);
  const run = (async () => {
    try {
      for await (const m of stream as AsyncIterable<GetChunkResponse__Output>) messages.push(m);
      return { code: status.OK, details: '' };
    } catch (err) {
      return ended(err as grpc.ServiceError);
    }
  })();
  return { ...(await bounded('GetChunk', run)), messages };
}

export function unary(client: StorageServiceClient, k: Extract<GrpcCase, { kind: 'unary' }>): Promise<Ended & { response?: Record<string, unknown> }> {
  const fn = (client[k.method] as (req: unknown, cb: (err: grpc.ServiceError | null, res?: Record<string, unknown>) => void) => unknown).bind(client);
  return bounded(k.method, new Promise((resolve) => fn(k.method === 'healthCheck' ? {} : { chunkId: k.id }, (err, res) => resolve({ ...ended(err), ...(res ? { response: res } : {}) }))));
}

/** A call with the case's bytes as its messages; a PutChunk's answer comes back as bytes. */
export function raw(client: RawStorageClient, k: Extract<GrpcCase, { kind: 'raw' }>): Promise<Ended & { response?: Buffer }> {
  return bounded(
    `raw ${k.method}`,
    new Promise<Ended & { response?: Buffer }>((resolve) => {
      const fn = client[k.method]!.bind(client) as (...args: unknown[]) => grpc.ClientWritableStream<Buffer> | grpc.ClientReadableStream<Buffer>;
      if (k.method === 'PutChunk') {
        const call = fn((err: grpc.ServiceError | null, response?: Buffer) => resolve({ ...ended(err), ...(response ? { response } : {}) })) as grpc.ClientWritableStream<Buffer>;
        call.on('error', () => undefined);
        for (const m of k.messages) call.write(m);
        call.end();
      } else if (k.method === 'GetChunk') {
        const call = fn(k.messages[0]) as grpc.ClientReadableStream<Buffer>;
        call.on('data', () => undefined);
        call.on('error', (err: grpc.ServiceError) => resolve(ended(err)));
        call.on('end', () => resolve(ended(null)));
      } else {
        fn(k.messages[0], (err: grpc.ServiceError | null) => resolve(ended(err)));
      }
    }),
  );
}

/** A gRPC request written as HTTP/2 by hand: the status from trailers (or headers), or the stream's reset code. */
export function h2(address: string, clusterToken: string | null, k: Extract<GrpcCase, { kind: 'h2' }>): Promise<Ended & { reset: number | null }> {
  return bounded(
    'HTTP/2',
    new Promise((resolve) => {
      const session = connect(`http://${address}`);
      session.on('error', () => undefined);
      const req = session.request({ ':method': 'POST', ':path': k.path, ...k.headers, ...(clusterToken === null ? {} : { authorization: bearerValue(clusterToken) }) });
      let code: number | null = null;
      let details = '';
      const take = (h: Record<string, unknown>): void => {
        if (h['grpc-status'] !== undefined) code = Number(h['grpc-status']);
        if (h['grpc-message'] !== undefined) details = decodeURIComponent(String(h['grpc-message']));
      };
      req.on('response', take);
      req.on('trailers', take);
      req.on('data', () => undefined);
      req.on('error', () => undefined);
      req.on('close', () => {
        const reset = req.rstCode && req.rstCode !== 0 ? req.rstCode : null;
        session.close();
        resolve({ code: code ?? -1, details, reset });
      });
      req.end(k.body);
    }),
  );
}
