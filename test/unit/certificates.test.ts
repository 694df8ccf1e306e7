import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createCertificateAuthority, daysUntilExpiry, issueServerCertificate } from '../../src/ca/certificates.js';

describe('private CA', () => {
  const ca = createCertificateAuthority({ commonName: 'test CA', days: 30 });
  const server = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 10 });

  it('issues a server certificate signed by the CA, for the names asked', () => {
    const caCertificate = new X509Certificate(ca.certificatePem);
    const leaf = new X509Certificate(server.certificatePem);
    expect(caCertificate.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(caCertificate.publicKey)).toBe(true);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkHost('example.org')).toBeUndefined();
    expect(Math.round(daysUntilExpiry(server.certificatePem))).toBe(10);
  });

  it('makes a TLS connection verify with the CA and fail without it', async () => {
    const https = createServer({ cert: server.certificatePem, key: server.keyPem }, (_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(https.address() as AddressInfo).port}/`;
    try {
      const trusted = new Agent({ connect: { ca: ca.certificatePem } });
      const response = await request(url, { dispatcher: trusted });
      expect(await response.body.text()).toBe('ok');
      await trusted.close();
      const untrusted = new Agent();
      await expect(request(url, { dispatcher: untrusted })).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SIGNED|UNABLE/) });
      await untrusted.close();
    } finally {
      https.close();
    }
  });
});
