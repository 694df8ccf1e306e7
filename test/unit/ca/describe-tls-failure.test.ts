import { rootCertificates } from 'node:tls';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
} from '../../../src/ca/certificates.js';
import { buildTrustStore, describeTlsFailure, isTlsFailure, peerCertificate } from '../../../src/trust/trust-store.js';
import { startHttpsServer, temporaryDirectory, type LocalServer } from './helpers.js';

const day = 24 * 60 * 60 * 1000;
const ca = createCertificateAuthority({ commonName: 'Hop CA', days: 30 });
const loopback = { hosts: ['localhost'], ips: ['127.0.0.1'], days: 10 };
const good = issueServerCertificate(ca, loopback);
const expired = issueServerCertificate(ca, {
  ...loopback,
  notBefore: new Date(Date.now() - 20 * day),
  notAfter: new Date(Date.now() - day),
});
const otherHost = issueServerCertificate(ca, { hosts: ['other.example'], ips: [], days: 10 });
const client = issueClientCertificate(ca, { commonName: 'ci-runner', days: 10 });

const servers: LocalServer[] = [];
async function serve(options: Parameters<typeof startHttpsServer>[0]): Promise<LocalServer> {
  const server = await startHttpsServer(options);
  servers.push(server);
  return server;
}
afterAll(async () => {
  for (const server of servers) await server.close();
});

/** The error undici gives for a GET, with the CA trusted or not. */
async function failure(server: LocalServer, trustCa: boolean): Promise<unknown> {
  const agent = new Agent({
    connect: trustCa ? { ca: buildTrustStore({ caFiles: [], caPems: [ca.certificatePem], env: {} }).ca } : {},
  });
  try {
    await request(server.url, { dispatcher: agent });
    throw new Error('the request succeeded');
  } catch (error) {
    return error;
  } finally {
    await agent.close();
  }
}

describe('describeTlsFailure on real failures', () => {
  let mtls13: LocalServer;
  let mtls12: LocalServer;
  beforeAll(async () => {
    const mtls = {
      cert: good.certificatePem,
      key: good.keyPem,
      ca: ca.certificatePem,
      requestCert: true,
      rejectUnauthorized: true,
    };
    mtls13 = await serve({ ...mtls, minVersion: 'TLSv1.3' });
    mtls12 = await serve({ ...mtls, maxVersion: 'TLSv1.2' });
  });

  it('TLS_UNTRUSTED for a private CA the client does not know, naming host, hop, subject and issuer', async () => {
    const server = await serve({ cert: good.certificatePem, key: good.keyPem });
    const error = await failure(server, false);
    expect(isTlsFailure(error)).toBe(true);
    const problem = describeTlsFailure(
      error,
      'registry',
      server.address,
      await peerCertificate(server.host, server.port),
    );
    expect(problem.code).toBe('TLS_UNTRUSTED');
    expect(problem.message).toContain(`the registry ${server.address}`);
    expect(problem.message).toContain('certificate CN=localhost, issued by CN=Hop CA, O=neurons');
    expect(problem.hint).toContain(`run: neurons ca inspect https://${server.address}`);
  });

  it('TLS_EXPIRED and TLS_WRONG_HOST when the CA is trusted', async () => {
    const old = await serve({ cert: expired.certificatePem, key: expired.keyPem });
    const expiredProblem = describeTlsFailure(await failure(old, true), 'index', old.address);
    expect(expiredProblem).toMatchObject({
      code: 'TLS_EXPIRED',
      message: expect.stringContaining(`the package index ${old.address}`),
    });
    const other = await serve({ cert: otherHost.certificatePem, key: otherHost.keyPem });
    const wrongHost = describeTlsFailure(await failure(other, true), 'catalog', other.address);
    expect(wrongHost).toMatchObject({
      code: 'TLS_WRONG_HOST',
      message: expect.stringContaining(`the catalog server ${other.address}`),
    });
    expect(wrongHost.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('TLS_CLIENT_CERT_REQUIRED for a mutual TLS server, over TLS 1.3 and 1.2', async () => {
    for (const server of [mtls13, mtls12]) {
      const peer = await peerCertificate(server.host, server.port);
      expect(peer).toMatchObject({ subject: 'CN=localhost', clientCertificateRequired: true });
      const problem = describeTlsFailure(await failure(server, true), 'github', server.address, peer);
      expect(problem.code).toBe('TLS_CLIENT_CERT_REQUIRED');
      expect(problem.message).toContain(`the GitHub API ${server.address}`);
    }
    // The same server accepts the client certificate `ca issue --client` writes.
    const agent = new Agent({ connect: { ca: ca.certificatePem, cert: client.certificatePem, key: client.keyPem } });
    const response = await request(mtls13.url, { dispatcher: agent });
    expect(await response.body.text()).toBe('ok');
    await agent.close();
  });

  it('does not call a refused connection a TLS failure', async () => {
    const agent = new Agent();
    const error = await request('https://127.0.0.1:1/', { dispatcher: agent }).catch((caught: unknown) => caught);
    await agent.close();
    expect(isTlsFailure(error)).toBe(false);
    expect(describeTlsFailure(error, 'registry', '127.0.0.1:1').code).toBe('TLS_FAILED');
    expect(await peerCertificate('127.0.0.1', 1)).toBeUndefined();
  });
});

describe('buildTrustStore', () => {
  it('is the system store, NODE_EXTRA_CA_CERTS and the given CAs, each certificate once', async () => {
    const directory = await temporaryDirectory();
    const extra = createCertificateAuthority({ commonName: 'Extra CA', days: 1 });
    const extraFile = path.join(directory, 'extra.pem');
    const caFile = path.join(directory, 'ca.pem');
    await writeFile(extraFile, extra.certificatePem);
    await writeFile(caFile, `${ca.certificatePem}${ca.certificatePem}`);
    const store = buildTrustStore({
      caFiles: [caFile],
      caPems: [ca.certificatePem, extra.certificatePem],
      env: { NODE_EXTRA_CA_CERTS: extraFile },
    });
    expect(store.ca).toHaveLength(rootCertificates.length + 2);
    expect(() => buildTrustStore({ caFiles: [path.join(directory, 'missing.pem')], caPems: [], env: {} })).toThrow(
      /cannot be read/,
    );
  });
});
