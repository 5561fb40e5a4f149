// S3's XML: answers are built and request bodies parsed with fast-xml-parser. Parsing keeps every
// value a string (a key "0001" must stay "0001") and every element that may repeat an array.
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { S3Error, s3Errors } from './s3-error.js';

export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

const builder = new XMLBuilder({ ignoreAttributes: false, suppressEmptyNode: false, format: false });
const REPEATED = new Set(['Object', 'Part', 'CORSRule', 'AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader']);
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  // Also decodes character references (&#13;, &#x0A;), which S3 asks for in keys with CR or LF; the
  // HTML names it adds (&nbsp;) are not XML and would be malformed anyway.
  htmlEntities: true,
  isArray: (name) => REPEATED.has(name),
});

/** A document with one root element in the S3 namespace; undefined values are left out. */
export function xmlDocument(root: string, body: Record<string, unknown>, namespace = true): string {
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    [root]: namespace ? { '@_xmlns': S3_NAMESPACE, ...dropUndefined(body) } : dropUndefined(body),
  }) as string;
}

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

export function errorDocument(err: S3Error, resource: string, requestId: string): string {
  return xmlDocument(
    'Error',
    { Code: err.code, Message: err.message, ...(err.extra.fields ?? {}), Resource: resource, RequestId: requestId },
    false,
  );
}

/**
 * Characters XML 1.0 does not allow anywhere in a document (the parser lets them through): C0
 * controls but tab, CR and LF, U+FFFE, U+FFFF and unpaired surrogates. U+0000 among them would
 * reach PostgreSQL, whose text and jsonb cannot hold it (an InternalError), so S3's MalformedXML.
 */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Parses a request body; whitespace-only text between elements is dropped, values stay as sent. */
export function parseXml(text: string, root: string): Record<string, unknown> {
  if (NOT_XML_CHAR.test(text)) throw s3Errors.malformedXml();
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(text, true) as Record<string, unknown>;
  } catch {
    throw s3Errors.malformedXml();
  }
  // One root, the expected one (two roots come back as an array), holding elements or only whitespace.
  const roots = Object.keys(doc).filter((name) => !name.startsWith('?'));
  const body = doc[root];
  if (roots.length !== 1 || body === undefined || Array.isArray(body)) throw s3Errors.malformedXml();
  if (typeof body === 'string') {
    if (body.trim() !== '') throw s3Errors.malformedXml();
    return {};
  }
  return stripWhitespace(body) as Record<string, unknown>;
}

function stripWhitespace(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripWhitespace);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== '#text' || String(v).trim() !== '') out[k] = stripWhitespace(v);
    return out;
  }
  return value;
}

export function xmlText(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new S3Error(400, 'MalformedXML', `${what} is missing or not text`);
  return value;
}
