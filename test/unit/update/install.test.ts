import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeJson } from '../../../src/catalog/index-file.js';
import { generateSigningKeys } from '../../../src/catalog/signing.js';
import { createWorkerId } from '../../../src/definitions/version.js';
import { parseImageReference } from '../../../src/images/reference.js';
import { buildTrustStore } from '../../../src/trust/trust-store.js';
import type { CatalogWorker } from '../../../src/update/entries.js';
import { httpFetcher } from '../../../src/update/fetch.js';
import { EngineInstaller, planInstall, type VerifiedCatalogs } from '../../../src/update/install.js';
import { applyRegistryPrefix } from '../../../src/update/prefix.js';
import type { ImagePuller } from '../../../src/update/pull.js';
import { resolveSource } from '../../../src/update/source.js';
import { runUpdate } from '../../../src/update/update.js';
import { replaceFilesAtomically } from '../../../src/util/atomic-file.js';
import { digestOf, entry, publication, startCatalogServer, type CatalogServer } from './catalog-server.js';

/** The verified catalogs as the update hands them over: each entry read, with the prefix applied and the index's digest. */
function verifiedCatalogs(
  catalogs: Record<string, Array<Record<string, unknown>>>,
  options: { prefix?: string; verified?: boolean; digests?: boolean } = {},
): VerifiedCatalogs {
  const workers: CatalogWorker[] = Object.entries(catalogs).flatMap(([file, entries]) =>
    entries.map((item) => {
      const [name, version, image] = [String(item['name']), String(item['version']), String(item['dockerImage'])];
      const kind = file.startsWith('responders') ? 'responder' : 'analyzer';
      return {
        kind,
        id: createWorkerId(name, version),
        name,
        version,
        catalogImage: image,
        image: applyRegistryPrefix(image, options.prefix),
        digest: options.digests === false ? undefined : digestOf(name, version),
        catalog: file,
      } as const;
    }),
  );
  return {
    catalogs: new Map(Object.entries(catalogs).map(([file, entries]) => [file, serializeJson(entries)])),
    workers,
    verified: options.verified ?? true,
  };
}

const installed = (plan: ReturnType<typeof planInstall>, file: string): Array<Record<string, unknown>> =>
  JSON.parse(plan.files.get(file)?.bytes.toString('utf8') ?? 'null') as Array<Record<string, unknown>>;

