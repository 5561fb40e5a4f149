// Against S3's GetObject/HeadObject/CopyObject documentation: If-Match true wins over
// If-Unmodified-Since false (200); If-None-Match false wins over If-Modified-Since true (304 on reads,
// 412 for the x-amz-copy-source-if-* headers); unparsable dates are ignored (RFC 7232, which S3 cites).
import { afterEach, describe, expect, test } from 'vitest';
import {
  etagListMatches,
  evaluateConditions,
  readConditions,
  readCopySourceConditions,
} from '../../gateway/s3/conditional-request.js';

const ETAG = '9b2cf535f27731c974343645a3985328';
// Last-Modified has sub-second precision in the store; HTTP dates do not.
const object = { etag: ETAG, lastModified: new Date('2024-03-10T12:00:00.700Z') };
const BEFORE = 'Sun, 10 Mar 2024 11:59:59 GMT';
const SAME_SECOND = 'Sun, 10 Mar 2024 12:00:00 GMT';
const AFTER = 'Sun, 10 Mar 2024 12:00:01 GMT';

const read = (h: Parameters<typeof evaluateConditions>[0]) => evaluateConditions(h, object);
const write = (h: Parameters<typeof evaluateConditions>[0]) => evaluateConditions(h, object, true);
const PROCEED = { kind: 'proceed' };
const NOT_MODIFIED = { kind: 'not-modified' };
const failed = (condition: string) => ({ kind: 'failed', condition });

describe('ETag lists', () => {
  test('quoted, unquoted, weak, lists with spaces, and *', () => {
    expect(etagListMatches(`"${ETAG}"`, ETAG)).toBe(true);
    expect(etagListMatches(ETAG, ETAG)).toBe(true);
    expect(etagListMatches(`W/"${ETAG}"`, ETAG)).toBe(true);
    expect(etagListMatches(`"aaa", "${ETAG}"`, ETAG)).toBe(true);
    expect(etagListMatches(`  "aaa"  ,W/"bbb",   "${ETAG}"  `, ETAG)).toBe(true);
    expect(etagListMatches('*', ETAG)).toBe(true);
    expect(etagListMatches(' * ', ETAG)).toBe(true);
  });

  test('no match', () => {
    expect(etagListMatches('"aaa", "bbb"', ETAG)).toBe(false);
    expect(etagListMatches('', ETAG)).toBe(false);
    expect(etagListMatches(`"${ETAG.slice(1)}"`, ETAG)).toBe(false);
    expect(etagListMatches(`"${ETAG}-1"`, ETAG)).toBe(false);
    expect(etagListMatches(`"${ETAG.toUpperCase()}"`, ETAG)).toBe(false);
  });

  test('multipart ETags', () => {
    expect(etagListMatches('"d41d8cd98f00b204e9800998ecf8427e-3"', 'd41d8cd98f00b204e9800998ecf8427e-3')).toBe(true);
  });
});

describe('single conditions on reads', () => {
  test('no conditions', () => expect(read({})).toEqual(PROCEED));

  test('If-Match', () => {
    expect(read({ ifMatch: `"${ETAG}"` })).toEqual(PROCEED);
    expect(read({ ifMatch: '*' })).toEqual(PROCEED);
    expect(read({ ifMatch: '"other"' })).toEqual(failed('If-Match'));
  });

  test('If-None-Match: 304 when it matches', () => {
    expect(read({ ifNoneMatch: `"${ETAG}"` })).toEqual(NOT_MODIFIED);
    expect(read({ ifNoneMatch: '*' })).toEqual(NOT_MODIFIED);
    expect(read({ ifNoneMatch: '"other"' })).toEqual(PROCEED);
  });

  test('If-Modified-Since: 304 unless modified after the date, to the second', () => {
    expect(read({ ifModifiedSince: BEFORE })).toEqual(PROCEED);
    expect(read({ ifModifiedSince: SAME_SECOND })).toEqual(NOT_MODIFIED);
    expect(read({ ifModifiedSince: AFTER })).toEqual(NOT_MODIFIED);
  });

  test('If-Unmodified-Since: 412 when modified after the date, to the second', () => {
    expect(read({ ifUnmodifiedSince: BEFORE })).toEqual(failed('If-Unmodified-Since'));
    expect(read({ ifUnmodifiedSince: SAME_SECOND })).toEqual(PROCEED);
    expect(read({ ifUnmodifiedSince: AFTER })).toEqual(PROCEED);
  });
});

