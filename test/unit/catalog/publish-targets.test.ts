import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderTarget, httpTarget } from '../../../src/publish/targets.js';

// A small static server that honours conditional PUT like real object stores and WebDAV servers do.
const files = new Map<string, Buffer>();
const etagOf = (bytes: Buffer): string => `"${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}"`;
const server = createServer((request, response) => {
  const name = (request.url ?? '/').slice(1);
  if (request.headers.authorization !== 'Bearer publish-token') return void response.writeHead(401).end();
  const current = files.get(name);
  if (request.method === 'GET') return void (current ? response.writeHead(200, { etag: etagOf(current) }).end(current) : response.writeHead(404).end());
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const ifMatch = request.headers['if-match'];
    const ifNoneMatch = request.headers['if-none-match'];
    if ((ifMatch && (!current || etagOf(current) !== ifMatch)) || (ifNoneMatch === '*' && current)) return void response.writeHead(412).end();
    const body = Buffer.concat(chunks);
    files.set(name, body);
    response.writeHead(current ? 204 : 201, { etag: etagOf(body) }).end();
  });
});

describe('publish targets', () => {
  let base: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/catalogs/`;
  });
  afterAll(() => void server.close());

  it('a folder gets whole files only, nothing left aside', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'neurons-target-'));
    const target = folderTarget(directory);
    await target.write(new Map([['analyzers.json', Buffer.from('[]\n')], ['index.json', Buffer.from('{}\n')]]));
    expect((await readdir(directory)).sort()).toEqual(['analyzers.json', 'index.json']);
    expect((await readFile(path.join(directory, 'index.json'), 'utf8'))).toBe('{}\n');
    expect((await target.read('index.json'))?.toString()).toBe('{}\n');
    expect(await target.read('missing.json')).toBeUndefined();
  });

  it('say where a reader finds each file: a path, a URL, the release download, the artifact', async () => {
    expect(folderTarget('/srv/catalogs').locate('analyzers.json')).toBe('/srv/catalogs/analyzers.json');
    const http = httpTarget('https://catalogs.example/devel', { ca: [], authorization: undefined });
    expect(http.locate('index.json')).toBe('https://catalogs.example/devel/index.json');
    await http.close();
    const { githubReleaseTarget } = await import('../../../src/publish/github-release-target.js');
    expect(githubReleaseTarget('github-release:acme/workers@catalogs', { env: {}, caPems: [] }).locate('analyzers.json')).toBe('https://github.com/acme/workers/releases/download/catalogs/analyzers.json');
    expect(githubReleaseTarget('github-release:acme/workers@v1/cat', { env: { GITHUB_API_URL: 'https://git.corp.example/api/v3' }, caPems: [] }).locate('index.json')).toBe('https://git.corp.example/acme/workers/releases/download/v1/cat/index.json');
    const { ociArtifactTarget } = await import('../../../src/publish/oci-artifact-target.js');
    const oci = ociArtifactTarget('oci://ghcr.io/acme/catalog:stable', { registries: [], caPems: [] });
    expect(oci.locate('index.json')).toBe('oci://ghcr.io/acme/catalog:stable (index.json)');
    await oci.close();
  });

  it('PUTs with If-None-Match for new files and If-Match for known ones', async () => {
    const target = httpTarget(base, { ca: [], authorization: 'Bearer publish-token' });
    await target.write(new Map([['analyzers.json', Buffer.from('[1]\n')]]));
    expect(files.get('catalogs/analyzers.json')?.toString()).toBe('[1]\n');
    await target.write(new Map([['analyzers.json', Buffer.from('[2]\n')]]));
    expect(files.get('catalogs/analyzers.json')?.toString()).toBe('[2]\n');
    await target.close();
  });

  it('refuses to overwrite what another publisher wrote since it was read', async () => {
    const first = httpTarget(base, { ca: [], authorization: 'Bearer publish-token' });
    const second = httpTarget(base, { ca: [], authorization: 'Bearer publish-token' });
    expect((await first.read('index.json'))).toBeUndefined();
    expect((await second.read('index.json'))).toBeUndefined();
    await first.write(new Map([['index.json', Buffer.from('{"serial":1}\n')]]));
    await expect(second.write(new Map([['index.json', Buffer.from('{"serial":1,"other":true}\n')]]))).rejects.toMatchObject({ code: 'CATALOG_PUBLISH_CONFLICT' });
    expect(files.get('catalogs/index.json')?.toString()).toBe('{"serial":1}\n');
    await first.close();
    await second.close();
  });

  it('checks what it read before replacing anything: no catalog is written under another publisher\'s index', async () => {
    const slow = httpTarget(base, { ca: [], authorization: 'Bearer publish-token' });
    const fast = httpTarget(base, { ca: [], authorization: 'Bearer publish-token' });
    expect((await slow.read('index.json'))?.toString()).toBe('{"serial":1}\n');
    expect((await fast.read('index.json'))?.toString()).toBe('{"serial":1}\n');
    await fast.write(new Map([['responders.json', Buffer.from('["fast"]\n')], ['index.json', Buffer.from('{"serial":2}\n')]]));
    await expect(slow.write(new Map([['responders.json', Buffer.from('["slow"]\n')], ['index.json', Buffer.from('{"serial":2,"slow":true}\n')]]))).rejects.toMatchObject({ code: 'CATALOG_PUBLISH_CONFLICT', message: expect.stringContaining('index.json') });
    expect(files.get('catalogs/responders.json')?.toString()).toBe('["fast"]\n');
    expect(files.get('catalogs/index.json')?.toString()).toBe('{"serial":2}\n');
    await slow.close();
    await fast.close();
  });
});