describe('the catalogs installed for the engine', () => {
  const analyzers = [entry('Alpha', '1.0'), entry('Beta', '2.1')];
  const responders = [entry('Gamma', '1.0')];

  it('are the published entries, field for field, with each image pinned to the digest of the index', () => {
    const plan = planInstall(
      verifiedCatalogs({ 'analyzers-stable.json': analyzers, 'responders-stable.json': responders }),
      { pin: true },
    );
    expect([...plan.files.keys()]).toEqual(['analyzers.json', 'responders.json']);
    expect(installed(plan, 'analyzers.json')).toEqual([
      { ...entry('Alpha', '1.0'), dockerImage: `registry.example:5000/ns/alpha:1@${digestOf('Alpha', '1.0')}` },
      { ...entry('Beta', '2.1'), dockerImage: `registry.example:5000/ns/beta:2@${digestOf('Beta', '2.1')}` },
    ]);
    // Field order as published: dockerImage replaced in place.
    expect(Object.keys(installed(plan, 'responders.json')[0] ?? {})).toEqual(Object.keys(entry('Gamma', '1.0')));
    expect(plan.files.get('responders.json')?.kind).toBe('responder');
    expect(plan.warnings).toEqual([]);
  });

  it('are the published bytes themselves without pinning or prefix', () => {
    const verified = verifiedCatalogs({ 'analyzers.json': analyzers });
    expect(
      planInstall(verified, { pin: false })
        .files.get('analyzers.json')
        ?.bytes.equals(verified.catalogs.get('analyzers.json') ?? Buffer.alloc(0)),
    ).toBe(true);
  });

  it('point at the mirror of --registry-prefix, pinned to the same digest', () => {
    const plan = planInstall(
      verifiedCatalogs(
        { 'analyzers.json': [entry('Alpha', '1.0'), entry('Hub', '1.0', 'cortexneurons/hub:1')] },
        { prefix: 'mirror.example:5000' },
      ),
      { pin: true },
    );
    expect(installed(plan, 'analyzers.json').map((item) => item['dockerImage'])).toEqual([
      `mirror.example:5000/ns/alpha:1@${digestOf('Alpha', '1.0')}`,
      `mirror.example:5000/cortexneurons/hub:1@${digestOf('Hub', '1.0')}`,
    ]);
    const unpinned = planInstall(
      verifiedCatalogs({ 'analyzers.json': [entry('Alpha', '1.0')] }, { prefix: 'mirror.example:5000' }),
      { pin: false },
    );
    expect(installed(unpinned, 'analyzers.json')[0]?.['dockerImage']).toBe('mirror.example:5000/ns/alpha:1');
    // The pinned reference is one Docker parses back to the same repository, tag and digest.
    expect(parseImageReference(String(installed(plan, 'analyzers.json')[0]?.['dockerImage']))).toEqual({
      host: 'mirror.example:5000',
      repository: 'ns/alpha',
      tag: '1',
      digest: digestOf('Alpha', '1.0'),
    });
  });

  it('leave out the entries the update did not apply (a command, a duplicate)', () => {
    const verified = verifiedCatalogs({ 'analyzers.json': [entry('Alpha', '1.0')] });
    verified.catalogs.set(
      'analyzers.json',
      serializeJson([entry('Alpha', '1.0'), { ...entry('Local', '1.0'), command: '/bin/sh' }, entry('Alpha', '9.0')]),
    );
    expect(installed(planInstall(verified, { pin: true }), 'analyzers.json').map((item) => item['version'])).toEqual([
      '1.0',
    ]);
  });

  it('refuse to install a verified entry without a digest, and install an unverified one by tag with a warning', () => {
    const catalogs = {
      'analyzers.json': [entry('Alpha', '1.0'), entry('Pinned', '1.0', `r.example/ns/pinned:1@${digestOf('x', '1')}`)],
    };
    expect(() => planInstall(verifiedCatalogs(catalogs, { digests: false }), { pin: true })).toThrow(
      expect.objectContaining({ code: 'UPDATE_PIN_NO_DIGEST', message: expect.stringContaining('Alpha_1_0') }),
    );
    const plan = planInstall(verifiedCatalogs(catalogs, { digests: false, verified: false }), { pin: true });
    expect(plan.warnings).toEqual([
      expect.objectContaining({
        code: 'UPDATE_PIN_NO_DIGEST',
        message: expect.stringMatching(/Alpha_1_0 .*installed by tag/),
      }),
    ]);
    expect(plan.warnings[0]?.message).not.toContain('Pinned');
    expect(installed(plan, 'analyzers.json').map((item) => item['dockerImage'])).toEqual([
      'registry.example:5000/ns/alpha:1',
      `r.example/ns/pinned:1@${digestOf('x', '1')}`,
    ]);
    expect(planInstall(verifiedCatalogs(catalogs, { digests: false }), { pin: false }).warnings).toEqual([]);
  });
});

describe('writing files atomically', () => {
  it('replaces them, keeps an existing mode, gives new ones 0644 whatever the umask, and leaves nothing beside them', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'neurons-atomic-'));
    await writeFile(path.join(directory, 'kept-mode.json'), 'old', { mode: 0o640 });
    const umask = process.umask(0o077);
    try {
      await replaceFilesAtomically(
        directory,
        new Map([
          ['kept-mode.json', Buffer.from('new')],
          ['fresh.json', Buffer.from('fresh')],
        ]),
        { mode: 0o644 },
      );
    } finally {
      process.umask(umask);
    }
    expect((await readdir(directory)).sort()).toEqual(['fresh.json', 'kept-mode.json']);
    expect(await readFile(path.join(directory, 'kept-mode.json'), 'utf8')).toBe('new');
    expect((await stat(path.join(directory, 'kept-mode.json'))).mode & 0o777).toBe(0o640);
    expect((await stat(path.join(directory, 'fresh.json'))).mode & 0o777).toBe(0o644);
  });

  it('leaves every file as it was, and no file written aside, when one cannot be written', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'neurons-atomic-'));
    await writeFile(path.join(directory, 'a.json'), 'before');
    // The second file's folder does not exist: its write fails after the first was written aside.
    await expect(
      replaceFilesAtomically(
        directory,
        new Map([
          ['a.json', Buffer.from('after')],
          ['missing/b.json', Buffer.from('x')],
        ]),
        { mode: 0o644 },
      ),
    ).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(directory)).toEqual(['a.json']);
    expect(await readFile(path.join(directory, 'a.json'), 'utf8')).toBe('before');
  });
});

