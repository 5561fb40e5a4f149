// The TLS settings as the gateway and a node read them (with real PEM files made by openssl), and the
// one warning dropped for IP server names. The processes that use them: tests/tls.test.ts.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadGatewayTls } from '../../gateway/tls-settings.js';
import { dropIpServernameWarning } from '../../proto/ip-servername-warning.js';
import { loadCaFile, loadKeyPair, pairProblem } from '../../proto/tls-files.js';
import { ConfigError, loadNodeConfig } from '../../storage-node/config.js';
import { createTestCa, type CertificateFiles } from '../helpers/test-certificates.js';

let dir: string;
let caFile: string;
let server: CertificateFiles;
let client: CertificateFiles;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tls-settings-'));
  const ca = await createTestCa(dir);
  caFile = ca.cert;
  [server, client] = await Promise.all([ca.issue('server', 'server'), ca.issue('client', 'client')]);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('certificate and key pairs', () => {
  test('both or neither; the message names the one that is missing', () => {
    expect(pairProblem('TLS_CERT', 'TLS_KEY', undefined, undefined)).toBeUndefined();
    expect(pairProblem('TLS_CERT', 'TLS_KEY', 'a.crt', 'a.key')).toBeUndefined();
    expect(pairProblem('TLS_CERT', 'TLS_KEY', 'a.crt', undefined)).toBe('TLS_CERT is set but TLS_KEY is not: set both (PEM files) or neither');
    expect(pairProblem('NODE_TLS_CERT', 'NODE_TLS_KEY', undefined, 'a.key')).toMatch(/^NODE_TLS_KEY is set but NODE_TLS_CERT is not/);
  });

  test('read and checked: the files, the key against its certificate; empty values count as unset', async () => {
    const pair = loadKeyPair({ TLS_CERT: ` ${server.cert} `, TLS_KEY: server.key }, 'TLS_CERT', 'TLS_KEY');
    expect(pair.value?.cert.equals(await readFile(server.cert))).toBe(true);
    expect(pair.value?.key.equals(await readFile(server.key))).toBe(true);
    expect(loadKeyPair({ TLS_CERT: '', TLS_KEY: ' ' }, 'TLS_CERT', 'TLS_KEY')).toEqual({ value: undefined });
    expect(loadKeyPair({ TLS_CERT: server.cert, TLS_KEY: client.key }, 'TLS_CERT', 'TLS_KEY').problem).toMatch(/^TLS_KEY=.*client\.key is not the PEM private key of TLS_CERT=.*server\.crt \(/);
    expect(loadKeyPair({ TLS_CERT: join(dir, 'none'), TLS_KEY: server.key }, 'TLS_CERT', 'TLS_KEY').problem).toMatch(/^TLS_CERT=.*none cannot be read: ENOENT/);
    expect(loadCaFile({ NODE_TLS_CA: server.key }, 'NODE_TLS_CA').problem).toMatch(/^NODE_TLS_CA=.*server\.key is not a PEM CA certificate/);
    expect(loadCaFile({}, 'NODE_TLS_CA')).toEqual({ value: undefined });
  });
});

describe('the gateway', () => {
  test('HTTPS with TLS_CERT/TLS_KEY; TLS to nodes with NODE_TLS_CA, a client certificate only with it', async () => {
    expect(loadGatewayTls({})).toEqual({ value: { https: undefined, nodes: undefined } });
    const https = loadGatewayTls({ TLS_CERT: server.cert, TLS_KEY: server.key }).value!;
    expect([https.https?.cert.length, https.nodes]).toEqual([(await readFile(server.cert)).length, undefined]);
    const verifyOnly = loadGatewayTls({ NODE_TLS_CA: caFile }).value!;
    expect([verifyOnly.https, verifyOnly.nodes?.ca.equals(await readFile(caFile)), verifyOnly.nodes?.identity]).toEqual([undefined, true, undefined]);
    const mutual = loadGatewayTls({ NODE_TLS_CA: caFile, NODE_TLS_CERT: client.cert, NODE_TLS_KEY: client.key }).value!;
    expect(mutual.nodes?.identity?.cert.equals(await readFile(client.cert))).toBe(true);
    expect(loadGatewayTls({ NODE_TLS_CERT: client.cert, NODE_TLS_KEY: client.key }).problem).toMatch(/NODE_TLS_CA is not/);
    expect(loadGatewayTls({ NODE_TLS_CA: caFile, NODE_TLS_CERT: client.cert }).problem).toMatch(/^NODE_TLS_CERT is set but NODE_TLS_KEY is not/);
  });
});

describe('a storage node', () => {
  const load = (env: NodeJS.ProcessEnv): ReturnType<typeof loadNodeConfig> => loadNodeConfig({ CLUSTER_TOKEN: 'tls-settings-test-token', ...env });

  test('TLS with TLS_CERT/TLS_KEY, client certificates with TLS_CLIENT_CA (only with TLS)', async () => {
    expect(load({}).tls).toBeUndefined();
    expect(load({ TLS_CERT: server.cert, TLS_KEY: server.key }).tls?.clientCa).toBeUndefined();
    expect(load({ TLS_CERT: server.cert, TLS_KEY: server.key, TLS_CLIENT_CA: caFile }).tls?.clientCa?.equals(await readFile(caFile))).toBe(true);
    expect(() => load({ TLS_CLIENT_CA: caFile })).toThrow(ConfigError);
    expect(() => load({ TLS_KEY: server.key })).toThrow(/^TLS_KEY is set but TLS_CERT is not/);
  });

  test('GATEWAY_CA verifies an https JOIN_URL; with an http one or none it is a mistake', async () => {
    expect(load({ JOIN_URL: 'https://127.0.0.1:8443', GATEWAY_CA: caFile }).join?.ca?.equals(await readFile(caFile))).toBe(true);
    expect(load({ JOIN_URL: 'https://127.0.0.1:8443' }).join?.ca).toBeUndefined();
    expect(() => load({ JOIN_URL: 'http://127.0.0.1:8080', GATEWAY_CA: caFile })).toThrow(/GATEWAY_CA is set but JOIN_URL is not an https:\/\/ URL/);
    expect(() => load({ GATEWAY_CA: caFile })).toThrow(/GATEWAY_CA is set but JOIN_URL is not set/);
    expect(() => load({ JOIN_URL: 'https://127.0.0.1:8443', GATEWAY_CA: join(dir, 'none.crt') })).toThrow(/^GATEWAY_CA=.*none\.crt cannot be read/);
  });
});

test('DEP0123 (an IP address as TLS server name) is dropped, other warnings pass', async () => {
  const seen: string[] = [];
  const listener = (w: Error & { code?: string }): number => seen.push(w.code ?? w.name);
  process.on('warning', listener);
  try {
    dropIpServernameWarning();
    dropIpServernameWarning(); // once is enough; twice changes nothing
    process.emitWarning('Setting the TLS ServerName to an IP address ...', 'DeprecationWarning', 'DEP0123');
    process.emitWarning('another', { type: 'DeprecationWarning', code: 'DEP0123' });
    process.emitWarning('kept', 'DeprecationWarning', 'DEP0999');
    process.emitWarning('kept too', { code: 'TEST_WARNING' });
    await new Promise((r) => setTimeout(r, 20)); // warnings are emitted on the next tick
    expect(seen).toEqual(['DEP0999', 'TEST_WARNING']);
  } finally {
    process.off('warning', listener);
  }
});
