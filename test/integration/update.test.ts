import Docker from 'dockerode';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogIndex } from '../../src/catalog/index-file.js';
import { signatureObjectName } from '../../src/catalog/publication.js';
import { generateSigningKeys } from '../../src/catalog/signing.js';
import { hasRepoDigest } from '../../src/update/pull.js';
import type { UpdateReport } from '../../src/update/update.js';
import { copyFixture, runCli, uniqueNamespace } from '../helpers/environment.js';
import { startCatalogServer, type CatalogServer } from '../unit/update/catalog-server.js';

// The engine side of a publication: the fixture published and signed, served over HTTPS by a private CA, updated
// with the real Docker engine pulling from the real TLS registry with the Docker client's stored login.
describe('neurons update from a published, signed catalog', () => {
  let out: string;
  let work: string;
  let publicKeyFile: string;
  let server: CatalogServer;
  let index: CatalogIndex;
  const docker = new Docker();
  const update = (...extra: string[]) => runCli(['update', '--catalog', server.url, '--key', publicKeyFile, '--ca', server.caFile, '--state', path.join(work, 'state'), ...extra]);
  const serve = async (): Promise<void> => {
    server.files.clear();
    for (const file of await readdir(out)) if (!file.startsWith('.')) server.files.set(file, await readFile(path.join(out, file)));
  };

  beforeAll(async () => {
    const repo = await copyFixture();
    work = await mkdtemp(path.join(tmpdir(), 'neurons-update-it-'));
    out = path.join(work, 'published');
    const keys = generateSigningKeys();
    const keyFile = path.join(work, 'index.key');
    publicKeyFile = path.join(work, 'index.pub');
    await writeFile(keyFile, keys.privateKeyPem, { mode: 0o600 });
    await writeFile(publicKeyFile, keys.publicKeyPem);
    const published = await runCli(['pipeline', '--repo', repo, '--output', out, '--namespace', uniqueNamespace('update'), '--sign', keyFile, '--skip-tests']);
    expect(published.status, published.stdout + published.stderr).toBe(0);
    index = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as CatalogIndex;
    server = await startCatalogServer();
    await serve();
  });
  afterAll(async () => server.close());

  it('pulls every image of the catalogs and finds the signed digest on each', async () => {
    // The pipeline built the images on this engine: untag them, so that the update has to pull from the registry.
    const images = (await docker.listImages()).flatMap((image) => image.RepoTags ?? []).filter((tag) => tag.includes(`/${index.registry.split('/').pop() ?? ''}/`));
    expect(images.length).toBeGreaterThan(0);
    for (const tag of images) await docker.getImage(tag).remove();
    const run = await update('--pull', '--json');
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as UpdateReport;
    const entries = [...JSON.parse(await readFile(path.join(out, 'analyzers.json'), 'utf8')), ...JSON.parse(await readFile(path.join(out, 'responders.json'), 'utf8'))] as Array<{ dockerImage: string }>;
    expect(report).toMatchObject({ status: 'updated', verified: true, serial: 1, catalogs: ['analyzers.json', 'responders.json'], stateWritten: true });
    expect(report.counts.added).toBe(entries.length);
    expect(report.pulls.map((pull) => pull.image).sort()).toEqual([...new Set(entries.map((entry) => entry.dockerImage))].sort());
    for (const pull of report.pulls) {
      expect(pull, pull.image).toMatchObject({ status: 'pulled', digestMatches: true });
      const repository = pull.image.slice(0, pull.image.lastIndexOf(':'));
      const signed = index.flavors.find((flavor) => flavor.image === repository && pull.workers.includes(flavor.id));
      expect(signed?.digest).toMatch(/^sha256:/);
      const inspected = await docker.getImage(pull.image).inspect();
      expect(hasRepoDigest(pull.image, inspected.RepoDigests ?? [], signed?.digest ?? ''), pull.image).toBe(true);
    }
  });

  it('costs one request answered 304 the second time', async () => {
    const before = server.requests.length;
    const run = await update('--pull');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^up to date/);
    expect(server.requests.slice(before)).toEqual([{ path: 'index.json', status: 304 }]);
  });

  it('refuses a tampered index and keeps the state', async () => {
    const stateFile = path.join(work, 'state', 'state.json');
    const before = await readFile(stateFile, 'utf8');
    const tampered = Buffer.from(`${JSON.stringify({ ...index, expires: new Date(Date.now() + 3650 * 86_400_000).toISOString() }, null, 2)}\n`);
    // The genuine signature filed under the tampered index's name, as an attacker who can write the server would.
    server.files.set(signatureObjectName(tampered), server.files.get(signatureObjectName(server.files.get('index.json') ?? Buffer.alloc(0))) ?? Buffer.alloc(0));
    server.files.set('index.json', tampered);
    const run = await update('--pull');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('INDEX_SIGNATURE_INVALID');
    expect(await readFile(stateFile, 'utf8')).toBe(before);
  });
});
