import Docker from 'dockerode';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueServerCertificate } from '../../src/ca/certificates.js';
import type { CatalogIndex } from '../../src/catalog/index-file.js';
import { signatureObjectName } from '../../src/publish/publication.js';
import { generateSigningKeys } from '../../src/catalog/signing.js';
import type { UpdateCommandReport } from '../../src/cli/commands/update.js';
import { parseImageReference } from '../../src/images/reference.js';
import { hasRepoDigest } from '../../src/update/pull.js';
import { environmentState, registryClient, copyFixture, runCli, uniqueNamespace } from '../helpers/environment.js';
import { startCatalogServer, storedName, type CatalogServer } from '../unit/update/catalog-server.js';
import { startCortexServer, type CortexServer } from '../unit/update/cortex-server.js';

type Entry = Record<string, unknown> & { dockerImage: string };
const cortexKey = 'integration-cortex-api-key-42';

// The engine side of a publication: the fixture published and signed, served over HTTPS by the environment's private
// CA, updated with the real Docker engine pulling from the real TLS registry with the Docker client's stored login,
// installed for Cortex, whose API (a stand-in: Cortex cannot run here) is asked over TLS to rescan.
describe('neurons update from a published, signed catalog', () => {
  let repo: string;
  let namespace: string;
  let keyFile: string;
  let out: string;
  let work: string;
  let engine: string;
  let publicKeyFile: string;
  let server: CatalogServer;
  let cortex: CortexServer;
  let index: CatalogIndex;
  const docker = new Docker();
  const update = (...extra: string[]) =>
    runCli(
      [
        'update',
        '--catalog',
        server.url,
        '--key',
        publicKeyFile,
        '--ca',
        server.caFile,
        '--state',
        path.join(work, 'state'),
        '--install',
        engine,
        '--cortex-url',
        cortex.url,
        ...extra,
      ],
      { NEURONS_CORTEX_API_KEY: cortexKey },
    );
  const catalogOf = async (folder: string, file: string): Promise<Entry[]> =>
    JSON.parse(await readFile(path.join(folder, file), 'utf8')) as Entry[];
  /** The engine's folder: each file and its bytes (a file changed, or left aside, shows). */
  const installed = async (): Promise<Record<string, string>> =>
    Object.fromEntries(
      await Promise.all(
        (await readdir(engine)).map(async (file) => [file, await readFile(path.join(engine, file), 'utf8')] as const),
      ),
    );
  const serve = async (): Promise<void> => {
    server.files.clear();
    for (const file of await readdir(out))
      if (!file.startsWith('.')) server.files.set(file, await readFile(path.join(out, file)));
  };

  beforeAll(async () => {
    repo = await copyFixture();
    namespace = uniqueNamespace('update');
    work = await mkdtemp(path.join(tmpdir(), 'neurons-update-it-'));
    out = path.join(work, 'published');
    engine = path.join(work, 'cortex', 'catalogs');
    const keys = generateSigningKeys();
    keyFile = path.join(work, 'index.key');
    publicKeyFile = path.join(work, 'index.pub');
    await writeFile(keyFile, keys.privateKeyPem, { mode: 0o600 });
    await writeFile(publicKeyFile, keys.publicKeyPem);
    const published = await runCli([
      'pipeline',
      '--repo',
      repo,
      '--output',
      out,
      '--namespace',
      namespace,
      '--sign',
      keyFile,
      '--skip-tests',
    ]);
    expect(published.status, published.stdout + published.stderr).toBe(0);
    index = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as CatalogIndex;
    // One private CA for the catalog server and Cortex, as an organisation would have: the environment's.
    const caDirectory = path.dirname((await environmentState()).caFile);
    const ca = {
      certificatePem: await readFile(path.join(caDirectory, 'ca.crt'), 'utf8'),
      keyPem: await readFile(path.join(caDirectory, 'ca.key'), 'utf8'),
    };
    server = await startCatalogServer({ ca });
    const leaf = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
    cortex = await startCortexServer({ apiKey: cortexKey, tls: { cert: leaf.certificatePem, key: leaf.keyPem } });
    await serve();
  });
  afterAll(async () => {
    await server?.close();
    await cortex?.close();
  });

  it('pulls every image of the catalogs, finds the signed digest on each, installs the catalogs pinned, and has Cortex rescan', async () => {
    // The pipeline built the images on this engine: untag them, so that the update has to pull from the registry.
    const images = (await docker.listImages())
      .flatMap((image) => image.RepoTags ?? [])
      .filter((tag) => tag.includes(`/${index.registry.split('/').pop() ?? ''}/`));
    expect(images.length).toBeGreaterThan(0);
    for (const tag of images) await docker.getImage(tag).remove();
    const run = await update('--pull', '--json');
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(cortexKey);
    const report = JSON.parse(run.stdout) as UpdateCommandReport;
    const entries = [
      ...JSON.parse(await readFile(path.join(out, 'analyzers.json'), 'utf8')),
      ...JSON.parse(await readFile(path.join(out, 'responders.json'), 'utf8')),
    ] as Array<{ dockerImage: string }>;
    expect(report).toMatchObject({
      status: 'updated',
      verified: true,
      serial: 1,
      catalogs: ['analyzers.json', 'responders.json'],
      stateWritten: true,
    });
    expect(report.counts.added).toBe(entries.length);
    expect(report.pulls.map((pull) => pull.image).sort()).toEqual(
      [...new Set(entries.map((entry) => entry.dockerImage))].sort(),
    );
    for (const pull of report.pulls) {
      expect(pull, pull.image).toMatchObject({ status: 'pulled', digestMatches: true });
      const repository = pull.image.slice(0, pull.image.lastIndexOf(':'));
      const signed = index.flavors.find((flavor) => flavor.image === repository && pull.workers.includes(flavor.id));
      expect(signed?.digest).toMatch(/^sha256:/);
      const inspected = await docker.getImage(pull.image).inspect();
      expect(hasRepoDigest(pull.image, inspected.RepoDigests ?? [], signed?.digest ?? ''), pull.image).toBe(true);
    }

    // Installed: the published entries, each image pinned to the digest the registry itself gives for its tag.
    expect(report.install?.files.map((file) => [file.file, file.changed])).toEqual([
      ['analyzers.json', true],
      ['responders.json', true],
    ]);
    const registry = registryClient(await environmentState());
    try {
      for (const file of ['analyzers.json', 'responders.json']) {
        const published = await catalogOf(out, file);
        const engineSide = await catalogOf(engine, file);
        expect(engineSide).toHaveLength(published.length);
        for (const [position, entry] of published.entries()) {
          const { host, repository, tag } = parseImageReference(entry.dockerImage);
          const digest = (await registry.headManifest(repository, tag ?? ''))?.digest;
          expect(digest, entry.dockerImage).toMatch(/^sha256:[0-9a-f]{64}$/);
          expect(engineSide[position]).toEqual({ ...entry, dockerImage: `${entry.dockerImage}@${digest}` });
          const pulledByTag = await docker.getImage(entry.dockerImage).inspect();
          expect(pulledByTag.RepoDigests, entry.dockerImage).toContain(`${host}/${repository}@${digest}`);
        }
      }
    } finally {
      await registry.close();
    }
    // The engine takes the pinned form as Cortex's Docker client sends it (fromImage=name:tag@digest, no tag).
    const state = await environmentState();
    const [first] = await catalogOf(engine, 'analyzers.json');
    const pinned = first?.dockerImage ?? '';
    const stream = (await docker.createImage(
      { username: state.registry.username, password: state.registry.password, serveraddress: state.registry.host },
      { fromImage: pinned },
    )) as NodeJS.ReadableStream;
    const events = await new Promise<Array<{ error?: string }>>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string }>) =>
        error ? reject(error) : resolve(output),
      ),
    );
    expect(events.filter((event) => event.error)).toEqual([]);
    expect((await docker.getImage(pinned).inspect()).Id).toBe(
      (await docker.getImage(pinned.split('@')[0] ?? '').inspect()).Id,
    );

    // Cortex was asked once per kind, with its key, over TLS from the private CA.
    expect(report.rescan).toEqual([
      { kind: 'analyzer', status: 'rescanned' },
      { kind: 'responder', status: 'rescanned' },
    ]);
    expect(cortex.requests).toEqual([
      { method: 'POST', path: '/api/analyzerdefinition/scan', authorization: `Bearer ${cortexKey}`, status: 204 },
      { method: 'POST', path: '/api/responderdefinition/scan', authorization: `Bearer ${cortexKey}`, status: 204 },
    ]);
  });

  it('costs one request answered 304 the second time', async () => {
    const before = server.requests.length;
    const run = await update('--pull');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^up to date/);
    expect(server.requests.slice(before)).toEqual([{ path: 'index.json', status: 304 }]);
    expect(cortex.requests).toHaveLength(2);
  });

  it('refuses a publication whose analyzers.json was changed after signing, and leaves the installed catalogs as they were', async () => {
    const republished = await runCli([
      'pipeline',
      '--repo',
      repo,
      '--output',
      out,
      '--namespace',
      namespace,
      '--sign',
      keyFile,
      '--skip-tests',
    ]);
    expect(republished.status, republished.stdout + republished.stderr).toBe(0);
    await serve();
    // The copy a verifying reader takes: the content-addressed one the index names.
    const stored = storedName(server.files, 'analyzers.json');
    const tampered = Buffer.from(server.files.get(stored) ?? Buffer.alloc(0));
    const at = tampered.indexOf('"description": "') + '"description": "'.length;
    tampered[at] = (tampered[at] ?? 0) ^ 0x20;
    server.files.set(stored, tampered);
    const before = await installed();
    const run = await update('--pull');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('CATALOG_HASH_MISMATCH');
    expect(await installed()).toEqual(before);
    expect(cortex.requests).toHaveLength(2);
  });

  it('refuses a tampered index and keeps the state', async () => {
    const stateFile = path.join(work, 'state', 'state.json');
    const before = await readFile(stateFile, 'utf8');
    const tampered = Buffer.from(
      `${JSON.stringify({ ...index, expires: new Date(Date.now() + 3650 * 86_400_000).toISOString() }, null, 2)}\n`,
    );
    // The genuine signature filed under the tampered index's name, as an attacker who can write the server would.
    server.files.set(
      signatureObjectName(tampered),
      server.files.get(signatureObjectName(server.files.get('index.json') ?? Buffer.alloc(0))) ?? Buffer.alloc(0),
    );
    server.files.set('index.json', tampered);
    const run = await update('--pull');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('INDEX_SIGNATURE_INVALID');
    expect(await readFile(stateFile, 'utf8')).toBe(before);
    expect(cortex.requests).toHaveLength(2);
  });
});
