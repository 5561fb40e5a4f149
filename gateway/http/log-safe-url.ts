// A request URL as it may appear in a log line: the values of query parameters that carry
// credentials (presigned SigV4 URLs, tokens) replaced, so that a log reader cannot replay them. Pure.

const SECRET_PARAMS = new Set(['x-amz-signature', 'x-amz-credential', 'x-amz-security-token', 'token', 'access_token', 'signature']);

export function logSafeUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName);
      } catch {
        // a malformed escape: compare the name as sent
      }
      return SECRET_PARAMS.has(name.toLowerCase()) ? `${rawName}=***` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}
