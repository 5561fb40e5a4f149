// Against S3's CORS documentation: up to 100 rules; methods GET, PUT, POST, DELETE, HEAD; at most one
// * in an AllowedOrigin or AllowedHeader; the first rule whose origin, method and every requested
// header match is used; only the requested headers are sent back.
import { describe, expect, test } from 'vitest';
import { corsResponseHeaders, parseCorsConfiguration, preflight, type CorsRule } from '../../gateway/s3/cors-rules.js';
import { parseXml } from '../../gateway/s3/s3-xml.js';
import { s3ErrorOf } from '../helpers/s3-error-of.js';

const parse = (rules: string) => parseCorsConfiguration(parseXml(`<CORSConfiguration>${rules}</CORSConfiguration>`, 'CORSConfiguration'));

// The three rules of the S3 User Guide's first CORS example, plus MaxAgeSeconds and ExposeHeader.
const EXAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule>
    <ID>example1</ID>
    <AllowedOrigin>http://www.example1.com</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedMethod>DELETE</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
    <ExposeHeader>x-amz-server-side-encryption</ExposeHeader>
    <ExposeHeader>x-amz-request-id</ExposeHeader>
  </CORSRule>
  <CORSRule>
    <AllowedOrigin>http://*.example2.com</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>x-amz-*</AllowedHeader>
    <AllowedHeader>Content-Type</AllowedHeader>
  </CORSRule>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
  </CORSRule>
</CORSConfiguration>`;
const rules: CorsRule[] = parseCorsConfiguration(parseXml(EXAMPLE, 'CORSConfiguration'));

describe('PutBucketCors parsing', () => {
  test('the example configuration', () => {
    expect(rules).toEqual([
      {
        id: 'example1',
        allowedOrigins: ['http://www.example1.com'],
        allowedMethods: ['PUT', 'POST', 'DELETE'],
        allowedHeaders: ['*'],
        exposeHeaders: ['x-amz-server-side-encryption', 'x-amz-request-id'],
        maxAgeSeconds: 3000,
      },
      { id: null, allowedOrigins: ['http://*.example2.com'], allowedMethods: ['PUT', 'GET'], allowedHeaders: ['x-amz-*', 'Content-Type'], exposeHeaders: [], maxAgeSeconds: null },
      { id: null, allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: [], exposeHeaders: [], maxAgeSeconds: null },
    ]);
  });

  test('no rules, more than 100, or a rule without an origin or a method: MalformedXML', () => {
    const rule = '<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>';
    expect(parse(rule.repeat(100))).toHaveLength(100);
    for (const body of ['', rule.repeat(101), '<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>', '<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>']) {
      const err = s3ErrorOf(() => parse(body));
      expect(err.status).toBe(400);
      expect(err.code).toBe('MalformedXML');
    }
  });

  test('methods other than GET, PUT, POST, DELETE and HEAD: InvalidRequest', () => {
    for (const method of ['PATCH', 'OPTIONS', 'get', '*']) {
      const err = s3ErrorOf(() => parse(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>${method}</AllowedMethod></CORSRule>`));
      expect(err.code, method).toBe('InvalidRequest');
      expect(err.message).toContain(method);
    }
  });

  test('more than one wildcard in an AllowedOrigin or an AllowedHeader: InvalidRequest', () => {
    const origin = s3ErrorOf(() => parse('<CORSRule><AllowedOrigin>http://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>'));
    expect(origin.code).toBe('InvalidRequest');
    const header = s3ErrorOf(() => parse('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader></CORSRule>'));
    expect(header.code).toBe('InvalidRequest');
  });

  test('an ExposeHeader that is not a header name: InvalidRequest (it went into a response header, a 500 on every preflight; found by the S3 fuzz suite)', () => {
    for (const bad of ['\u{1F600}', 'x-amz-request-id\u0085', 'a b', 'x:y', '']) {
      const err = s3ErrorOf(() => parse(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>${bad}</ExposeHeader></CORSRule>`));
      expect(err.code, JSON.stringify(bad)).toBe('InvalidRequest');
    }
    expect(parse('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader> x-amz-meta-Custom_1 </ExposeHeader></CORSRule>')[0]!.exposeHeaders).toEqual(['x-amz-meta-Custom_1']);
  });

  test('MaxAgeSeconds must be a non-negative integer', () => {
    const withMaxAge = (v: string) => parse(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>${v}</MaxAgeSeconds></CORSRule>`);
    expect(withMaxAge('0')[0]!.maxAgeSeconds).toBe(0);
    expect(withMaxAge(' 600 ')[0]!.maxAgeSeconds).toBe(600);
    for (const v of ['-1', '1.5', 'ten', '', ' ', '1e3', '0x10']) {
      expect(s3ErrorOf(() => withMaxAge(v)).code, JSON.stringify(v)).toBe('MalformedXML');
    }
  });
});

