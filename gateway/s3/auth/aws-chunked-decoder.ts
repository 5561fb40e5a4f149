// Decodes an aws-chunked request body (Content-Encoding: aws-chunked) as it streams:
//
//   signed:    <hex size>;chunk-signature=<sig>\r\n<data>\r\n ... 0;chunk-signature=<sig>\r\n[trailers]\r\n
//   unsigned:  <hex size>\r\n<data>\r\n ... 0\r\n[trailers]\r\n
//   trailers:  <name>:<value>\r\n ... [x-amz-trailer-signature:<sig>\r\n]
//
// Every chunk signature is checked (chained from the request's seed signature, compared in constant
// time), and so is the trailer signature. Memory stays bounded whatever the chunk sizes: data is
// passed on as it arrives, not held back until its chunk's signature is checked. A chunk's signature
// is checked as soon as its last byte has been read, before any byte of the next chunk goes out, and
// the stream only ends after the final chunk, the trailer and the decoded length are verified. So at
// most one chunk of unverified bytes is ever downstream, and a consumer that aborts the upload on a
// stream error (as it must for a client that disconnects anyway) never makes any of it visible.
// Holding chunks back would cost a buffer as large as the largest chunk a client chooses to send.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3AuthError } from './s3-auth-error.js';
import { canonicalTrailer, chunkStringToSign, signaturesMatch, signHex, trailerStringToSign } from './sigv4-canonical.js';
import type { ChunkSigningContext } from './sigv4-verify.js';

/** A chunk-size line (size and extensions) longer than this is refused: real ones are under 100 bytes. */
export const MAX_CHUNK_LINE_BYTES = 4096;
/** The whole trailer section is refused past this: a few checksum headers fit in a few hundred bytes. */
export const MAX_TRAILER_BYTES = 16 * 1024;

const TRAILER_SIGNATURE = 'x-amz-trailer-signature';
const LF = 0x0a;
const CR = 0x0d;

export interface AwsChunkedOptions {
  /** Chunks carry chunk-signature extensions (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]). */
  signedChunks: boolean;
  /** Trailing headers may follow the final chunk (...-TRAILER modes). */
  trailer: boolean;
  /** The names announced in x-amz-trailer (lower case): exactly these must arrive. */
  announcedTrailers: readonly string[];
  /** x-amz-decoded-content-length, when given: the decoded bytes must add up to it. */
  decodedLength?: number;
  /** Required with signedChunks: the key, scope, date and seed signature of the request. */
  signing?: ChunkSigningContext;
}

type State = 'size-line' | 'data' | 'data-crlf' | 'trailer' | 'done';

const invalid = (message: string) => new S3AuthError('InvalidRequest', message);
const badSignature = (message: string) => new S3AuthError('SignatureDoesNotMatch', message);
const malformedTrailer = (why: string) =>
  new S3AuthError('MalformedTrailerError', `The request contained trailing data that was not well-formed or did not conform to our published schema: ${why}`);

export class AwsChunkedDecoder extends Transform {
  /** The trailing headers (lower-case names, x-amz-trailer-signature left out), complete once the stream has ended. */
  readonly trailers = new Map<string, string>();
  /** Decoded bytes passed on so far. */
  decodedBytes = 0;

  private state: State = 'size-line';
  private line = '';
  private remaining = 0;
  private crlfSeen = 0;
  private chunkHash: Hash | undefined;
  private chunkSignature = '';
  private previousSignature: string;
  private trailerBytes = 0;
  private trailerSignature: string | undefined;
  // A blank line before any trailer: the end, unless trailers still follow (some encoders write one).
  private blankBeforeTrailers = false;

