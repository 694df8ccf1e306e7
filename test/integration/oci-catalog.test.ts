import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys } from '../../src/catalog/signing.js';
import type { ResolvedRegistry } from '../../src/config/load-config.js';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { RegistryClient } from '../../src/registry/client.js';
import { ociArtifactTarget, catalogArtifactType } from '../../src/publish/oci-artifact-target.js';
import { pushManifest, readArtifactManifest, titleAnnotation } from '../../src/registry/artifact.js';
import { environmentState, fixture, runCli, uniqueNamespace } from '../helpers/environment.js';
import { publicationFiles } from '../../src/publish/publication.js';
import { samplePublication } from '../unit/catalog/publication-fixture.js';

// The catalog files as an OCI artifact in the environment's real registries: the primary (token authentication)
// and the mirror (htpasswd), over TLS with the private CA.
describe('catalogs published as an OCI artifact', () => {
  let state: EnvironmentState;
  let registries: ResolvedRegistry[];
  beforeAll(async () => {
    state = await environmentState();
    const ca = [await readFile(state.caFile, 'utf8')];
    const credentials = { username: state.registry.username, password: state.registry.password };
    registries = [state.registry.host, state.mirror.host].map((host) => ({
      host,
      namespace: 'unused',
      credentials,
      ca,
      plainHttp: false,
      insecure: false,
    }));
  });

  for (const which of ['registry', 'mirror'] as const) {
    it(`writes every file as a titled layer under one tag, and reads them back (${which})`, async () => {
      const host = which === 'registry' ? state.registry.host : state.mirror.host;
      const reference = `oci://${host}/${uniqueNamespace('oci')}/catalog:devel`;
      const writer = ociArtifactTarget(reference, { registries, caPems: [] });
      expect(await writer.read('analyzers.json')).toBeUndefined();
      const publication = samplePublication(1);
      await writer.publish(publication);
      await writer.close();
      const reader = ociArtifactTarget(reference, { registries, caPems: [] });
      for (const [file, bytes] of publicationFiles(publication))
        expect((await reader.read(file))?.equals(bytes)).toBe(true);
      expect(await reader.read('responders.json')).toBeUndefined();
      await reader.close();
      const [repository = '', tag = ''] = reference.slice(`oci://${host}/`.length).split(':');
      const reading = await registryClientFor(host);
      const published = await readArtifactManifest(reading, repository, tag);
      await reading.close();
      expect(published?.manifest.artifactType).toBe(catalogArtifactType);
      const mediaTypes: Record<string, string> = { html: 'text/html', json: 'application/json', sig: 'text/plain' };
      expect(
        published?.manifest.layers.map((layer) => [layer.annotations?.[titleAnnotation], layer.mediaType]),
      ).toEqual(
        [...publicationFiles(publication).keys()]
          .sort()
          .map((file) => [file, mediaTypes[file.slice(file.lastIndexOf('.') + 1)]]),
      );
    });
  }

  async function registryClientFor(host: string): Promise<RegistryClient> {
    return new RegistryClient({
      host,
      ca: [await readFile(state.caFile, 'utf8')],
      credentials: { username: state.registry.username, password: state.registry.password },
    });
  }

  it('switches the whole publication at once: nothing of the one before stays, an old signature least of all', async () => {
    const reference = `oci://${state.registry.host}/${uniqueNamespace('oci')}/catalog:main`;
    const first = ociArtifactTarget(reference, { registries, caPems: [] });
    await first.read('index.json');
    const signed = samplePublication(1);
    await first.publish(signed);
    await first.close();
    const second = ociArtifactTarget(reference, { registries, caPems: [] });
    await second.read('index.json');
    const unsigned = samplePublication(2, { signed: false });
    await second.publish(unsigned);
    await second.close();
    const reader = ociArtifactTarget(reference, { registries, caPems: [] });
    for (const [file, bytes] of publicationFiles(unsigned)) expect((await reader.read(file))?.equals(bytes)).toBe(true);
    for (const file of signed.objects.keys())
      if (!unsigned.objects.has(file)) expect(await reader.read(file)).toBeUndefined();
    await reader.close();
  });

  it('refuses to overwrite what another publisher wrote since it was read, and leaves it in place', async () => {
    const reference = `oci://${state.registry.host}/${uniqueNamespace('oci')}/catalog:main`;
    const first = ociArtifactTarget(reference, { registries, caPems: [] });
    const second = ociArtifactTarget(reference, { registries, caPems: [] });
    expect(await first.read('index.json')).toBeUndefined();
    expect(await second.read('index.json')).toBeUndefined();
    const won = samplePublication(1, { by: 'first' });
    await first.publish(won);
    await expect(second.publish(samplePublication(1, { by: 'second' }))).rejects.toMatchObject({
      code: 'CATALOG_PUBLISH_CONFLICT',
    });
    const reader = ociArtifactTarget(reference, { registries, caPems: [] });
    expect((await reader.read('index.json'))?.equals(won.index)).toBe(true);
    await Promise.all([first, second, reader].map((target) => target.close()));
  });

  it('says so, without the password, when the registry refuses the credentials', async () => {
    const reference = `oci://${state.registry.host}/${uniqueNamespace('oci')}/catalog:main`;
    const wrong = registries.map((registry) => ({
      ...registry,
      credentials: { username: state.registry.username, password: 'not-the-password' },
    }));
    const target = ociArtifactTarget(reference, { registries: wrong, caPems: [] });
    const error = await target.publish(samplePublication(1)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'REGISTRY_AUTH' });
    expect(JSON.stringify(error) + String((error as Error).message)).not.toContain('not-the-password');
    await target.close();
  });

  it('is a --publish target of neurons catalog: the artifact holds what the folder holds', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'neurons-oci-out-'));
    const namespace = uniqueNamespace('oci');
    const reference = `oci://${state.registry.host}/${namespace}/catalog:stable`;
    const result = await runCli([
      'catalog',
      '--repo',
      fixture,
      '--out',
      out,
      '--no-verify',
      '--definitions-only',
      '--publish',
      reference,
      '--json',
    ]);
    // Nothing names a registry: the local environment stands in, and that is the one line on stderr.
    expect(result.stderr).toMatch(
      new RegExp(
        `^neurons: no registry configured: using the local environment \\(${state.registry.host.replaceAll('.', '\\.')}, from \\S+/state\\.json\\)\n$`,
      ),
    );
    expect(result.status).toBe(0);
    expect((JSON.parse(result.stdout) as { targets: string[] }).targets).toContain(reference);
    const reader = ociArtifactTarget(reference, { registries, caPems: [] });
    for (const file of [
      'analyzers.json',
      'analyzers-stable.json',
      'responders.json',
      'responders-stable.json',
      'index.json',
      'catalog.html',
    ]) {
      expect((await reader.read(file))?.equals(await readFile(path.join(out, file)))).toBe(true);
    }
    await reader.close();
  });

  it('is a source of neurons update: signed catalogs read from the registry, one request when unchanged', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'neurons-oci-update-'));
    const keys = generateSigningKeys();
    await writeFile(path.join(work, 'index.key'), keys.privateKeyPem, { mode: 0o600 });
    await writeFile(path.join(work, 'index.pub'), keys.publicKeyPem);
    // The engine's Docker client configuration holds the registry credentials, as after `docker login`.
    const dockerConfig = path.join(work, 'docker');
    await mkdir(dockerConfig);
    const auth = Buffer.from(`${state.registry.username}:${state.registry.password}`).toString('base64');
    await writeFile(
      path.join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [state.registry.host]: { auth } } }),
    );
    const reference = `oci://${state.registry.host}/${uniqueNamespace('oci')}/catalog:stable`;
    const published = await runCli([
      'catalog',
      '--repo',
      fixture,
      '--out',
      path.join(work, 'out'),
      '--no-verify',
      '--definitions-only',
      '--sign',
      path.join(work, 'index.key'),
      '--publish',
      reference,
    ]);
    expect(published.status, published.stderr).toBe(0);
    const update = (env: NodeJS.ProcessEnv) =>
      runCli(
        [
          'update',
          '--catalog',
          reference,
          '--key',
          path.join(work, 'index.pub'),
          '--ca',
          state.caFile,
          '--state',
          path.join(work, 'state'),
          '--json',
        ],
        env,
      );
    const refused = await update({ DOCKER_CONFIG: path.join(work, 'nowhere') });
    expect(refused.status).toBe(3);
    expect(refused.stdout + refused.stderr).toContain('REGISTRY_AUTH');
    const first = await update({ DOCKER_CONFIG: dockerConfig });
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as {
      status: string;
      verified: boolean;
      catalogs: string[];
      counts: { added: number };
      requests: number;
    };
    const entries = [
      ...JSON.parse(await readFile(path.join(work, 'out', 'analyzers.json'), 'utf8')),
      ...JSON.parse(await readFile(path.join(work, 'out', 'responders.json'), 'utf8')),
    ] as unknown[];
    expect(report).toMatchObject({
      status: 'updated',
      verified: true,
      catalogs: ['analyzers.json', 'responders.json'],
    });
    expect(report.counts.added).toBe(entries.length);
    const second = await update({ DOCKER_CONFIG: dockerConfig });
    expect(second.status, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 'up-to-date', requests: 1 });
    expect(second.stdout + second.stderr).not.toContain(state.registry.password);
  });

  it("names the registry's own error when it refuses a manifest", async () => {
    const client = await registryClientFor(state.registry.host);
    const missing = { mediaType: 'application/json', digest: `sha256:${'0'.repeat(64)}`, size: 3 };
    const manifest = {
      schemaVersion: 2 as const,
      mediaType: 'application/vnd.oci.image.manifest.v1+json' as const,
      config: missing,
      layers: [missing],
    };
    await expect(pushManifest(client, `${uniqueNamespace('oci')}/catalog`, 'broken', manifest)).rejects.toMatchObject({
      code: 'REGISTRY_HTTP',
      message: expect.stringMatching(/answered 400 .*MANIFEST_BLOB_UNKNOWN/),
    });
    await client.close();
  });

  it('refuses a malformed reference with a usage error naming it', () => {
    for (const bad of [
      'oci://host/Upper/case:tag',
      'oci://host/repo',
      'oci://host/repo:',
      'oci:///repo:tag',
      'oci://host/repo:-tag',
    ]) {
      expect(() => ociArtifactTarget(bad, { registries, caPems: [] })).toThrow(
        expect.objectContaining({ code: 'CATALOG_PUBLISH_TARGET', message: expect.stringContaining(bad) }),
      );
    }
  });
});
