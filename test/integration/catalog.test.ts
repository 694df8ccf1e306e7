import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys } from '../../src/catalog/signing.js';
import { signatureObjectName } from '../../src/publish/publication.js';
import { verifyIndex } from '../../src/catalog/verify-index.js';
import { copyFixture, runCli, uniqueNamespace } from '../helpers/environment.js';

type Entry = Record<string, unknown> & { name: string; version: string; dockerImage: string };

describe('catalogs published from the real registry', () => {
  let repo: string;
  let out: string;
  let keyFile: string;
  let publicKey: string;
  let namespace: string;
  const catalogFiles = ['analyzers.json', 'analyzers-stable.json', 'responders.json', 'responders-stable.json'];

  const publish = (...args: string[]) =>
    runCli(['pipeline', '--repo', repo, '--output', out, '--namespace', namespace, '--sign', keyFile, ...args]);
  const read = async (file: string): Promise<Buffer> => readFile(path.join(out, file));
  const entries = async (file: string): Promise<Entry[]> => JSON.parse((await read(file)).toString()) as Entry[];
  const verify = async (lastSerial?: number) => {
    const catalogs = new Map(await Promise.all(catalogFiles.map(async (file) => [file, await read(file)] as const)));
    const indexBytes = await read('index.json');
    return verifyIndex({
      indexBytes,
      signature: (await read(signatureObjectName(indexBytes))).toString(),
      publicKeyPem: publicKey,
      lastSerial,
      now: new Date(),
      catalogs,
      source: out,
    });
  };
  const bump = async (file: string, version: string): Promise<void> => {
    const definition = JSON.parse(await readFile(path.join(repo, file), 'utf8')) as Record<string, unknown>;
    definition['version'] = version;
    await writeFile(path.join(repo, file), JSON.stringify(definition, null, 2));
  };

  beforeAll(async () => {
    repo = await copyFixture();
    out = path.join(repo, 'published');
    namespace = uniqueNamespace('catalog');
    const keys = generateSigningKeys();
    keyFile = path.join(await mkdtemp(path.join(tmpdir(), 'neurons-keys-')), 'index.key');
    await writeFile(keyFile, keys.privateKeyPem, { mode: 0o600 });
    publicKey = keys.publicKeyPem;
    const first = await publish();
    expect(first.status, first.stderr).toBe(0);
  });

  it('signs an index that covers every catalog and verifies with the public key', async () => {
    const index = await verify();
    expect(index.serial).toBe(1);
    expect(Object.keys(index.catalogs).sort()).toEqual([...catalogFiles].sort());
    expect(index.flavors).toHaveLength(10);
    expect(
      index.flavors.every(
        (flavor) => /^sha256:/.test(flavor.digest ?? '') && /^sha256:/.test(flavor.buildInputDigest ?? ''),
      ),
    ).toBe(true);
  });

  it('changes only the entries of what was rebuilt, byte for byte', async () => {
    const before = new Map(await Promise.all(catalogFiles.map(async (file) => [file, await entries(file)] as const)));
    await writeFile(path.join(repo, 'analyzers/UrlInspect/index.js'), '\n// 1.1\n', { flag: 'a' });
    await bump('analyzers/UrlInspect/UrlInspect.json', '1.1');
    const run = await publish();
    expect(run.status, run.stdout).toBe(0);
    for (const file of catalogFiles) {
      const after = await entries(file);
      const changed = after
        .filter((entry, index) => JSON.stringify(entry) !== JSON.stringify(before.get(file)?.[index]))
        .map((entry) => entry.name);
      expect(changed, file).toEqual(file.startsWith('analyzers') ? ['UrlInspect'] : []);
    }
    expect((await entries('analyzers-stable.json')).find((entry) => entry.name === 'UrlInspect')?.dockerImage).toMatch(
      /urlinspect:1\.1$/,
    );
    expect((await verify(1)).serial).toBe(2);
  });

  it('never lists a failed push: the previous entry stands in while its image exists', async () => {
    await bump('responders/TagCase/TagCase.json', '1.1');
    await writeFile(path.join(repo, 'responders/TagCase/requirements.txt'), 'no-such-package==1.0\n');
    const run = await publish();
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/TagCase_1_1 +failed .*BUILD_FAILED/);
    expect(run.stdout).toMatch(/kept .*CATALOG_KEPT_PREVIOUS/);
    const tagCase = (await entries('responders-stable.json')).find((entry) => entry.name === 'TagCase');
    expect(tagCase?.version).toBe('1.0');
    expect(tagCase?.dockerImage).toMatch(/tagcase:1\.0$/);
    // The major tag still names the 1.0 image: the default catalog keeps 1.0 too, never 1.1 with the 1.0 image.
    const major = (await entries('responders.json')).find((entry) => entry.name === 'TagCase');
    expect([major?.version, major?.dockerImage]).toEqual(['1.0', expect.stringMatching(/tagcase:1$/)]);
    expect(run.stdout.match(/kept .*TagCase.*CATALOG_KEPT_PREVIOUS/g)).toHaveLength(2);
    await verify(2);
  });

  it('drops a deleted worker', async () => {
    await rm(path.join(repo, 'analyzers/IPClassifier'), { recursive: true });
    await publish();
    for (const file of ['analyzers.json', 'analyzers-stable.json'])
      expect((await entries(file)).map((entry) => entry.name)).not.toContain('IPClassifier');
    expect((await verify(3)).flavors.map((flavor) => flavor.name)).not.toContain('IPClassifier');
  });

  it('re-signs the publication with --refresh, without a build: the same catalogs, a new serial and expiry', async () => {
    const before = await verify(4);
    const catalogs = new Map(await Promise.all(catalogFiles.map(async (file) => [file, await read(file)] as const)));
    const run = await runCli([
      'catalog',
      '--refresh',
      '--repo',
      repo,
      '--out',
      out,
      '--sign',
      keyFile,
      '--expires-days',
      '90',
      '--require-signature',
    ]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const after = await verify(before.serial);
    expect(after.serial).toBe(before.serial + 1);
    expect(Date.parse(after.expires)).toBeGreaterThan(Date.parse(before.expires) + 50 * 86_400_000);
    for (const [file, bytes] of catalogs) expect((await read(file)).equals(bytes), file).toBe(true);
    expect(after.flavors.map((flavor) => [flavor.id, flavor.tags, flavor.digest])).toEqual(
      before.flavors.map((flavor) => [flavor.id, flavor.tags, flavor.digest]),
    );
    expect(after.flavors.every((flavor) => /^sha256:/.test(flavor.buildInputDigest ?? ''))).toBe(true);
  });

  it('renders a page a person can filter, in a real browser', async () => {
    const chromium = (url: string, ...flags: string[]): string =>
      execFileSync(
        'chromium',
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          `--user-data-dir=${path.join(out, '.chromium')}`,
          ...flags,
          url,
        ],
        { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] },
      );
    const page = `file://${path.join(out, 'catalog.html')}`;
    const all = chromium(page, '--dump-dom');
    expect(all).toContain('9 of 9 shown');
    const responders = chromium(`${page}#kind=responder`, '--dump-dom');
    expect(responders).toContain('2 of 9 shown');
    expect(responders.match(/<section class="worker"[^>]*data-kind="analyzer"[^>]*hidden/g)).toHaveLength(7);
    expect(chromium(`${page}#type=ip`, '--dump-dom')).toMatch(/[1-9] of 9 shown/);
    const screenshot = path.join(out, 'catalog-page.png');
    chromium(page, `--screenshot=${screenshot}`, '--window-size=1280,1000');
    expect((await readFile(screenshot)).subarray(1, 4).toString()).toBe('PNG');
  });
});
