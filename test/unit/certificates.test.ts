import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import forge from 'node-forge';
import {
  createCertificateAuthority,
  daysUntilExpiry,
  issueServerCertificate,
  serialNumber,
} from '../../src/ca/certificates.js';

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
    const https = createServer({ cert: server.certificatePem, key: server.keyPem }, (_request, response) =>
      response.end('ok'),
    );
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(https.address() as AddressInfo).port}/`;
    try {
      const trusted = new Agent({ connect: { ca: ca.certificatePem } });
      const response = await request(url, { dispatcher: trusted });
      expect(await response.body.text()).toBe('ok');
      await trusted.close();
      const untrusted = new Agent();
      await expect(request(url, { dispatcher: untrusted })).rejects.toMatchObject({
        code: expect.stringMatching(/CERT|SIGNED|UNABLE/),
      });
      await untrusted.close();
    } finally {
      https.close();
    }
  });
});

describe('certificate serial numbers', () => {
  // The random bytes that used to give an illegally padded serial (1 certificate in 512), and the other edges.
  const edges = [
    [0x00, 0x3d],
    [0x00, 0x00],
    [0x00, 0x80],
    [0x80, 0x00],
    [0xff, 0xff],
    [0x7f, 0x00],
  ].map((start) => Buffer.concat([Buffer.from(start), Buffer.alloc(14, 0x5a)]));

  it('are 16 bytes, positive and minimally encoded, whatever the random bytes', () => {
    for (const bytes of edges) {
      const serial = serialNumber(bytes);
      expect(serial).toMatch(/^[0-7][0-9a-f]{31}$/);
      expect(serial.startsWith('00')).toBe(false);
    }
    expect(serialNumber(edges[0])).toBe(`013d${'5a'.repeat(14)}`);
  });

  it('give certificates OpenSSL parses, with the serial as chosen', () => {
    const keys = forge.pki.rsa.generateKeyPair({ bits: 512, e: 0x10001 });
    for (const bytes of edges) {
      const certificate = forge.pki.createCertificate();
      certificate.publicKey = keys.publicKey;
      certificate.serialNumber = serialNumber(bytes);
      certificate.validity.notBefore = new Date();
      certificate.validity.notAfter = new Date(Date.now() + 86_400_000);
      certificate.setSubject([{ name: 'commonName', value: 'edge' }]);
      certificate.setIssuer([{ name: 'commonName', value: 'edge' }]);
      certificate.sign(keys.privateKey, forge.md.sha256.create());
      const parsed = new X509Certificate(forge.pki.certificateToPem(certificate));
      expect(parsed.serialNumber.toLowerCase()).toBe(serialNumber(bytes));
    }
  });
});
