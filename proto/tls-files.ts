// PEM files named by environment variables (TLS_CERT, TLS_KEY, NODE_TLS_CA, ...), read and checked
// once at start, so that a missing file, a key that does not belong to its certificate or a CA file
// without a certificate stops the process with one line instead of failing its first connection.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

/** A certificate (chain, PEM) and its private key (PEM). */
export interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

export type TlsParse<T> = { value: T; problem?: undefined } | { value?: undefined; problem: string };

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** The file a variable names (trimmed), or undefined when unset or empty. */
export const fileSetting = (env: NodeJS.ProcessEnv, name: string): string | undefined => env[name]?.trim() || undefined;

/**
 * Why a certificate and key variable pair is half set, or undefined (both set, or neither). Pure.
 */
export function pairProblem(certVar: string, keyVar: string, cert: string | undefined, key: string | undefined): string | undefined {
  if (cert !== undefined && key === undefined) return `${certVar} is set but ${keyVar} is not: set both (PEM files) or neither`;
  if (cert === undefined && key !== undefined) return `${keyVar} is set but ${certVar} is not: set both (PEM files) or neither`;
  return undefined;
}

function read(name: string, path: string): TlsParse<Buffer> {
  try {
    return { value: readFileSync(path) };
  } catch (err) {
    return { problem: `${name}=${path} cannot be read: ${firstLine(err)}` };
  }
}

/** The certificate and key that `certVar` and `keyVar` name; undefined when neither is set. */
export function loadKeyPair(env: NodeJS.ProcessEnv, certVar: string, keyVar: string): TlsParse<KeyPair | undefined> {
  const certFile = fileSetting(env, certVar);
  const keyFile = fileSetting(env, keyVar);
  const half = pairProblem(certVar, keyVar, certFile, keyFile);
  if (half) return { problem: half };
  if (certFile === undefined || keyFile === undefined) return { value: undefined };
  const cert = read(certVar, certFile);
  if (cert.problem !== undefined) return cert;
  const key = read(keyVar, keyFile);
  if (key.problem !== undefined) return key;
  try {
    new X509Certificate(cert.value);
  } catch (err) {
    return { problem: `${certVar}=${certFile} is not a PEM certificate (${firstLine(err)})` };
  }
  try {
    // Also checks that the key is the certificate's.
    createSecureContext({ cert: cert.value, key: key.value });
  } catch (err) {
    return { problem: `${keyVar}=${keyFile} is not the PEM private key of ${certVar}=${certFile} (${firstLine(err)})` };
  }
  return { value: { cert: cert.value, key: key.value } };
}

/** The CA certificate(s) that `name` names; undefined when unset. */
export function loadCaFile(env: NodeJS.ProcessEnv, name: string): TlsParse<Buffer | undefined> {
  const file = fileSetting(env, name);
  if (file === undefined) return { value: undefined };
  const ca = read(name, file);
  if (ca.problem !== undefined) return ca;
  try {
    new X509Certificate(ca.value); // the first certificate of the bundle
  } catch (err) {
    return { problem: `${name}=${file} is not a PEM CA certificate (${firstLine(err)})` };
  }
  return ca;
}