describe("S3's precedence", () => {
  test('If-Match true and If-Unmodified-Since false: 200', () => {
    expect(read({ ifMatch: `"${ETAG}"`, ifUnmodifiedSince: BEFORE })).toEqual(PROCEED);
  });

  test('If-Match false fails whatever If-Unmodified-Since says', () => {
    expect(read({ ifMatch: '"other"', ifUnmodifiedSince: AFTER })).toEqual(failed('If-Match'));
  });

  test('If-None-Match false and If-Modified-Since true: 304', () => {
    expect(read({ ifNoneMatch: `"${ETAG}"`, ifModifiedSince: BEFORE })).toEqual(NOT_MODIFIED);
  });

  test('If-None-Match true overrides If-Modified-Since false: the object is sent', () => {
    expect(read({ ifNoneMatch: '"other"', ifModifiedSince: AFTER })).toEqual(PROCEED);
  });

  test('a failed If-Match is a 412 even when If-None-Match would answer 304', () => {
    expect(read({ ifMatch: '"other"', ifNoneMatch: `"${ETAG}"` })).toEqual(failed('If-Match'));
    expect(read({ ifUnmodifiedSince: BEFORE, ifModifiedSince: AFTER })).toEqual(failed('If-Unmodified-Since'));
  });

  test('all four at once, all holding', () => {
    expect(read({ ifMatch: ETAG, ifNoneMatch: '"other"', ifModifiedSince: BEFORE, ifUnmodifiedSince: AFTER })).toEqual(PROCEED);
  });
});

describe('writes (the x-amz-copy-source-if-* headers) answer 412 where reads answer 304', () => {
  test('If-None-Match matching', () => {
    expect(write({ ifNoneMatch: `"${ETAG}"` })).toEqual(failed('If-None-Match'));
    expect(write({ ifNoneMatch: '*' })).toEqual(failed('If-None-Match'));
  });

  test('If-Modified-Since not modified', () => {
    expect(write({ ifModifiedSince: AFTER })).toEqual(failed('If-Modified-Since'));
  });

  test("CopyObject's documented pairs", () => {
    // copy-source-if-match true and copy-source-if-unmodified-since false: the copy goes ahead.
    expect(write({ ifMatch: `"${ETAG}"`, ifUnmodifiedSince: BEFORE })).toEqual(PROCEED);
    // copy-source-if-none-match false and copy-source-if-modified-since true: 412.
    expect(write({ ifNoneMatch: `"${ETAG}"`, ifModifiedSince: BEFORE })).toEqual(failed('If-None-Match'));
  });

  test('conditions that hold', () => {
    expect(write({ ifNoneMatch: '"other"', ifModifiedSince: BEFORE })).toEqual(PROCEED);
  });
});

