// SigV4 authentication of S3 requests against the access keys in PostgreSQL, and the request body
// as handlers read it: decoded (aws-chunked) and verified (chunk signatures, signed SHA-256,
// Content-MD5, flexible checksums) as it streams.
import type { IncomingMessage } from 'node:http';
import { keyIdentity, type AccessKeys } from '../auth/access-keys.js';
import { authenticateRequest } from './auth/authenticate.js';
import { createRequestBodyDecoder, type RequestBodyDecoder } from './auth/request-body.js';
import { S3AuthError } from './auth/s3-auth-error.js';
import type { ChecksumAlgorithm } from './checksums/checksum-algorithm.js';
import type { ObjectPayload } from './object-service.js';
import { PayloadDigests } from './payload-digests.js';
import type { S3Authenticator } from './s3-server.js';
import { s3Errors } from './s3-error.js';

/** The body as the client sent it, decoded; a client that goes away mid-body fails it. */
function decodedBody(req: IncomingMessage, decoder: RequestBodyDecoder): RequestBodyDecoder {
  req.on('error', (err) => decoder.destroy(err));
  req.on('close', () => {
    if (!req.complete) decoder.destroy(new S3AuthError('IncompleteBody', 'The client closed the connection before the whole body was sent.'));
  });
  req.pipe(decoder);
  return decoder;
}

/** Bytes of content the request announces: the decoded length of an aws-chunked body, else Content-Length. */
function contentLength(req: IncomingMessage, decoded: number | undefined): number {
  const raw = decoded ?? (req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined);
  if (raw === undefined || !Number.isSafeInteger(raw) || raw < 0) throw s3Errors.missingContentLength();
  return raw;
}

export class SigV4Authenticator implements S3Authenticator {
  constructor(
    private readonly keys: AccessKeys,
    private readonly region: string,
  ) {}

  async authenticate(req: IncomingMessage) {
    const auth = await authenticateRequest(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headersDistinct },
      async (id) => (await this.keys.lookup(id))?.secret,
      { region: this.region },
    );
    if (auth.kind === 'anonymous') throw s3Errors.accessDenied('Anonymous access is not allowed: sign the request with an access key (AWS Signature Version 4).');
    const key = await this.keys.lookup(auth.accessKeyId);
    if (!key) throw new S3AuthError('InvalidAccessKeyId', 'The AWS access key Id you provided does not exist in our records.');
    let opened: RequestBodyDecoder | undefined;
    const body = (): RequestBodyDecoder => (opened ??= decodedBody(req, createRequestBodyDecoder(auth)));
    const payload = (uploadAlgorithm?: ChecksumAlgorithm): ObjectPayload => {
      const length = contentLength(req, auth.payload.kind === 'aws-chunked' ? auth.payload.decodedLength : undefined);
      const digests = new PayloadDigests(req.headers, uploadAlgorithm);
      const source = body();
      return {
        length,
        body: (async function* () {
          for await (const data of source) {
            digests.update(data as Buffer);
            yield data as Buffer;
          }
        })(),
        digests: () => digests.finish(source.trailers),
      };
    };
    return { identity: keyIdentity(key), payload, body };
  }
}
