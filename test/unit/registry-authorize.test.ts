import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';

// A registry with a token service that grants exactly the scopes asked for, and checks on every request that the
// token covers the repository read, as distribution does. Counts what the client costs it.
const digest = `sha256:${'b'.repeat(64)}`;
const granted = new Map<string, Set<string>>();
let counts = { tokenRequests: 0, unauthorized: 0, heads: 0, connections: 0 };
/** Some token services grant only the first scope of a request: the client must still read every repository. */
let firstScopeOnly = false;

function handle(request: IncomingMessage, response: ServerResponse, origin: string): void {
  const url = new URL(request.url ?? '/', origin);
  if (url.pathname === '/token') {
    counts.tokenRequests += 1;
    if (request.headers.authorization === `Basic ${Buffer.from('user:garbage').toString('base64')}`)
      return void response.writeHead(200).end('<html>proxy login</html>');
    if (request.headers.authorization !== `Basic ${Buffer.from('user:pass').toString('base64')}`)
      return void response.writeHead(401).end('{}');
    const token = `t${counts.tokenRequests}`;
    const scopes = url.searchParams.getAll('scope').map((scope) => scope.split(':')[1] ?? '');
    granted.set(token, new Set(firstScopeOnly ? scopes.slice(0, 1) : scopes));
    return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
  }
  const match = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
  const repository = match?.[1] ?? '';
  const token = (request.headers.authorization ?? '').replace(/^Bearer /, '');
  const allowed = url.pathname === '/v2/' ? granted.has(token) : granted.get(token)?.has(repository);
  if (!allowed) {
    counts.unauthorized += 1;
    const scope = match ? `,scope="repository:${repository}:pull"` : '';
    return void response
      .writeHead(401, { 'www-authenticate': `Bearer realm="${origin}/token",service="test"${scope}` })
      .end();
  }
  if (url.pathname === '/v2/') return void response.writeHead(200).end('{}');
  counts.heads += 1;
  // Odd repositories have the image; even ones do not.
  if (Number(repository.split('-')[1]) % 2 === 1)
    return void response.writeHead(200, { 'docker-content-digest': digest, 'content-length': '10' }).end();
  response.writeHead(404, { 'content-length': '10' }).end();
}

