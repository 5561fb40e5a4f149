// The S3 answers the console reads: ListBuckets. Pure (our S3 XML is flat and simple).
import { xmlElements, xmlText } from './failure.js';

export interface BucketInfo {
  name: string;
  created: string;
}

export function parseListBuckets(xml: string): BucketInfo[] {
  return xmlElements(xml, 'Bucket').map((b) => ({ name: xmlText(b, 'Name') ?? '', created: xmlText(b, 'CreationDate') ?? '' }));
}
