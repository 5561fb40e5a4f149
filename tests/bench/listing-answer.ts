// What a ListObjectsV2 answer holds, read from its XML with two patterns: the listing benchmark
// checks each answer without paying for (or timing) an XML parser.

export interface ListingSummary {
  keyCount: number;
  nextContinuationToken: string | null;
}

export function listingSummary(xml: string): ListingSummary {
  const count = /<KeyCount>(\d+)<\/KeyCount>/.exec(xml);
  if (!count) throw new Error(`not a ListObjectsV2 answer: ${xml.slice(0, 200)}`);
  const token = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml);
  return { keyCount: Number(count[1]), nextContinuationToken: token ? token[1]! : null };
}
