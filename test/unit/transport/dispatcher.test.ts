import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServerCertificate } from '../../../src/ca/certificates.js';
import { createDispatcher } from '../../../src/transport/dispatcher.js';

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
});