describe('dates', () => {
  test('the three HTTP-date forms are understood', () => {
    // IMF-fixdate, obsolete RFC 850 and asctime: the same second as the object's Last-Modified.
    for (const date of [SAME_SECOND, 'Sunday, 10-Mar-24 12:00:00 GMT', 'Sun Mar 10 12:00:00 2024']) {
      expect(read({ ifModifiedSince: date }), date).toEqual(NOT_MODIFIED);
      expect(read({ ifUnmodifiedSince: date }), date).toEqual(PROCEED);
    }
    expect(read({ ifModifiedSince: 'Sun Mar 10 11:59:59 2024' })).toEqual(PROCEED);
    expect(read({ ifModifiedSince: 'Sun Mar  3 12:00:00 2024' })).toEqual(PROCEED);
    // RFC 850's two-digit year 94 is 1994, not 2094.
    expect(read({ ifModifiedSince: 'Sunday, 06-Nov-94 08:49:37 GMT' })).toEqual(PROCEED);
    expect(read({ ifUnmodifiedSince: 'Sunday, 06-Nov-94 08:49:37 GMT' })).toEqual(failed('If-Unmodified-Since'));
    // 29 February exists in 2024 only.
    expect(read({ ifModifiedSince: 'Thu, 29 Feb 2024 00:00:00 GMT' })).toEqual(PROCEED);
    expect(read({ ifUnmodifiedSince: 'Thu, 29 Feb 2024 00:00:00 GMT' })).toEqual(failed('If-Unmodified-Since'));
    expect(read({ ifUnmodifiedSince: 'Wed, 29 Feb 2023 00:00:00 GMT' })).toEqual(PROCEED);
  });

  test('a date that is not an HTTP-date is ignored, never read as some other date', () => {
    const notDates = ['', 'garbage', 'yesterday', '1', '0', '12', 'foo 12', 'Sun, 32 Mar 2024 12:00:00 GMT', 'Sun, 10 Foo 2024 12:00:00 GMT', 'Sun, 10 Mar 2024 25:00:00 GMT', 'Sun, 10 Mar 2024 12:00:00 +0100', 'Sun, 10 Mar 2024 12:00:00'];
    for (const date of notDates) {
      // If-Modified-Since ignored: the object is sent; If-Unmodified-Since ignored: no 412.
      expect(read({ ifModifiedSince: date }), JSON.stringify(date)).toEqual(PROCEED);
      expect(read({ ifUnmodifiedSince: date }), JSON.stringify(date)).toEqual(PROCEED);
    }
  });

  test('an ignored date does not hide an ETag condition', () => {
    expect(read({ ifMatch: '"other"', ifUnmodifiedSince: 'garbage' })).toEqual(failed('If-Match'));
    expect(read({ ifNoneMatch: ETAG, ifModifiedSince: 'garbage' })).toEqual(NOT_MODIFIED);
  });

  describe('in a time zone other than UTC', () => {
    const tz = process.env.TZ;
    afterEach(() => {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    });
    test('asctime dates are GMT, whatever the server time zone', () => {
      process.env.TZ = 'America/New_York';
      expect(new Date(2024, 2, 10, 12).getTimezoneOffset()).not.toBe(0); // the zone really changed
      expect(read({ ifModifiedSince: 'Sun Mar 10 12:00:00 2024' })).toEqual(NOT_MODIFIED);
      expect(read({ ifModifiedSince: 'Sun Mar 10 11:59:59 2024' })).toEqual(PROCEED);
    });
  });
});

describe('reading the headers', () => {
  test('plain and copy-source headers', () => {
    const headers = {
      'if-match': '"a"',
      'if-none-match': '"b"',
      'if-modified-since': BEFORE,
      'if-unmodified-since': AFTER,
      'x-amz-copy-source-if-match': '"c"',
      'x-amz-copy-source-if-none-match': '"d"',
      'x-amz-copy-source-if-modified-since': AFTER,
      'x-amz-copy-source-if-unmodified-since': BEFORE,
    };
    expect(readConditions(headers)).toEqual({ ifMatch: '"a"', ifNoneMatch: '"b"', ifModifiedSince: BEFORE, ifUnmodifiedSince: AFTER });
    expect(readCopySourceConditions(headers)).toEqual({ ifMatch: '"c"', ifNoneMatch: '"d"', ifModifiedSince: AFTER, ifUnmodifiedSince: BEFORE });
    expect(readConditions({})).toEqual({ ifMatch: undefined, ifNoneMatch: undefined, ifModifiedSince: undefined, ifUnmodifiedSince: undefined });
  });
});
