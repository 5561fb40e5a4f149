// Small request bodies (XML configuration, DeleteObjects, CompleteMultipartUpload) read whole, with
// a bound, and checked against Content-MD5 when the client sent one.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error, s3Errors } from './s3-error.js';

export async function readSmallBody(body: AsyncIterable<Buffer>, headers: IncomingHttpHeaders, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const data of body) {
    total += data.length;
    if (total > limit) throw new S3Error(400, 'MaxMessageLengthExceeded', `Your request was too big (over ${limit} bytes).`);
    parts.push(data);
  }
  const whole = Buffer.concat(parts, total);
  const contentMd5 = headers['content-md5'];
  if (typeof contentMd5 === 'string') {
    if (!/^[A-Za-z0-9+/]{22}==$/.test(contentMd5)) throw s3Errors.invalidDigest();
    if (createHash('md5').update(whole).digest('base64') !== contentMd5) throw s3Errors.badDigest();
  }
  return whole;
}
