import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChallenge, RegistryClient } from '../../src/registry/client.js';

// A small local server speaking the registry API with a bearer-token challenge, as Docker Hub and most public
// registries do (the real TLS registry of the environment, with basic auth, is covered by the integration tests).
const digest = `sha256:${'a'.repeat(64)}`;
let tokenRequests: URLSearchParams[] = [];

function handle(request: IncomingMessage, response: ServerResponse, origin: () => string): void {
  const url = new URL(request.url ?? '/', 'http://x');
  if (url.pathname === '/token') {
    tokenRequests.push(url.searchParams);
    const ok = request.headers.authorization === `Basic ${Buffer.from('user:secret-pass').toString('base64')}`;
    response
      .writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
      .end(ok ? JSON.stringify({ token: 'tok-123456' }) : '{}');
    return;
  }
  if (request.headers.authorization !== 'Bearer tok-123456') {
    response.writeHead(401, { 'www-authenticate': `Bearer realm="${origin()}/token",service="test-registry"` }).end();
    return;
  }
  if (url.pathname === '/v2/') return void response.writeHead(200).end('{}');
  if (url.pathname === '/v2/ns/foo/manifests/1') {
    return void response
      .writeHead(200, {
        'docker-content-digest': digest,
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'content-length': '123',
      })
      .end();
  }
  if (url.pathname === '/v2/ns/foo/tags/list')
    return void response.writeHead(200).end(JSON.stringify({ name: 'ns/foo', tags: ['1', '1.0'] }));
  response.writeHead(404).end();
}

describe('registry client', () => {
  const server = createServer((request, response) =>
    handle(request, response, () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`),
  );
  let host: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => void server.close());

  it('parses challenges', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull' },
    });
    expect(parseChallenge('Basic realm="r"').scheme).toBe('basic');
  });

  it('answers a bearer challenge with the credentials and reads manifests and tags', async () => {
    tokenRequests = [];
    const client = new RegistryClient({
      host,
      plainHttp: true,
      credentials: { username: 'user', password: 'secret-pass' },
    });
    expect(await client.headManifest('ns/foo', '1')).toEqual({
      digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 123,
    });
    expect(await client.headManifest('ns/foo', '2')).toBeUndefined();
    expect(await client.listTags('ns/foo')).toEqual(['1', '1.0']);
    expect(tokenRequests[0]?.get('scope')).toBe('repository:ns/foo:pull');
    expect(tokenRequests[0]?.get('service')).toBe('test-registry');
    await client.close();
  });

  it('reports refused credentials with a coded error that does not carry the password', async () => {
    const client = new RegistryClient({
      host,
      plainHttp: true,
      credentials: { username: 'user', password: 'wrong-pass' },
    });
    const error = await client.headManifest('ns/foo', '1').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'REGISTRY_AUTH', exitCode: 3 });
    expect(JSON.stringify(error)).not.toContain('wrong-pass');
    await client.close();
  });

  it('says which host could not be reached', async () => {
    const client = new RegistryClient({ host: '127.0.0.1:1', plainHttp: true });
    await expect(client.ping()).rejects.toMatchObject({
      code: 'REGISTRY_UNREACHABLE',
      message: expect.stringContaining('127.0.0.1:1'),
    });
    await client.close();
  });
});

describe('registry client over mutual TLS', () => {
  it('presents the configured client certificate, and says when one is required', async () => {
    const { createCertificateAuthority, issueServerCertificate, issueClientCertificate } =
      await import('../../src/ca/certificates.js');
    const { createServer: createHttpsServer } = await import('node:https');
    const ca = createCertificateAuthority({ commonName: 'mTLS test CA', days: 1 });
    const serverCertificate = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
    const client = issueClientCertificate(ca, { commonName: 'ci', days: 1 });
    const server = createHttpsServer(
      {
        cert: serverCertificate.certificatePem,
        key: serverCertificate.keyPem,
        ca: ca.certificatePem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_request, response) => response.writeHead(200).end('{}'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const withCertificate = new RegistryClient({
        host,
        ca: [ca.certificatePem],
        clientCertificate: { cert: client.certificatePem, key: client.keyPem },
      });
      await expect(withCertificate.ping()).resolves.toBeUndefined();
      await withCertificate.close();
      const without = new RegistryClient({ host, ca: [ca.certificatePem] });
      await expect(without.ping()).rejects.toMatchObject({
        code: 'TLS_CLIENT_CERT_REQUIRED',
        message: expect.stringContaining(host),
      });
      await without.close();
    } finally {
      server.close();
    }
  });
});
