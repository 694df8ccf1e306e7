import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderTarget, httpTarget, publishTargetKind } from '../../../src/publish/targets.js';
import { filesOf, objectsOf, samplePublication } from './publication-fixture.js';

// A small static server that honours conditional PUT like real object stores and WebDAV servers do.
const files = new Map<string, Buffer>();
const puts: Array<{ name: string; condition: string; status: number }> = [];
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const folderFiles = async (directory: string): Promise<Record<string, string>> =>
  Object.fromEntries(
    await Promise.all(
      (await readdir(directory)).map(
        async (file) => [file, await readFile(path.join(directory, file), 'utf8')] as const,
      ),
    ),
  );
const etagOf = (bytes: Buffer): string => `"${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}"`;
const server = createServer((request, response) => {
  const name = (request.url ?? '/').slice(1);
  if (request.headers.authorization !== 'Bearer publish-token') return void response.writeHead(401).end();
  const current = files.get(name);
  if (request.method === 'GET') {
    if (current && request.headers['if-none-match'] === etagOf(current))
      return void response.writeHead(304, { etag: etagOf(current) }).end();
    return void (current
      ? response.writeHead(200, { etag: etagOf(current) }).end(current)
      : response.writeHead(404).end());
  }
  if (request.method === 'DELETE') return void response.writeHead(files.delete(name) ? 204 : 404).end();
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const ifMatch = request.headers['if-match'];
    const ifNoneMatch = request.headers['if-none-match'];
    const condition = ifMatch ? `if-match` : ifNoneMatch ? 'if-none-match' : '';
    if ((ifMatch && (!current || etagOf(current) !== ifMatch)) || (ifNoneMatch === '*' && current)) {
      puts.push({ name, condition, status: 412 });
      return void response.writeHead(412).end();
    }
    const body = Buffer.concat(chunks);
    files.set(name, body);
    puts.push({ name, condition, status: current ? 204 : 201 });
    response.writeHead(current ? 204 : 201, { etag: etagOf(body) }).end();
  });
});

/** What is under `prefix/` on the server: name -> text. */
const served = (prefix: string): Record<string, string> =>
  Object.fromEntries(
    [...files]
      .filter(([name]) => name.startsWith(`${prefix}/`))
      .map(([name, bytes]) => [name.slice(prefix.length + 1), bytes.toString()]),
  );

