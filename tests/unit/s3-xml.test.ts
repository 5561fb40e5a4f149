// S3's XML bodies: values stay the strings sent (keys like "0001" or " a " are names, not numbers or
// padding), repeated elements are arrays even when there is one, and keys with CR/LF arrive as the
// character references S3 documents (&#13;, &#x0D;, &#10;, &#x0A;: "XML related object key constraints").
import { describe, expect, test } from 'vitest';
import { S3Error } from '../../gateway/s3/s3-error.js';
import { errorDocument, parseXml, S3_NAMESPACE, xmlDocument, xmlText } from '../../gateway/s3/s3-xml.js';
import { s3ErrorOf } from '../helpers/s3-error-of.js';

const keysOf = (deleteBody: string): unknown[] =>
  ((parseXml(`<Delete>${deleteBody}</Delete>`, 'Delete').Object ?? []) as { Key: unknown }[]).map((o) => o.Key);
const key = (k: string) => keysOf(`<Object><Key>${k}</Key></Object>`)[0];

describe('parsing', () => {
  test('a DeleteObjects body as SDKs send it', () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="${S3_NAMESPACE}">
  <Object>
    <Key>photos/2006/January/sample.jpg</Key>
  </Object>
  <Object>
    <Key>0001</Key>
    <VersionId>null</VersionId>
  </Object>
  <Quiet>true</Quiet>
</Delete>`;
    expect(parseXml(body, 'Delete')).toEqual({
      Object: [{ Key: 'photos/2006/January/sample.jpg' }, { Key: '0001', VersionId: 'null' }],
      Quiet: 'true',
    });
  });

  test('values stay strings: leading zeros, numbers, booleans, exponents', () => {
    expect(key('0001')).toBe('0001');
    expect(key('1e3')).toBe('1e3');
    expect(key('0x1F')).toBe('0x1F');
    expect(key('-0')).toBe('-0');
    expect(key('true')).toBe('true');
    expect(key('null')).toBe('null');
    expect(key('12345678901234567890')).toBe('12345678901234567890');
  });

  test('keys keep leading, trailing and inner spaces, and a key of spaces is a key', () => {
    expect(key('  padded key  ')).toBe('  padded key  ');
    expect(key(' ')).toBe(' ');
    expect(key('\ttab')).toBe('\ttab');
    expect(key('')).toBe('');
  });

  test('predefined entities, CDATA and unicode', () => {
    expect(key('a&amp;b&lt;c&gt;d&quot;e&apos;f')).toBe(`a&b<c>d"e'f`);
    expect(key('<![CDATA[a<b&c]]>')).toBe('a<b&c');
    expect(key('x<![CDATA[ <y> ]]>z')).toBe('x <y> z');
    expect(key('&amp;lt;')).toBe('&lt;'); // decoded once only
    expect(key('日本/café/😀')).toBe('日本/café/😀');
  });

  test('character references, as S3 asks for keys with CR or LF', () => {
    expect(key('line1&#13;line2')).toBe('line1\rline2');
    expect(key('line1&#x0D;&#x0A;line2')).toBe('line1\r\nline2');
    expect(key('a&#10;b')).toBe('a\nb');
    expect(key('&#65;&#x42;&#x1F600;')).toBe('AB😀');
    expect(key('&amp;#13;')).toBe('&#13;'); // an escaped ampersand is not a reference
  });

  test('repeated elements are arrays even when there is one', () => {
    expect(parseXml('<Delete><Object><Key>a</Key></Object></Delete>', 'Delete').Object).toEqual([{ Key: 'a' }]);
    expect(parseXml('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>', 'CompleteMultipartUpload').Part).toEqual([
      { PartNumber: '1', ETag: 'e' },
    ]);
    const cors = parseXml('<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>', 'CORSConfiguration');
    expect(cors).toEqual({ CORSRule: [{ AllowedOrigin: ['*'], AllowedMethod: ['GET'], AllowedHeader: ['*'], ExposeHeader: ['ETag'] }] });
    // Elements that do not repeat stay single values.
    expect(parseXml('<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>', 'VersioningConfiguration')).toEqual({ Status: 'Enabled' });
  });

  test('an empty root is an empty object', () => {
    expect(parseXml('<Delete/>', 'Delete')).toEqual({});
    expect(parseXml('<Delete></Delete>', 'Delete')).toEqual({});
    expect(parseXml('<?xml version="1.0"?>\n<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\n</CreateBucketConfiguration>', 'CreateBucketConfiguration')).toEqual({});
  });

  test('not well-formed, or another root: MalformedXML', () => {
    for (const text of ['', 'not xml', '<Delete>', '<Delete><Object></Delete>', '<Delete></Remove>', '<Other/>', '<Delete><Key>a</Key></Delete><Delete/>', '<Delete/><Other/>', '<Delete><Key>a<Key></Delete>', '<Delete>text</Delete>']) {
      const err = s3ErrorOf(() => parseXml(text, 'Delete'));
      expect(err.status, text).toBe(400);
      expect(err.code, text).toBe('MalformedXML');
    }
  });

  test('characters XML 1.0 does not allow are MalformedXML: U+0000 reached PostgreSQL as an InternalError (found by the S3 fuzz suite)', () => {
    for (const c of ['\u0000', '\u0001', '\u0008', '\u000B', '\u000C', '\u001F', '\uFFFE', '\uFFFF', '\uD800', '\uDFFF']) {
      const err = s3ErrorOf(() => parseXml(`<Delete><Object><Key>a${c}b</Key></Object></Delete>`, 'Delete'));
      expect(err.code, JSON.stringify(c)).toBe('MalformedXML');
    }
    // Allowed: tab, CR, LF, the rest of the BMP, paired surrogates.
    expect(key('a\tb')).toBe('a\tb');
    expect(key('\u00e9\ud83d\ude00\uFFFD')).toBe('\u00e9\ud83d\ude00\uFFFD');
  });
});

