// What a handler of an S3 operation gets: the parsed request, who made it, and its body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { S3Operation } from './s3-operation.js';
import type { ObjectPayload } from './object-service.js';
import type { ChecksumAlgorithm } from './checksums/checksum-algorithm.js';

/** Who signed the request, and what they may do. */
export interface S3Identity {
  accessKeyId: string;
  isRoot: boolean;
  can(bucket: string, access: 'read' | 'write'): boolean;
}

export interface S3Context {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  op: S3Operation;
  bucketName: string | null;
  key: string | null;
  query: URLSearchParams;
  identity: S3Identity;
  /** The decoded, verified request body with the digests S3 needs (PutObject, UploadPart). */
  payload(uploadAlgorithm?: ChecksumAlgorithm): ObjectPayload;
  /** The decoded, verified request body, for small XML documents. */
  body(): AsyncIterable<Buffer>;
}

/** The owner shown in listings and ACLs: one owner per store. */
export const OWNER = { ID: '6f626a73746f7265206f776e657220696420666f7220616c6c206275636b6574', DisplayName: 'objstore' };
