// What to answer a request that Node's HTTP parser refused before any route saw it (a head over
// MAX_HEADER_BYTES, a head not whole within HEADERS_TIMEOUT_MS, a request that is not HTTP/1.1):
// Node's own answers are bare status lines with no body. Pure: no I/O.

export interface ParserRefusal {
  status: number;
  reason: string; // the status line's reason phrase
  code: string;
  message: string;
}

export interface HeadLimits {
  maxHeaderBytes: number;
  headersTimeoutMs: number;
}

/**
 * Whether a head over the limit is so because of its URL: the bytes the parser last read start a
 * request line that does not end within the limit (Node counts the URL towards the head's size). A
 * head that arrived in several reads, whose start is no longer at hand, counts as too many headers.
 */
function urlTooLong(packet: Buffer | undefined, limit: number): boolean {
  if (!packet || !/^[A-Z]+ \S/.test(packet.subarray(0, 32).toString('latin1'))) return false;
  const lineEnd = packet.indexOf('\n');
  return lineEnd < 0 ? packet.length >= limit : lineEnd >= limit;
}

export function parserRefusal(code: string | undefined, reason: string | undefined, packet: Buffer | undefined, limits: HeadLimits): ParserRefusal {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return urlTooLong(packet, limits.maxHeaderBytes)
        ? { status: 414, reason: 'URI Too Long', code: 'URITooLong', message: `the URL is longer than the limit of ${limits.maxHeaderBytes} bytes` }
        : {
            status: 431,
            reason: 'Request Header Fields Too Large',
            code: 'RequestHeaderFieldsTooLarge',
            message: `the request's URL and headers are larger than the limit of ${limits.maxHeaderBytes} bytes`,
          };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        reason: 'Request Timeout',
        code: 'RequestTimeout',
        message: `the request line and headers did not arrive whole within ${limits.headersTimeoutMs} ms`,
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, reason: 'Payload Too Large', code: 'InvalidRequest', message: 'the chunk extensions of the body are too large' };
    default: {
      // llhttp's reasons ("Invalid method encountered", ...) name what was wrong and nothing internal.
      const why = reason && /^[\x20-\x7e]{1,120}$/.test(reason) ? `: ${reason}` : '';
      return { status: 400, reason: 'Bad Request', code: 'InvalidRequest', message: `the request is not valid HTTP/1.1${why}` };
    }
  }
}