describe('preflight (OPTIONS)', () => {
  test('a specific origin is echoed, with credentials allowed and Vary', () => {
    expect(preflight(rules, 'http://www.example1.com', 'PUT', 'Content-Type, X-Amz-Date')).toEqual({
      'Access-Control-Allow-Origin': 'http://www.example1.com',
      'Access-Control-Allow-Methods': 'PUT, POST, DELETE',
      'Access-Control-Allow-Headers': 'content-type, x-amz-date',
      'Access-Control-Expose-Headers': 'x-amz-server-side-encryption, x-amz-request-id',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Max-Age': '3000',
      Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    });
  });

  test('the * origin answers *, without credentials', () => {
    expect(preflight(rules, 'https://anyone.test', 'GET', undefined)).toEqual({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET',
    });
  });

  test('origins with one wildcard', () => {
    expect(preflight(rules, 'http://app.example2.com', 'PUT', undefined)['Access-Control-Allow-Origin']).toBe('http://app.example2.com');
    expect(preflight(rules, 'http://a.b.example2.com', 'PUT', undefined)['Access-Control-Allow-Origin']).toBe('http://a.b.example2.com');
    // Not under the pattern: only the GET-for-everyone rule could match, and PUT is not in it.
    for (const origin of ['https://app.example2.com', 'http://example2.com', 'http://app.example2.com.evil.test', 'http://www.example1.com:8080']) {
      expect(s3ErrorOf(() => preflight(rules, origin, 'PUT', undefined)).code, origin).toBe('AccessForbidden');
    }
  });

  test('the first matching rule is used', () => {
    // example1.com may GET through the third rule only; example2 subdomains PUT through the second.
    expect(preflight(rules, 'http://www.example1.com', 'GET', undefined)['Access-Control-Allow-Origin']).toBe('*');
    expect(preflight(rules, 'http://www.example2.com', 'GET', undefined)['Access-Control-Allow-Methods']).toBe('PUT, GET');
  });

  test('every requested header must be allowed, case-insensitively, with header wildcards', () => {
    expect(preflight(rules, 'http://x.example2.com', 'PUT', 'x-amz-date,X-AMZ-Content-SHA256 ,content-type')['Access-Control-Allow-Headers']).toBe(
      'x-amz-date, x-amz-content-sha256, content-type',
    );
    expect(preflight(rules, 'http://x.example2.com', 'PUT', ' , ,')).not.toHaveProperty('Access-Control-Allow-Headers');
    const err = s3ErrorOf(() => preflight(rules, 'http://x.example2.com', 'PUT', 'x-amz-date, authorization'));
    expect(err.status).toBe(403);
    expect(err.code).toBe('AccessForbidden');
    // The * rule has no AllowedHeader: a GET preflight that asks for a header is refused.
    expect(s3ErrorOf(() => preflight(rules, 'https://anyone.test', 'GET', 'x-custom')).code).toBe('AccessForbidden');
  });

  test('the requested method is matched case-insensitively; a method no rule allows is refused', () => {
    expect(preflight(rules, 'http://www.example1.com', 'delete', undefined)['Access-Control-Allow-Origin']).toBe('http://www.example1.com');
    expect(s3ErrorOf(() => preflight(rules, 'https://anyone.test', 'HEAD', undefined)).code).toBe('AccessForbidden');
  });

  test('a bucket without CORS rules refuses every preflight', () => {
    const err = s3ErrorOf(() => preflight(null, 'https://anyone.test', 'GET', undefined));
    expect(err.status).toBe(403);
    expect(err.code).toBe('AccessForbidden');
  });

  test('a preflight without Origin or Access-Control-Request-Method is a bad request', () => {
    for (const [origin, method] of [[undefined, 'GET'], ['https://a.test', undefined], ['', 'GET']] as const) {
      const err = s3ErrorOf(() => preflight(rules, origin, method, undefined));
      expect(err.status).toBe(400);
      expect(err.code).toBe('InvalidRequest');
    }
  });
});

describe('actual requests', () => {
  test('a matching origin and method get the allow headers, without Allow-Headers or Max-Age', () => {
    expect(corsResponseHeaders(rules, 'http://www.example1.com', 'PUT')).toEqual({
      'Access-Control-Allow-Origin': 'http://www.example1.com',
      'Access-Control-Allow-Methods': 'PUT, POST, DELETE',
      'Access-Control-Expose-Headers': 'x-amz-server-side-encryption, x-amz-request-id',
      'Access-Control-Allow-Credentials': 'true',
      Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    });
    expect(corsResponseHeaders(rules, 'https://anyone.test', 'GET')).toEqual({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET' });
  });

  test('no Origin, no rules, or no matching rule: no CORS headers, and no error', () => {
    expect(corsResponseHeaders(rules, undefined, 'GET')).toEqual({});
    expect(corsResponseHeaders(null, 'https://anyone.test', 'GET')).toEqual({});
    expect(corsResponseHeaders(rules, 'https://anyone.test', 'PUT')).toEqual({});
    expect(corsResponseHeaders(rules, 'https://anyone.test', 'HEAD')).toEqual({});
  });
});
