// grpc-js sends the host of a node's address as the TLS server name (SNI), also when it is an IP
// address such as 127.0.0.1, and Node then prints DeprecationWarning DEP0123 ("Setting the TLS
// ServerName to an IP address is not permitted by RFC 6066") on the first connection. The
// certificate is still checked against that IP address; the warning names nothing an operator can
// change, so this process drops that one warning and passes every other on.
let installed = false;

export function dropIpServernameWarning(): void {
  if (installed) return;
  installed = true;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, ...args: unknown[]): void {
    const [, typeOrOptions, code] = args;
    const warningCode = typeof typeOrOptions === 'object' && typeOrOptions !== null ? (typeOrOptions as { code?: unknown }).code : code;
    if (warningCode === 'DEP0123') return;
    (emitWarning as (...a: unknown[]) => void).apply(this, args);
  } as typeof process.emitWarning;
}