describe('xmlText', () => {
  test('text passes, anything else is MalformedXML naming the element', () => {
    expect(xmlText(' 0001 ', 'Key')).toBe(' 0001 ');
    expect(xmlText('', 'Key')).toBe('');
    for (const value of [undefined, { N: '1' }, ['a', 'b'], 1]) {
      const err = s3ErrorOf(() => xmlText(value, 'Key'));
      expect(err.code).toBe('MalformedXML');
      expect(err.message).toContain('Key');
    }
  });
});

describe('building', () => {
  test('one root in the S3 namespace, repeated elements from arrays, undefined left out', () => {
    const xml = xmlDocument('ListBucketResult', { Name: 'b', Prefix: '', Marker: undefined, MaxKeys: 1000, IsTruncated: false, Contents: [{ Key: 'a' }, { Key: 'b' }] });
    expect(xml).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="${S3_NAMESPACE}"><Name>b</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>a</Key></Contents><Contents><Key>b</Key></Contents></ListBucketResult>`,
    );
    expect(xmlDocument('Error', { Code: 'X' }, false)).toBe('<?xml version="1.0" encoding="UTF-8"?><Error><Code>X</Code></Error>');
  });

  test('special characters are escaped, spaces and leading zeros kept, and it parses back to the same key', () => {
    const awkward = [' a&b<c>"d\'e ', '0001', '日本/😀', '  ', 'x]]>y'];
    for (const k of awkward) {
      const xml = xmlDocument('Delete', { Object: [{ Key: k }] }, false);
      expect(xml).not.toMatch(/<Key>[^<]*[<>][^<]*<\/Key>/); // no raw markup inside the value
      expect(keysOf(xml.replace(/^.*?<Delete>|<\/Delete>$/g, ''))).toEqual([k]);
    }
  });

  test('error documents carry code, message, extra fields, resource and request id', () => {
    const err = new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', { fields: { Key: 'a&b' } });
    expect(errorDocument(err, '/b/a&b', 'req-1')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&amp;b</Key><Resource>/b/a&amp;b</Resource><RequestId>req-1</RequestId></Error>',
    );
  });
});
