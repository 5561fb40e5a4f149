// Certificates for TLS tests, made with the openssl command line into a folder: a CA of their own,
// server certificates for 127.0.0.1 and localhost, client certificates for mTLS. EC P-256 keys: fast
// to make and to handshake with.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OPENSSL = '/usr/bin/openssl';

export interface CertificateFiles {
  cert: string;
  key: string;
}

export interface TestCa {
  /** The CA's certificate (PEM file): what a verifier trusts. */
  cert: string;
  /** A certificate signed by this CA; `usage` says whether it serves (127.0.0.1, localhost) or is a client's. */
  issue(name: string, usage: 'server' | 'client'): Promise<CertificateFiles>;
}

const newKey = (file: string): Promise<unknown> => run(OPENSSL, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);

/** A new CA in `dir` (files named after `name`). */
export async function createTestCa(dir: string, name = 'test-ca'): Promise<TestCa> {
  const caKey = join(dir, `${name}.key`);
  const caCert = join(dir, `${name}.crt`);
  await newKey(caKey);
  await run(OPENSSL, [
    'req', '-x509', '-new', '-key', caKey, '-out', caCert, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  let serial = 0;
  return {
    cert: caCert,
    async issue(certName, usage) {
      const key = join(dir, `${certName}.key`);
      const csr = join(dir, `${certName}.csr`);
      const cert = join(dir, `${certName}.crt`);
      const ext = join(dir, `${certName}.ext`);
      await newKey(key);
      await run(OPENSSL, ['req', '-new', '-key', key, '-out', csr, '-subj', `/CN=${certName}`]);
      await writeFile(
        ext,
        usage === 'server'
          ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n'
          : 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n',
      );
      await run(OPENSSL, [
        'x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-set_serial', String(++serial + 1000), '-days', '2', '-out', cert, '-extfile', ext,
      ]);
      return { cert, key };
    },
  };
}
