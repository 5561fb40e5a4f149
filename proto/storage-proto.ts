// Loads storage.proto once, typed by the generated declarations, for both the node and its callers.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/storage.js';
import type { StorageServiceClient } from './generated/storage/StorageService.js';
import { bearerValue, CLUSTER_TOKEN_METADATA_KEY } from './cluster-token.js';
import { EncodedPutChunk } from './put-chunk-encoding.js';
import { EncodedGetChunk } from './get-chunk-encoding.js';
import { currentRequestId, REQUEST_ID_HEADER } from './request-context.js';

export type { StorageServiceClient };
export type { StorageServiceHandlers } from './generated/storage/StorageService.js';

const MiB = 1024 * 1024;

/** Callers may send messages of up to 16 MiB of data; the limit leaves room for the envelope. */
export const MAX_MESSAGE_BYTES = 16 * MiB + 64 * 1024;

export const GRPC_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
};

function findProtoFile(): string {
  // Compiled code runs from dist/proto/, tests import the sources from proto/.
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'storage.proto'), join(here, '..', '..', 'proto', 'storage.proto')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`storage.proto not found (looked in ${candidates.join(', ')})`);
  return found;
}

let loaded: ProtoGrpcType | undefined;

export function storageProto(): ProtoGrpcType['storage'] {
  if (!loaded) {
    const definition = protoLoader.loadSync(findProtoFile(), {
      keepCase: false,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    loaded = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return loaded.storage;
}

/**
 * The client's HTTP/2 receive window: at the default 64 KiB a GetChunk stream stalls on round trips
 * between the two event loops; 8 MiB roughly doubles chunk download speed on loopback.
 */
const CLIENT_OPTIONS: grpc.ChannelOptions = { 'grpc-node.flow_control_window': 8 * MiB };

/**
 * Adds to every call's metadata the cluster token (`authorization: Bearer <token>`), when there is
 * one, and the id of the request the call serves (`x-request-id`, from request-context.ts), when
 * there is one, so the node's log can name it. grpc-js refuses call credentials on an insecure
 * channel, so an interceptor does it, once per call, on plain and TLS channels alike: messages pass
 * through untouched.
 */
export function callMetadataInterceptor(token: string | undefined): grpc.Interceptor {
  const value = token === undefined ? undefined : bearerValue(token);
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        if (value !== undefined) metadata.set(CLUSTER_TOKEN_METADATA_KEY, value);
        const requestId = currentRequestId();
        if (requestId !== undefined) metadata.set(REQUEST_ID_HEADER, requestId);
        next(metadata, listener);
      },
    });
}

/** Channel options plus the interceptor that sends `clusterToken` and the request id. */
function clientOptions(options: grpc.ChannelOptions, clusterToken: string | undefined): grpc.ClientOptions {
  return { ...GRPC_OPTIONS, ...CLIENT_OPTIONS, ...options, interceptors: [callMetadataInterceptor(clusterToken)] };
}

/**
 * A client for one storage node at `address` (host:port). Every call carries `clusterToken` (the
 * cluster's CLUSTER_TOKEN); without one, calls carry no token (for nodes with AUTH=off).
 * `credentials`: plain HTTP/2 unless given (TLS to the node: nodeChannelCredentials).
 */
export function createStorageClient(
  address: string,
  options: grpc.ChannelOptions = {},
  clusterToken?: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): StorageServiceClient {
  const { StorageService } = storageProto();
  return new StorageService(address, credentials, clientOptions(options, clusterToken));
}

let encodingService: grpc.ServiceDefinition | undefined;

/**
 * The service definition the node serves: like storageProto()'s, but GetChunk also sends an
 * EncodedGetChunk, framed in place: the node encodes its answers in place (get-chunk-encoding.ts).
 */
export function encodingStorageService(): grpc.ServiceDefinition {
  if (!encodingService) {
    const service = storageProto().StorageService.service;
    const get = service.GetChunk!;
    const serialize = get.responseSerialize;
    encodingService = {
      ...service,
      GetChunk: { ...get, responseSerialize: (m: unknown) => (m instanceof EncodedGetChunk ? m.framed() : serialize(m as never)) },
    };
  }
  return encodingService;
}

let passThroughClient: grpc.ServiceClientConstructor | undefined;

/**
 * Like createStorageClient, but PutChunk also accepts an EncodedPutChunk, framed in place: the
 * gateway encodes its messages into reused buffers (put-chunk-encoding.ts).
 */
export function createEncodingStorageClient(
  address: string,
  options: grpc.ChannelOptions = {},
  clusterToken?: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): StorageServiceClient {
  if (!passThroughClient) {
    const service = storageProto().StorageService.service;
    const put = service.PutChunk!;
    const serialize = put.requestSerialize;
    passThroughClient = grpc.makeGenericClientConstructor(
      {
        ...service,
        PutChunk: { ...put, requestSerialize: (m: unknown) => (m instanceof EncodedPutChunk ? m.framed() : serialize(m as never)) },
      },
      'StorageService',
    );
  }
  const client = new passThroughClient(address, credentials, clientOptions(options, clusterToken));
  return client as unknown as StorageServiceClient;
}
