// URLs in log lines: credentials in the query are replaced, everything else kept as sent.
import { describe, expect, it } from 'vitest';
import { logSafeUrl } from '../../gateway/http/log-safe-url.js';

describe('logSafeUrl', () => {
  it('replaces the values of presigned SigV4 parameters and tokens, whatever their case or encoding', () => {
    const url =
      '/files/abc?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261201%2Fus-east-1%2Fs3%2Faws4_request' +
      '&X-Amz-Date=20261201T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=' + 'ab'.repeat(32);
    expect(logSafeUrl(url)).toBe(
      '/files/abc?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Date=20261201T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=***',
    );
    expect(logSafeUrl('/files?token=ost_secret&limit=5')).toBe('/files?token=***&limit=5');
    expect(logSafeUrl('/files?x-amz-signature=00&%74oken=s')).toBe('/files?x-amz-signature=***&%74oken=***');
    expect(logSafeUrl('/files?X-Amz-Security-Token=t')).toBe('/files?X-Amz-Security-Token=***');
  });

  it('leaves other URLs alone, also odd ones', () => {
    for (const u of ['/files', '/files?limit=5&cursor=abc', '/files?', '/files?%zz=1', '/files?a&b=', '/a?b=c?d']) {
      expect(logSafeUrl(u), u).toBe(u);
    }
  });
});
