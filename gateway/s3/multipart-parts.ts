// The parts named by CompleteMultipartUpload, checked against the uploaded ones, and the ETag of the
// object they make (MD5 of the parts' binary MD5s, then "-<number of parts>", as S3 computes it). Pure.
import { createHash } from 'node:crypto';
import { S3Error, s3Errors } from './s3-error.js';
import { xmlText } from './s3-xml.js';

export interface PartChoice {
  partNumber: number;
  etag: string; // without quotes
}

const unquote = (etag: string): string => etag.trim().replace(/^"(.*)"$/, '$1');

/** The <Part> list of a CompleteMultipartUpload body. */
export function partChoicesFrom(body: Record<string, unknown>): PartChoice[] {
  const parts = body.Part;
  if (!Array.isArray(parts) || parts.length === 0) {
    throw new S3Error(400, 'MalformedXML', 'CompleteMultipartUpload names no parts');
  }
  return parts.map((p: Record<string, unknown>) => {
    const number = xmlText(p.PartNumber, 'PartNumber').trim();
    if (!/^\d{1,5}$/.test(number) || Number(number) < 1 || Number(number) > 10_000) {
      throw s3Errors.invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', number);
    }
    return { partNumber: Number(number), etag: unquote(xmlText(p.ETag, 'ETag')) };
  });
}

/**
 * S3's rules: part numbers strictly ascending, every part uploaded with the ETag given, every part
 * but the last at least `minPartSize` bytes.
 */
export function checkCompletedParts(
  chosen: PartChoice[],
  uploaded: { part_number: number; etag: string; size: number }[],
  minPartSize: number,
): void {
  for (let i = 1; i < chosen.length; i++) {
    if (chosen[i]!.partNumber <= chosen[i - 1]!.partNumber) {
      throw new S3Error(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.');
    }
  }
  const byNumber = new Map(uploaded.map((p) => [p.part_number, p]));
  chosen.forEach((choice, i) => {
    const part = byNumber.get(choice.partNumber);
    if (!part || part.etag !== choice.etag) {
      throw new S3Error(
        400,
        'InvalidPart',
        "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        { fields: { PartNumber: String(choice.partNumber), ETag: choice.etag } },
      );
    }
    if (i < chosen.length - 1 && part.size < minPartSize) {
      throw new S3Error(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
        fields: { PartNumber: String(choice.partNumber), ProposedSize: String(part.size), MinSizeAllowed: String(minPartSize) },
      });
    }
  });
}

export function multipartEtag(partMd5s: string[]): string {
  const hash = createHash('md5');
  for (const md5 of partMd5s) hash.update(Buffer.from(md5, 'hex'));
  return `${hash.digest('hex')}-${partMd5s.length}`;
}