describe('a folder target', () => {
  it('switches publications whole: the files of the one before stay for its readers, then go; no lock or temporary file is left', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'neurons-target-'));
    const target = folderTarget(directory);
    const first = samplePublication(1);
    await target.publish(first);
    expect((await readdir(directory)).sort()).toEqual(Object.keys(filesOf(first)).sort());
    expect(await readFile(path.join(directory, 'index.json'), 'utf8')).toBe(first.index.toString());
    const second = samplePublication(2);
    await target.read('index.json');
    await target.publish(second);
    expect(
      Object.fromEntries(
        await Promise.all(
          (await readdir(directory)).map(async (file) => [file, await readFile(path.join(directory, file), 'utf8')]),
        ),
      ),
    ).toEqual({ ...objectsOf(first), ...filesOf(second) });
    const third = samplePublication(3, { signed: false });
    await target.read('index.json');
    await target.publish(third);
    expect((await readdir(directory)).sort()).toEqual(Object.keys({ ...objectsOf(second), ...filesOf(third) }).sort());
    expect(await target.read('missing.json')).toBeUndefined();
  });

  it('publishes report-templates.zip by hash and under its name, and withdraws the named copy when a publication has none', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'neurons-target-'));
    const target = folderTarget(directory);
    const first = samplePublication(1, { reportTemplates: 'templates one' });
    await target.publish(first);
    expect(filesOf(first)).toMatchObject({
      'report-templates.zip': 'templates one',
      [`report-templates-${sha256('templates one')}.zip`]: 'templates one',
    });
    expect(await folderFiles(directory)).toEqual(filesOf(first));
    const second = samplePublication(2, { reportTemplates: 'templates two' });
    await target.read('index.json');
    await target.publish(second);
    expect(await folderFiles(directory)).toEqual({ ...objectsOf(first), ...filesOf(second) });
    const third = samplePublication(3);
    await target.read('index.json');
    await target.publish(third);
    // The archive of the index before stays by hash for its readers; no fixed name points at a withdrawn file.
    expect(await folderFiles(directory)).toEqual({ ...objectsOf(second), ...filesOf(third) });
    expect(Object.keys(await folderFiles(directory))).not.toContain('report-templates.zip');
  });

  it('removes what an interrupted run left: temporary files, a lock whose process is gone, the old signature file', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'neurons-target-'));
    await writeFile(path.join(directory, '.index.json.4242.0badcafe.tmp'), 'half');
    await writeFile(path.join(directory, '.analyzers.json.tmp'), 'half, older layout');
    await writeFile(path.join(directory, 'index.json.sig'), 'signature of an older layout');
    // pid 2^22 + 1 is above Linux's pid_max: no such process.
    await writeFile(
      path.join(directory, '.publish.lock'),
      JSON.stringify({ host: (await import('node:os')).hostname(), pid: 4_194_305 }),
    );
    const next = samplePublication(1);
    await folderTarget(directory).publish(next);
    expect((await readdir(directory)).sort()).toEqual(Object.keys(filesOf(next)).sort());
  });

  it('refuses to publish while another live publisher holds the lock, or over an index written since it was read', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'neurons-target-'));
    await writeFile(
      path.join(directory, '.publish.lock'),
      JSON.stringify({ host: (await import('node:os')).hostname(), pid: process.ppid }),
    );
    await expect(folderTarget(directory).publish(samplePublication(1))).rejects.toMatchObject({
      code: 'CATALOG_PUBLISH_CONFLICT',
      message: expect.stringContaining('.publish.lock'),
    });
    expect(await readdir(directory)).toEqual(['.publish.lock']);
    const other = await mkdtemp(path.join(tmpdir(), 'neurons-target-'));
    const slow = folderTarget(other);
    const fast = folderTarget(other);
    await slow.read('index.json');
    await fast.read('index.json');
    const won = samplePublication(1, { by: 'fast' });
    await fast.publish(won);
    await expect(slow.publish(samplePublication(1, { by: 'slow' }))).rejects.toMatchObject({
      code: 'CATALOG_PUBLISH_CONFLICT',
    });
    expect((await readdir(other)).sort()).toEqual(Object.keys(filesOf(won)).sort());
  });
});

