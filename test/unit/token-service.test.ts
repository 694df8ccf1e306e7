import { createPublicKey, verify } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
} from '../../src/ca/certificates.js';
import { libtrustKeyId, startTokenService } from '../../src/environment/token-server.js';
import { parseScope } from '../../src/registry/scope.js';

// The environment's token service, started on loopback with a private CA; what it issues is read back the way
// distribution reads it: header, claims, signature by the key whose certificate the registry trusts.
const ca = createCertificateAuthority({ commonName: 'token test CA', days: 1 });
const tls = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
const signer = issueClientCertificate(ca, { commonName: 'token signer', days: 1 });
const dispatcher = new Agent({ connect: { ca: ca.certificatePem } });
const basic = (password: string): string => `Basic ${Buffer.from(`registry-user:${password}`).toString('base64')}`;

describe('token service', () => {
  let server: Awaited<ReturnType<typeof startTokenService>>;
  let origin: string;
  beforeAll(async () => {
    server = await startTokenService({
      host: '127.0.0.1',
      port: 0,
      certificatePem: tls.certificatePem,
      keyPem: tls.keyPem,
      signingKeyPem: signer.keyPem,
      issuer: 'test-issuer',
      service: 'test-registry',
      username: 'registry-user',
      password: 'token-secret',
      lifetime: 600,
    });
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await dispatcher.close();
  });

  it('refuses requests without the right credentials', async () => {
    for (const headers of [{}, { authorization: basic('wrong') }]) {
      const response = await request(`${origin}/token?service=test-registry&scope=repository:a/b:pull`, {
        headers,
        dispatcher,
      });
      expect(response.statusCode).toBe(401);
      expect(await response.body.text()).not.toContain('token-secret');
    }
  });

  it('issues a signed token for every scope asked for, with the key id the registry looks up', async () => {
    const response = await request(
      `${origin}/token?service=test-registry&scope=repository:ns/a:pull&scope=repository:ns/b:pull,push`,
      { headers: { authorization: basic('token-secret') }, dispatcher },
    );
    expect(response.statusCode).toBe(200);
    const body = (await response.body.json()) as { token: string; access_token: string; expires_in: number };
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(600);
    const [header = '', claims = '', signature = ''] = body.token.split('.');
    const decoded = (part: string): Record<string, unknown> =>
      JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
    const publicKey = createPublicKey(signer.certificatePem);
    expect(decoded(header)).toEqual({
      typ: 'JWT',
      alg: 'RS256',
      kid: libtrustKeyId(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    });
    expect(decoded(claims)).toMatchObject({
      iss: 'test-issuer',
      aud: 'test-registry',
      sub: 'registry-user',
      access: [
        { type: 'repository', name: 'ns/a', actions: ['pull'] },
        { type: 'repository', name: 'ns/b', actions: ['pull', 'push'] },
      ],
    });
    const { exp, nbf, iat } = decoded(claims) as { exp: number; nbf: number; iat: number };
    expect(exp - iat).toBe(600);
    expect(nbf).toBeLessThanOrEqual(iat);
    expect(
      verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, 'base64url')),
    ).toBe(true);
    expect(
      verify('RSA-SHA256', Buffer.from(`${header}.${claims}x`), publicKey, Buffer.from(signature, 'base64url')),
    ).toBe(false);
  });

  it('refuses another service, and answers 404 elsewhere', async () => {
    const other = await request(`${origin}/token?service=elsewhere`, {
      headers: { authorization: basic('token-secret') },
      dispatcher,
    });
    expect(other.statusCode).toBe(400);
    await other.body.dump();
    const missing = await request(`${origin}/v2/`, { headers: { authorization: basic('token-secret') }, dispatcher });
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
  });
});

describe('libtrust key ids and scopes', () => {
  it('are twelve groups of four base32 characters, stable for a key and different across keys', () => {
    const id = libtrustKeyId(signer.certificatePem);
    expect(id).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    expect(libtrustKeyId(createPublicKey(signer.keyPem).export({ type: 'spki', format: 'pem' }).toString())).toBe(id);
    expect(libtrustKeyId(tls.certificatePem)).not.toBe(id);
  });

  it('parse repository names with slashes and colons in the middle', () => {
    expect(parseScope('repository:a/b/c:pull,push')).toEqual({
      type: 'repository',
      name: 'a/b/c',
      actions: ['pull', 'push'],
    });
    expect(parseScope('registry:catalog:*')).toEqual({ type: 'registry', name: 'catalog', actions: ['*'] });
    expect(parseScope('nonsense')).toBeUndefined();
  });
});