  constructor(private readonly options: AwsChunkedOptions) {
    super();
    if (options.signedChunks && !options.signing) throw new Error('signed aws-chunked decoding needs the signing context');
    this.previousSignature = options.signing?.seedSignature ?? '';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.finish();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private consume(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case 'size-line': {
          const line = this.readLine(buf, i, MAX_CHUNK_LINE_BYTES - this.line.length, 'chunk-size line');
          if (line === undefined) return;
          i = line.next;
          this.startChunk(line.text);
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, buf.length - i);
          const piece = buf.subarray(i, i + n);
          i += n;
          this.remaining -= n;
          this.decodedBytes += n;
          const declared = this.options.decodedLength;
          if (declared !== undefined && this.decodedBytes > declared) {
            throw invalid(`The decoded body is longer than x-amz-decoded-content-length (${declared}).`);
          }
          this.chunkHash?.update(piece);
          this.push(piece);
          if (this.remaining === 0) {
            this.state = 'data-crlf';
            this.crlfSeen = 0;
          }
          break;
        }
        case 'data-crlf': {
          if (buf[i] !== (this.crlfSeen === 0 ? CR : LF)) throw invalid('A chunk of the aws-chunked body is not followed by CRLF.');
          i++;
          if (++this.crlfSeen === 2) {
            if (this.options.signedChunks) this.verifyChunk();
            this.state = 'size-line';
          }
          break;
        }
        case 'trailer': {
          const room = Math.min(MAX_CHUNK_LINE_BYTES - this.line.length, MAX_TRAILER_BYTES - this.trailerBytes);
          const line = this.readLine(buf, i, room, 'trailer');
          if (line === undefined) return;
          this.trailerBytes += line.next - i;
          i = line.next;
          this.trailerLine(line.text);
          break;
        }
        case 'done':
          throw invalid('Data follows the end of the aws-chunked body.');
      }
    }
  }

  /** Reads up to the next LF; returns the line without CRLF, or undefined when the buffer ended first. */
  private readLine(buf: Buffer, from: number, room: number, what: string): { text: string; next: number } | undefined {
    const lf = buf.indexOf(LF, from);
    const end = lf < 0 ? buf.length : lf;
    if (end - from > room) throw invalid(`The aws-chunked ${what} is too long.`);
    this.line += buf.toString('latin1', from, end);
    if (lf < 0) return undefined;
    const text = this.line;
    this.line = '';
    if (!text.endsWith('\r')) throw invalid(`The aws-chunked ${what} does not end with CRLF.`);
    return { text: text.slice(0, -1), next: lf + 1 };
  }

  private startChunk(line: string): void {
    const semicolon = line.indexOf(';');
    const sizeText = semicolon < 0 ? line : line.slice(0, semicolon);
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw invalid(`Malformed aws-chunked chunk size "${sizeText.slice(0, 32)}".`);
    const size = parseInt(sizeText, 16);
    if (!Number.isSafeInteger(size)) throw invalid('An aws-chunked chunk size is too large.');
    if (this.options.signedChunks) {
      const extension = semicolon < 0 ? '' : line.slice(semicolon + 1);
      const match = /^chunk-signature=([0-9a-fA-F]{64})$/.exec(extension);
      if (!match) throw badSignature('An aws-chunked chunk has no valid chunk-signature.');
      this.chunkSignature = match[1]!;
      this.chunkHash = createHash('sha256');
    }
    // Unsigned chunks may carry other extensions; they mean nothing here and are skipped.
    if (size > 0) {
      this.remaining = size;
      this.state = 'data';
      return;
    }
    // The final chunk: signed like the others, over no data; then the trailer section.
    if (this.options.signedChunks) this.verifyChunk();
    this.state = 'trailer';
  }

  private verifyChunk(): void {
    const { signingKey, amzDate, scope } = this.options.signing!;
    const dataHash = this.chunkHash!.digest('hex');
    const expected = signHex(signingKey, chunkStringToSign(amzDate, scope, this.previousSignature, dataHash));
    if (!signaturesMatch(expected, this.chunkSignature)) {
      throw badSignature('The chunk signature we calculated does not match the chunk-signature you provided.');
    }
    this.previousSignature = this.chunkSignature.toLowerCase();
    this.chunkHash = undefined;
  }

  private trailerLine(line: string): void {
    if (line === '') {
      const nothingYet = this.trailers.size === 0 && this.trailerSignature === undefined;
      if (this.options.trailer && nothingYet && !this.blankBeforeTrailers) {
        this.blankBeforeTrailers = true;
        return;
      }
      this.state = 'done';
      this.finishTrailers();
      return;
    }
    if (!this.options.trailer) throw malformedTrailer('this body has no trailer (x-amz-content-sha256 does not end in -TRAILER).');
    // A stray CR or other control character would otherwise vanish in the trimming of the value.
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) throw malformedTrailer('a trailer line holds a control character.');
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformedTrailer('a trailer line has no name.');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (this.trailerSignature !== undefined) throw malformedTrailer(`"${name}" follows the trailer signature.`);
    if (name === TRAILER_SIGNATURE) {
      if (!this.options.signedChunks) throw malformedTrailer('an unsigned body has no trailer signature.');
      this.trailerSignature = value;
      return;
    }
    if (this.trailers.has(name)) throw malformedTrailer(`"${name}" is given twice.`);
    this.trailers.set(name, value);
  }

  private finishTrailers(): void {
    if (this.options.signedChunks && this.options.trailer) {
      if (this.trailerSignature === undefined) throw badSignature('The trailer has no x-amz-trailer-signature.');
      const { signingKey, amzDate, scope } = this.options.signing!;
      const expected = signHex(signingKey, trailerStringToSign(amzDate, scope, this.previousSignature, canonicalTrailer(this.trailers)));
      if (!signaturesMatch(expected, this.trailerSignature)) {
        throw badSignature('The trailer signature we calculated does not match the x-amz-trailer-signature you provided.');
      }
    }
    for (const name of this.trailers.keys()) {
      if (!this.options.announcedTrailers.includes(name)) throw malformedTrailer(`"${name}" was not announced in x-amz-trailer.`);
    }
    for (const name of this.options.announcedTrailers) {
      if (!this.trailers.has(name)) throw malformedTrailer(`"${name}" was announced in x-amz-trailer but not sent.`);
    }
  }

  private finish(): void {
    if (this.state === 'trailer' && this.line === '') {
      // The body ended after complete trailer lines without the closing blank line: nothing is
      // missing that a signature or a checksum would not catch.
      this.state = 'done';
      this.finishTrailers();
    }
    if (this.state !== 'done') {
      throw new S3AuthError('IncompleteBody', 'The request body ended before the end of its aws-chunked encoding.');
    }
    const declared = this.options.decodedLength;
    if (declared !== undefined && this.decodedBytes !== declared) {
      throw new S3AuthError(
        'IncompleteBody',
        `You did not provide the number of bytes specified by x-amz-decoded-content-length (${this.decodedBytes} of ${declared}).`,
      );
    }
  }
}
