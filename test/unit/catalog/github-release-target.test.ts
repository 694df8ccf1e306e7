import { afterEach, describe, expect, it } from 'vitest';
import { catalogTargets } from '../../../src/cli/catalog-options.js';
import type { Config } from '../../../src/config/load-config.js';
import { githubReleaseTarget, parseGitHubReleaseTarget } from '../../../src/publish/github-release-target.js';
import { publishTarget } from '../../../src/publish/targets.js';
import { startFakeGitHubReleases, type FakeGitHubReleases } from './fake-github-releases.js';
import { filesOf, objectsOf, samplePublication } from './publication-fixture.js';

const token = 'ghp_releaseTokenThatMustNeverBePrinted';
const target = 'github-release:acme/workers@catalog';
let github: FakeGitHubReleases | undefined;

afterEach(async () => {
  await github?.close();
  github = undefined;
});

async function serve(): Promise<FakeGitHubReleases> {
  github = await startFakeGitHubReleases('acme', 'workers', token);
  return github;
}

const open = (server: FakeGitHubReleases, secret = token) =>
  githubReleaseTarget(target, { env: { GITHUB_TOKEN: secret, GITHUB_API_URL: server.url }, caPems: [] });

/** What the release holds: asset name -> text. */
function published(server: FakeGitHubReleases): Record<string, string> {
  const release = server.releases.find((candidate) => candidate.tag === 'catalog');
  return Object.fromEntries((release?.assets ?? []).map((asset) => [asset.name, asset.bytes.toString()]));
}

