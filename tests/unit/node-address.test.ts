import { describe, expect, test } from 'vitest';
import { parseNodeAddress } from '../../proto/node-address.js';

describe('node addresses (host:port)', () => {
  test('accepts DNS names, IPv4 and bracketed IPv6, in canonical form', () => {
    const good: Array<[string, string]> = [
      ['127.0.0.1:50051', '127.0.0.1:50051'],
      ['localhost:1', 'localhost:1'],
      ['storage-node-1:50051', 'storage-node-1:50051'],
      ['objstore_storage-node-2_1:50052', 'objstore_storage-node-2_1:50052'], // docker-compose v1 names
      ['Node7.Example.COM:65535', 'node7.example.com:65535'],
      ['  10.1.2.3:080 ', '10.1.2.3:80'],
      ['[::1]:50051', '[::1]:50051'],
      ['[2001:DB8::7]:443', '[2001:db8::7]:443'],
      [`${'a'.repeat(63)}.example:1`, `${'a'.repeat(63)}.example:1`],
      [`${Array.from({ length: 4 }, () => 'b'.repeat(62)).join('.')}:9`, `${Array.from({ length: 4 }, () => 'b'.repeat(62)).join('.')}:9`], // 251 characters
    ];
    for (const [raw, canonical] of good) expect(parseNodeAddress(raw), raw).toEqual({ address: canonical });
  });

  test('refuses what is not a plausible host:port, saying why', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /empty/],
      ['127.0.0.1', /no port/],
      ['127.0.0.1:', /port "" is not a number/],
      ['127.0.0.1:0', /out of range/],
      ['127.0.0.1:65536', /out of range/],
      ['127.0.0.1:99999', /out of range/],
      ['127.0.0.1:123456', /not a number/],
      ['127.0.0.1:-1', /not a number/],
      ['host:port', /not a number/],
      ['http://x:1/', /without a scheme/],
      ['grpc://10.0.0.1:50051', /without a scheme/],
      ['x:1/path', /path/],
      ['user@x:1', /user/],
      ['not an address', /white space/],
      ['a\tb:1', /white space/],
      [`${'h'.repeat(10_000)}:50051`, /10006 characters long/],
      [`${'c'.repeat(254)}:1`, /254 characters long/],
      [`${'a'.repeat(64)}.example:1`, /64 characters long/],
      ['-bad.example:1', /not a valid host name/],
      ['bad-.example:1', /not a valid host name/],
      ['a..b:1', /not a valid host name/],
      ['a.:1', /not a valid host name/],
      ['é.example:1', /not a valid host name/],
      ['256.1.1.1:1', /not a valid IPv4/],
      ['1.2.3:1', /not a valid IPv4/],
      ['::1:50051', /brackets/],
      ['[::1]', /\[address\]:port/],
      ['[::1:50051', /\[address\]:port/],
      ['[not-ipv6]:1', /not a valid IPv6/],
      [':50051', /host is empty/],
    ];
    for (const [raw, problem] of bad) {
      const parsed = parseNodeAddress(raw);
      expect(parsed.address, JSON.stringify(raw)).toBeUndefined();
      expect(parsed.problem, JSON.stringify(raw)).toMatch(problem);
    }
  });
});