describe('an update with --install', () => {
  const keys = generateSigningKeys();
  let server: CatalogServer;
  let directory: string;
  const publish = (files: Map<string, Buffer>): void => server.publish(files);
  /** What the engine side holds: each file's bytes, and the folder's listing (a file left aside would show). */
  const snapshot = async (folder: string): Promise<Record<string, string>> =>
    Object.fromEntries(
      await Promise.all(
        (await readdir(folder)).map(async (file) => [file, await readFile(path.join(folder, file), 'utf8')] as const),
      ),
    );
  const honest: ImagePuller = {
    async pull(image) {
      const { host, repository } = parseImageReference(image);
      const name = repository.split('/').pop() ?? '';
      const version = { alpha: '1.0', beta: '2.1', gamma: '1.0' }[name] ?? '';
      return [`${host}/${repository}@${digestOf(name[0]?.toUpperCase() + name.slice(1), version)}`];
    },
  };
  const update = (install: string, puller: ImagePuller | undefined) => {
    const source = resolveSource(server.url, '/');
    return runUpdate({
      source,
      fetcher: httpFetcher(source.base, buildTrustStore({ caFiles: [server.caFile], caPems: [], env: {} })),
      stateDirectory: path.join(directory, 'state'),
      publicKey: { pem: keys.publicKeyPem, file: 'neurons-index.pub' },
      registryPrefix: undefined,
      allowDowngrade: false,
      puller,
      now: new Date(),
      installer: new EngineInstaller({ directory: install, pin: true, rescan: true }),
    });
  };

  beforeAll(async () => {
    server = await startCatalogServer();
    directory = await mkdtemp(path.join(tmpdir(), 'neurons-install-'));
    publish(
      publication({
        analyzers: [entry('Alpha', '1.0'), entry('Beta', '2.1')],
        responders: [entry('Gamma', '1.0')],
        serial: 1,
        privateKeyPem: keys.privateKeyPem,
      }),
    );
  });
  afterAll(async () => server.close());

  it('installs only once every image is pulled with its signed digest; a failed pull leaves the folder as it was', async () => {
    const install = path.join(directory, 'pull-engine');
    const failing: ImagePuller = {
      pull: async (image) =>
        image.includes('beta') ? [`registry.example:5000/ns/beta@sha256:${'0'.repeat(64)}`] : honest.pull(image),
    };
    const mismatch = await update(install, failing);
    expect(mismatch.status).toBe('pull-failed');
    expect(mismatch.install).toBeUndefined();
    await expect(readdir(install)).rejects.toMatchObject({ code: 'ENOENT' });

    const applied = await update(install, honest);
    expect(applied.install).toMatchObject({ directory: install, pinned: true, rescan: ['analyzer', 'responder'] });
    const before = await snapshot(install);
    expect(Object.keys(before).sort()).toEqual(['analyzers.json', 'responders.json']);
    expect(before['analyzers.json']).toContain(`registry.example:5000/ns/alpha:1@${digestOf('Alpha', '1.0')}`);

    publish(
      publication({
        analyzers: [entry('Alpha', '1.1'), entry('Beta', '2.1')],
        responders: [entry('Gamma', '1.0')],
        serial: 2,
        privateKeyPem: keys.privateKeyPem,
      }),
    );
    const refused = await update(install, { pull: async () => Promise.reject(new Error('manifest unknown')) });
    expect(refused.status).toBe('pull-failed');
    expect(await snapshot(install)).toEqual(before);
  });

  it('fails with UPDATE_INSTALL_FAILED, the state kept, when DIR cannot be written', async () => {
    const state = (): Promise<string> => readFile(path.join(directory, 'state', 'state.json'), 'utf8');
    const before = await state();
    const notAFolder = path.join(directory, 'a-file');
    await writeFile(notAFolder, 'not a folder');
    await expect(update(notAFolder, undefined)).rejects.toMatchObject({ code: 'UPDATE_INSTALL_FAILED', exitCode: 1 });
    expect(await state()).toBe(before);
    expect(await readFile(notAFolder, 'utf8')).toBe('not a folder');
  });
});