describe('GitHub release publish target', () => {
  it('creates the release on first publish: content-addressed files, then the index, then the named copies', async () => {
    const server = await serve();
    const publisher = publishTarget(target, {
      cwd: '/',
      ca: [],
      authorization: undefined,
      caPems: [],
      env: { GITHUB_TOKEN: token, GITHUB_API_URL: server.url },
      registries: [],
    });
    expect(publisher.description).toBe(target);
    expect(await publisher.read('index.json')).toBeUndefined();
    const first = samplePublication(1);
    await publisher.publish(first);
    expect(server.releases).toHaveLength(1);
    expect(server.releases[0]).toMatchObject({ tag: 'catalog', makeLatest: 'false' });
    expect(server.releases[0]?.body).toMatch(/catalogs/);
    expect(published(server)).toEqual(filesOf(first));
    const types = Object.fromEntries(server.releases[0]?.assets.map((asset) => [asset.name, asset.contentType]) ?? []);
    expect(types).toMatchObject({ 'catalog.html': 'text/html; charset=utf-8', 'index.json': 'application/json' });
    // Each file goes up under a temporary name, then is renamed into place; the index is the commit point.
    const uploads = server.requests
      .filter((request) => request.startsWith('POST /uploads/'))
      .map((request) => new URL(request.slice(5), server.url).searchParams.get('name') ?? '');
    const order = [...first.objects.keys(), 'index.json', ...first.named.keys()];
    expect(uploads).toEqual(
      order.map((name) =>
        expect.stringMatching(new RegExp(`^\\.${name.replaceAll('.', '\\.')}\\.[0-9a-f]{12}\\.tmp$`)),
      ),
    );
    expect(server.requests.filter((request) => request.startsWith('PATCH'))).toHaveLength(order.length);
  });

  it('switches to the next publication, keeps the files of the one before for its readers, then drops them', async () => {
    const server = await serve();
    const first = samplePublication(1);
    await open(server).publish(first);
    const next = open(server);
    expect((await next.read('index.json'))?.toString()).toBe(first.index.toString());
    const second = samplePublication(2);
    await next.publish(second);
    expect(published(server)).toEqual({ ...objectsOf(first), ...filesOf(second) });
    const third = samplePublication(3, { signed: false });
    const after = open(server);
    await after.read('index.json');
    await after.publish(third);
    // Unsigned after signed: no signature of an older index is left where a reader could take it for this one's.
    expect(published(server)).toEqual({ ...objectsOf(second), ...filesOf(third) });
    server.downloads = 'direct';
    const reader = open(server);
    expect((await reader.read('index.json'))?.toString()).toBe(third.index.toString());
    expect((await reader.read('catalog.html'))?.toString()).toBe('<!doctype html><p>3</p>\n');
    expect(await reader.read('missing.json')).toBeUndefined();
    expect(server.releases).toHaveLength(1);
  });

  it('refuses to commit over an index another publisher wrote since it was read, uploading nothing', async () => {
    const server = await serve();
    await open(server).publish(samplePublication(1));
    const slow = open(server);
    const fast = open(server);
    await slow.read('index.json');
    await fast.read('index.json');
    const won = samplePublication(2, { by: 'fast' });
    await fast.publish(won);
    const uploadsBefore = server.requests.filter((request) => request.startsWith('POST /uploads/')).length;
    await expect(slow.publish(samplePublication(2, { by: 'slow' }))).rejects.toMatchObject({
      code: 'CATALOG_PUBLISH_CONFLICT',
      message: expect.stringContaining('index.json'),
    });
    expect(published(server)['index.json']).toBe(won.index.toString());
    expect(published(server)['analyzers.json']).toBe(won.named.get('analyzers.json')?.toString());
    expect(server.requests.filter((request) => request.startsWith('POST /uploads/')).length).toBe(uploadsBefore);
  });

  it('refuses to commit when an index appeared since it was read as missing', async () => {
    const server = await serve();
    const late = open(server);
    expect(await late.read('index.json')).toBeUndefined();
    const first = samplePublication(1, { by: 'first' });
    await open(server).publish(first);
    await expect(late.publish(samplePublication(1, { by: 'late' }))).rejects.toMatchObject({
      code: 'CATALOG_PUBLISH_CONFLICT',
    });
    expect(published(server)).toEqual(filesOf(first));
  });

  it('finds an asset after the first page of a release with more than 30 assets', async () => {
    const server = await serve();
    const release = server.addRelease('catalog');
    for (let index = 0; index < 130; index += 1)
      server.addAsset(release, `extra-${index}.json`, Buffer.from(`${index}\n`));
    server.addAsset(release, 'index.json', Buffer.from('{"serial":7}\n'));
    const publisher = open(server);
    expect((await publisher.read('index.json'))?.toString()).toBe('{"serial":7}\n');
    expect(server.requests.filter((request) => request.includes('/assets?'))).toEqual([
      `GET /repos/acme/workers/releases/${release.id}/assets?per_page=100`,
      `GET /repositories/4343/releases/${release.id}/assets?per_page=100&page=2`,
    ]);
    const next = samplePublication(8);
    await publisher.publish(next);
    expect(published(server)['index.json']).toBe(next.index.toString());
    expect(release.assets).toHaveLength(130 + Object.keys(filesOf(next)).length);
  });

  it.each(['redirect', 'direct'] as const)(
    'reads an empty asset as empty bytes (download answered by %s)',
    async (mode) => {
      const server = await serve();
      server.downloads = mode;
      server.addAsset(server.addRelease('catalog'), 'responders.json', Buffer.alloc(0));
      expect((await open(server).read('responders.json'))?.length).toBe(0);
    },
  );

  it('removes temporary assets that earlier runs left more than an hour ago, and only those', async () => {
    const server = await serve();
    const release = server.addRelease('catalog');
    const hoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    server.addAsset(release, 'default.index.json.0123456789ab.tmp', Buffer.from('half'), hoursAgo);
    server.addAsset(release, 'default.analyzers.json.ba9876543210.tmp', Buffer.from('in flight'));
    server.addAsset(release, 'notes.tmp', Buffer.from('kept'), hoursAgo);
    const next = samplePublication(1);
    await open(server).publish(next);
    expect(Object.keys(published(server)).sort()).toEqual(
      ['default.analyzers.json.ba9876543210.tmp', 'notes.tmp', ...Object.keys(filesOf(next))].sort(),
    );
  });

  it('fails with CATALOG_PUBLISH_HTTP on a refused token, never showing it', async () => {
    const server = await serve();
    const wrong = 'ghp_wrongTokenThatMustNeverBePrinted';
    const failure = await open(server, wrong)
      .publish(samplePublication(1))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toMatchObject({ code: 'CATALOG_PUBLISH_HTTP', exitCode: 3 });
    const { message, hint } = (failure as { problem: { message: string; hint: string } }).problem;
    expect(message).toContain('401');
    expect(hint).toContain('contents: write');
    for (const text of [message, hint, String((failure as Error).stack)]) expect(text).not.toContain(wrong);
    expect(server.releases).toHaveLength(0);
  });

  it('fails with CATALOG_PUBLISH_UNREACHABLE when GitHub cannot be reached', async () => {
    const server = await serve();
    github = undefined;
    await server.close();
    await expect(open(server).read('index.json')).rejects.toMatchObject({
      code: 'CATALOG_PUBLISH_UNREACHABLE',
      exitCode: 3,
    });
  });

  it.each([
    'github-release:acme/workers',
    'github-release:acme@catalog',
    'github-release:/workers@catalog',
    'github-release:acme/workers@',
    'github-release:acme/wor/kers@catalog',
    'github-release:-acme/workers@catalog',
    'github-release:acme/workers@bad tag',
    'github-release:acme/workers@a..b',
    'github-release:acme/workers@tag.lock',
    'github-release:acme/workers@one@two',
    'github-release:acme/..@catalog',
  ])('refuses the malformed target %s', (value) => {
    expect(() => parseGitHubReleaseTarget(value)).toThrow(
      expect.objectContaining({ code: 'CATALOG_PUBLISH_TARGET', exitCode: 2, message: expect.stringContaining(value) }),
    );
    expect(() => parseGitHubReleaseTarget(value)).toThrow(/github-release:OWNER\/REPO@TAG/);
  });

  it('is chosen on the command line by its prefix, not taken for a folder', () => {
    const io = { cwd: '/work', env: { GITHUB_TOKEN: token }, stdout: process.stdout, stderr: process.stderr };
    const config = { registries: [], trust: { caPems: [], runtime: false } } as unknown as Config;
    const targets = catalogTargets(io, { publish: [target, 'out/copy'] }, '/work/catalogs', config);
    expect(targets.map((publisher) => publisher.description)).toEqual(['/work/catalogs', target, '/work/out/copy']);
    expect(() => catalogTargets(io, { publish: ['github-release:acme'] }, '/work/catalogs', config)).toThrow(
      expect.objectContaining({ code: 'CATALOG_PUBLISH_TARGET' }),
    );
  });

  it('parses owner, repository and tag', () => {
    expect(parseGitHubReleaseTarget('github-release:acme/workers.js@catalogs/v1')).toEqual({
      owner: 'acme',
      repo: 'workers.js',
      tag: 'catalogs/v1',
    });
  });
});
