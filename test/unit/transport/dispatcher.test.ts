import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServerCertificate } from '../../../src/ca/certificates.js';
import { createDispatcher } from '../../../src/transport/dispatcher.js';
import { notBundled } from '../../../src/trust/trust-store.js';

// The bug this guards: a configured private CA passed as undici's `ca` replaced the system store, so an https://
// publish target with a certificate from any other CA failed beside a private registry.
describe('the transport trust', () => {
  it('adds the configured CAs to the system store and NODE_EXTRA_CA_CERTS, never replaces them', async () => {
    const registryCa = createCertificateAuthority({ commonName: 'private registry CA', days: 1 });
    const otherCa = createCertificateAuthority({ commonName: 'a CA of the system store', days: 1 });
    const leaf = issueServerCertificate(otherCa, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
    const server = createServer(
      { cert: leaf.certificatePem, key: leaf.keyPem },
      (_, response) => void response.end('ok'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const extra = path.join(await mkdtemp(path.join(tmpdir(), 'neurons-trust-')), 'extra.pem');
    await writeFile(extra, otherCa.certificatePem);
    const trusting = createDispatcher({ ca: [registryCa.certificatePem], env: { NODE_EXTRA_CA_CERTS: extra } });
    const notTrusting = createDispatcher({ ca: [registryCa.certificatePem], env: {} });
    try {
      expect((await request(url, { dispatcher: trusting })).statusCode).toBe(200);
      await expect(request(url, { dispatcher: notTrusting })).rejects.toMatchObject({
        code: expect.stringMatching(/UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/),
      });
    } finally {
      await trusting.close();
      await notTrusting.close();
      server.closeAllConnections();
      server.close();
    }
  });

  it("adds them to the process's own store as well, NODE_EXTRA_CA_CERTS kept, when the store asked for is that one", async () => {
    const registryCa = createCertificateAuthority({ commonName: 'private registry CA', days: 1 });
    const otherCa = createCertificateAuthority({ commonName: 'a CA of the system store', days: 1 });
    const strangerCa = createCertificateAuthority({ commonName: 'a CA nobody trusts', days: 1 });
    const servers = [registryCa, otherCa, strangerCa].map((ca) => {
      const leaf = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
      return createServer({ cert: leaf.certificatePem, key: leaf.keyPem }, (_, response) => void response.end('ok'));
    });
    for (const server of servers) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const urls = servers.map((server) => `https://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const extra = path.join(await mkdtemp(path.join(tmpdir(), 'neurons-trust-')), 'extra.pem');
    // As where NODE_EXTRA_CA_CERTS is the system bundle: Node's own roots in it, the one that is not among them last.
    await writeFile(extra, `${rootCertificates.slice(0, 3).join('\n')}\n${otherCa.certificatePem}`);
    // A process of its own, started with NODE_EXTRA_CA_CERTS: the dispatcher is asked for that process's store.
    const script = `
      import { request } from 'undici';
      import { createDispatcher } from ${JSON.stringify(path.resolve('dist/transport/dispatcher.js'))};
      const dispatcher = createDispatcher({ ca: [process.env.TEST_CA] });
      const answers = [];
      for (const url of process.env.TEST_URLS.split(' '))
        answers.push(await request(url, { dispatcher }).then((response) => response.statusCode, (error) => error.code));
      console.log(JSON.stringify(answers));
      await dispatcher.close();`;
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          ...process.env,
          NODE_EXTRA_CA_CERTS: extra,
          TEST_CA: registryCa.certificatePem,
          TEST_URLS: urls.join(' '),
        },
        cwd: process.cwd(),
      });
      const [registry, system, stranger] = JSON.parse(stdout) as unknown[];
      expect([registry, system]).toEqual([200, 200]);
      expect(stranger).toMatch(/UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
    } finally {
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
    }
  });

  it("adds only what is not among Node's bundled roots: the copy of its store holds those already", () => {
    const other = createCertificateAuthority({ commonName: 'not a bundled root', days: 1 }).certificatePem;
    const [root = ''] = rootCertificates;
    // The same root with other line breaks is the same certificate.
    expect(notBundled([root.replaceAll('\n', '\r\n'), other, root])).toEqual([other]);
  });
});
