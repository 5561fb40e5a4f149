// ListBucketResult as S3 writes it, for ListObjectsV2 and ListObjects v1. Pure: no I/O.
//
// Written with plain escaping rather than an XML builder: the document is flat and fixed, and keys
// may hold control characters that XML 1.0 cannot carry as text; they go out as character
// references here (S3 does the same; clients that need them exact ask for encoding-type=url).
import type { ListObjectsResult } from './list-objects.js';

export interface Owner {
  id: string;
  displayName: string;
}

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Text for an XML element: markup characters as entities, control characters as references. */
export function xmlText(text: string): string {
  // \t and \n pass as they are; \r would be turned into \n by the reader's line-end handling.
  return text.replace(/[&<>"'\u0000-\u0008\u000b-\u001f\ufffe\uffff]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

const UNRESERVED = /[A-Za-z0-9\-_.*/]/;

/**
 * encoding-type=url as S3 applies it: UTF-8 bytes percent-encoded (upper-case hex) except letters,
 * digits and - _ . * /, a space as '+' (what AWS SDKs decode with unquote_plus / URLDecoder).
 */
export function s3UrlEncode(text: string): string {
  let out = '';
  for (const char of text) {
    if (UNRESERVED.test(char)) out += char;
    else if (char === ' ') out += '+';
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function element(name: string, value: string | number | boolean): string {
  return `<${name}>${typeof value === 'string' ? xmlText(value) : String(value)}</${name}>`;
}

/** The ListBucketResult document of a ListObjectsV2 (version 2) or ListObjects (version 1) answer. */
export function renderListBucketResult(bucket: string, result: ListObjectsResult, owner: Owner): string {
  const { request } = result;
  const name = request.encodingType === 'url' ? s3UrlEncode : (s: string) => s;
  const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<ListBucketResult xmlns="${S3_XMLNS}">`];
  parts.push(element('Name', bucket), element('Prefix', name(request.prefix)));
  if (request.version === 2) {
    if (request.continuationToken !== null) parts.push(element('ContinuationToken', request.continuationToken));
    if (request.startAfter !== null) parts.push(element('StartAfter', name(request.startAfter)));
    parts.push(element('KeyCount', result.keyCount));
  } else {
    parts.push(element('Marker', name(request.marker ?? '')));
  }
  parts.push(element('MaxKeys', request.maxKeys));
  if (request.delimiter !== '') parts.push(element('Delimiter', name(request.delimiter)));
  if (request.encodingType !== null) parts.push(element('EncodingType', request.encodingType));
  parts.push(element('IsTruncated', result.isTruncated));
  if (result.nextContinuationToken !== null) parts.push(element('NextContinuationToken', result.nextContinuationToken));
  if (result.nextMarker !== null) parts.push(element('NextMarker', name(result.nextMarker)));
  const ownerXml = request.fetchOwner ? `<Owner>${element('ID', owner.id)}${element('DisplayName', owner.displayName)}</Owner>` : '';
  for (const o of result.contents) {
    parts.push(
      `<Contents>${element('Key', name(o.key))}${element('LastModified', o.lastModified.toISOString())}` +
        `${element('ETag', `"${o.etag}"`)}${element('Size', o.size)}${ownerXml}${element('StorageClass', 'STANDARD')}</Contents>`,
    );
  }
  for (const p of result.commonPrefixes) parts.push(`<CommonPrefixes>${element('Prefix', name(p))}</CommonPrefixes>`);
  parts.push('</ListBucketResult>');
  return parts.join('');
}