describe('an HTTP target', () => {
  let base: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => void server.close());

  it('writes content-addressed files first (never over one), commits the index with If-Match, then the named copies', async () => {
    const target = httpTarget(`${base}one/`, { ca: [], authorization: 'Bearer publish-token' });
    const first = samplePublication(1);
    await target.read('index.json');
    await target.publish(first);
    expect(served('one')).toEqual(filesOf(first));
    puts.length = 0;
    const next = httpTarget(`${base}one/`, { ca: [], authorization: 'Bearer publish-token' });
    await next.read('index.json');
    const second = samplePublication(2);
    await next.publish(second);
    expect(puts.map((put) => [put.name.slice(4), put.condition])).toEqual([
      ...[...second.objects.keys()].map((name) => [name, 'if-none-match']),
      ['index.json', 'if-match'],
      ...[...second.named.keys()].map((name) => [name, '']),
    ]);
    expect(served('one')).toMatchObject(filesOf(second));
    await target.close();
    await next.close();
  });

  it('withdraws report-templates.zip with a DELETE once a committed publication has none', async () => {
    const publish = async (publication: ReturnType<typeof samplePublication>): Promise<void> => {
      const target = httpTarget(`${base}withdraw/`, { ca: [], authorization: 'Bearer publish-token' });
      await target.read('index.json');
      await target.publish(publication);
      await target.close();
    };
    const first = samplePublication(1, { reportTemplates: 'templates one' });
    await publish(first);
    expect(served('withdraw')).toEqual(filesOf(first));
    const second = samplePublication(2);
    await publish(second);
    expect(served('withdraw')).toEqual({ ...objectsOf(first), ...filesOf(second) });
    expect(served('withdraw')['report-templates.zip']).toBeUndefined();
  });

  it('lets only one of two publishers that read the same index commit; the loser changes nothing a reader uses', async () => {
    const slow = httpTarget(`${base}two/`, { ca: [], authorization: 'Bearer publish-token' });
    const fast = httpTarget(`${base}two/`, { ca: [], authorization: 'Bearer publish-token' });
    await fast.publish(samplePublication(1));
    expect((await slow.read('index.json'))?.toString()).toBe(served('two')['index.json']);
    await fast.read('index.json');
    const won = samplePublication(2, { by: 'fast' });
    await fast.publish(won);
    await expect(slow.publish(samplePublication(2, { by: 'slow' }))).rejects.toMatchObject({
      code: 'CATALOG_PUBLISH_CONFLICT',
      message: expect.stringContaining('index.json'),
    });
    expect(served('two')['index.json']).toBe(won.index.toString());
    expect(served('two')['analyzers.json']).toBe(won.named.get('analyzers.json')?.toString());
    await slow.close();
    await fast.close();
  });

  it('says where a reader finds each file: a path, a URL, the release download, the artifact', async () => {
    expect(folderTarget('/srv/catalogs').locate('analyzers.json')).toBe('/srv/catalogs/analyzers.json');
    const http = httpTarget('https://catalogs.example/devel', { ca: [], authorization: undefined });
    expect(http.locate('index.json')).toBe('https://catalogs.example/devel/index.json');
    await http.close();
    const { githubReleaseTarget } = await import('../../../src/publish/github-release-target.js');
    expect(
      githubReleaseTarget('github-release:acme/workers@catalogs', { env: {}, caPems: [] }).locate('analyzers.json'),
    ).toBe('https://github.com/acme/workers/releases/download/catalogs/analyzers.json');
    expect(
      githubReleaseTarget('github-release:acme/workers@v1/cat', {
        env: { GITHUB_API_URL: 'https://git.corp.example/api/v3' },
        caPems: [],
      }).locate('index.json'),
    ).toBe('https://git.corp.example/acme/workers/releases/download/v1/cat/index.json');
    const { ociArtifactTarget } = await import('../../../src/publish/oci-artifact-target.js');
    const oci = ociArtifactTarget('oci://ghcr.io/acme/catalog:stable', { registries: [], caPems: [] });
    expect(oci.locate('index.json')).toBe('oci://ghcr.io/acme/catalog:stable (index.json)');
    await oci.close();
  });
});

describe('--publish forms', () => {
  it.each([
    'ftp://host/x',
    'htps://host/x',
    's3:bucket/catalogs',
    'file:///srv/catalogs',
    'github-releases:acme/workers@x',
    'oci:/host/repo:tag',
  ])('refuses %s as a usage error naming the accepted forms', (value) => {
    expect(() => publishTargetKind(value)).toThrow(
      expect.objectContaining({
        code: 'CATALOG_PUBLISH_TARGET',
        exitCode: 2,
        message: expect.stringContaining('github-release:OWNER/REPO@TAG'),
      }),
    );
  });

  it.each([
    ['out/catalogs', 'folder'],
    ['./odd:name', 'folder'],
    ['/srv/catalogs', 'folder'],
    ['C:\\catalogs', 'folder'],
    ['https://h/x/', 'http'],
    ['http://127.0.0.1:8080/', 'http'],
    ['github-release:a/b@c', 'github-release'],
    ['oci://h/r:t', 'oci'],
  ])('takes %s as a %s target', (value, kind) => {
    expect(publishTargetKind(value)).toBe(kind);
  });
});