describe('registry client: authorization for many repositories', () => {
  const server = createServer((request, response) =>
    handle(request, response, `http://127.0.0.1:${(server.address() as AddressInfo).port}`),
  );
  server.on('connection', () => (counts.connections += 1));
  let host: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => void server.close());
  beforeEach(() => {
    counts = { tokenRequests: 0, unauthorized: 0, heads: 0, connections: 0 };
    granted.clear();
    firstScopeOnly = false;
  });

  it('asks for one token per batch of 25 repositories, then reads each without a 401', async () => {
    const client = new RegistryClient({ host, plainHttp: true, credentials: { username: 'user', password: 'pass' } });
    const repositories = Array.from({ length: 60 }, (_, index) => `ns/repo-${index}`);
    await client.authorize(repositories);
    // The ping's challenge, then ceil(60 / 25) = 3 token requests.
    expect(counts.tokenRequests).toBe(3);
    expect(counts.unauthorized).toBe(1);
    const found = await Promise.all(repositories.map((repository) => client.headManifest(repository, '1')));
    expect(found.filter(Boolean)).toHaveLength(30);
    expect(counts).toMatchObject({ tokenRequests: 3, unauthorized: 1, heads: 60 });
    await client.close();
  });

  it('shares one token request among concurrent reads of one repository', async () => {
    const client = new RegistryClient({ host, plainHttp: true, credentials: { username: 'user', password: 'pass' } });
    await Promise.all(Array.from({ length: 8 }, () => client.headManifest('ns/repo-1', '1')));
    expect(counts.tokenRequests).toBe(1);
    await client.close();
  });

  it("once the registry has challenged, asks for a new repository's token before its first read, not after a 401", async () => {
    const client = new RegistryClient({ host, plainHttp: true, credentials: { username: 'user', password: 'pass' } });
    expect(await client.headManifest('ns/repo-1', '1')).toBeDefined();
    expect(counts).toMatchObject({ tokenRequests: 1, unauthorized: 1 });
    // Concurrent reads of repositories never seen: one token request each, shared, and no 401.
    const repositories = ['ns/repo-3', 'ns/repo-4', 'ns/repo-3', 'ns/repo-4'];
    await Promise.all(repositories.map((repository) => client.headManifest(repository, '1')));
    expect(counts).toMatchObject({ tokenRequests: 3, unauthorized: 1, heads: 5 });
    await client.close();
  });

  it('keeps connections open across HEAD requests', async () => {
    const client = new RegistryClient({ host, plainHttp: true, credentials: { username: 'user', password: 'pass' } });
    await client.authorize(['ns/repo-1']);
    const before = counts.connections;
    for (let index = 0; index < 20; index += 1) await client.headManifest('ns/repo-1', String(index));
    // Sequential HEADs reuse one connection; undici's default would open one per HEAD.
    expect(counts.connections - before).toBeLessThanOrEqual(1);
    await client.close();
  });

  it('still reads every repository when the token service grants only the first scope of a batch', async () => {
    firstScopeOnly = true;
    const client = new RegistryClient({ host, plainHttp: true, credentials: { username: 'user', password: 'pass' } });
    const repositories = ['ns/repo-1', 'ns/repo-2', 'ns/repo-3'];
    await client.authorize(repositories);
    const found = await Promise.all(repositories.map((repository) => client.headManifest(repository, '1')));
    expect(found.map(Boolean)).toEqual([true, false, true]);
    // One batch token, then one token of its own for each repository the batch did not cover.
    expect(counts.tokenRequests).toBe(3);
    await client.close();
  });

  it('asks one token for a unit of work: its pushes, and mounts from the repositories it named, use that token', async () => {
    const client = new RegistryClient({ host, plainHttp: true, credentials: { username: 'user', password: 'pass' } });
    expect(await client.headManifest('ns/repo-1', '1')).toBeDefined();
    const unit = ['repository:ns/repo-3:pull,push', 'repository:ns/repo-5:pull,push', 'repository:base/python:pull'];
    await client.authorizeTogether(unit);
    expect(counts).toMatchObject({ tokenRequests: 2, unauthorized: 1 });
    // A mount names two repositories: push on its target, pull on its source (push on a repository includes pull).
    for (const [target, source] of [
      ['ns/repo-3', 'base/python'],
      ['ns/repo-5', 'ns/repo-3'],
    ]) {
      const scope = `repository:${target}:pull,push repository:${source}:pull`;
      expect((await client.call('HEAD', `/v2/${target}/manifests/1`, scope)).statusCode).toBe(200);
    }
    expect(await client.headManifest('ns/repo-5', '1')).toBeDefined();
    await client.authorizeTogether(unit);
    expect(counts).toMatchObject({ tokenRequests: 2, unauthorized: 1 });
    // A repository the unit did not name, or an action it was not granted, gets a token of its own.
    await client.call('HEAD', '/v2/ns/repo-3/manifests/1', 'repository:ns/repo-3:pull,push repository:ns/repo-7:pull');
    expect(counts.tokenRequests).toBe(3);
    await client.call('HEAD', '/v2/base/python/manifests/1', 'repository:base/python:pull,push');
    expect(counts.tokenRequests).toBe(4);
    await client.close();
  });

  it('asks for a new token when the one held has expired', async () => {
    const client = new RegistryClient({ host, plainHttp: true, credentials: { username: 'user', password: 'pass' } });
    await client.authorize(['ns/repo-1']);
    expect(await client.headManifest('ns/repo-1', '1')).toBeDefined();
    granted.clear();
    expect(await client.headManifest('ns/repo-1', '1')).toBeDefined();
    expect(counts.tokenRequests).toBe(2);
    await client.close();
  });

  it('batches anonymous tokens too, and goes on per request when the token service refuses them', async () => {
    const anonymous = new RegistryClient({ host, plainHttp: true });
    await anonymous.authorize(['ns/repo-1', 'ns/repo-2']);
    // This token service wants credentials: the batch is refused, quietly; each read then asks (and fails) alone.
    expect(counts.tokenRequests).toBe(1);
    await expect(anonymous.headManifest('ns/repo-1', '1')).rejects.toMatchObject({ code: 'REGISTRY_AUTH' });
    await anonymous.close();
  });

  it('refuses wrong credentials with a coded error before any read', async () => {
    const wrong = new RegistryClient({ host, plainHttp: true, credentials: { username: 'user', password: 'nope' } });
    const error = await wrong.authorize(['ns/repo-1']).catch((caught: unknown) => caught);
    // The token service refused, not the registry: the error names the realm it asked.
    expect(error).toMatchObject({
      code: 'REGISTRY_AUTH',
      problem: {
        file: `http://${host}/token`,
        message: expect.stringContaining(
          `token service http://${host}/token (service test) of registry ${host} answered 401`,
        ),
      },
    });
    expect(JSON.stringify(error)).not.toContain('nope');
    await wrong.close();
  });

  it('names the token service when it answers something that is not a token', async () => {
    const client = new RegistryClient({
      host,
      plainHttp: true,
      credentials: { username: 'user', password: 'garbage' },
    });
    const error = await client.authorize(['ns/repo-1']).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'REGISTRY_AUTH',
      exitCode: 3,
      problem: { file: `http://${host}/token`, message: expect.stringContaining('not JSON') },
    });
    await client.close();
  });
});
