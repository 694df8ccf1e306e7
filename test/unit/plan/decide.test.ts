import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flavor } from '../../../src/definitions/types.js';
import { buildComponentsLabel, buildInputLabel, type BuildInputs } from '../../../src/inputs/build-inputs.js';
import type { ImageTarget } from '../../../src/plan/build-plan.js';
import { decideFlavor, readTargetTags } from '../../../src/plan/decide.js';
import type { ResolvedRegistry } from '../../../src/registry/endpoint.js';
import { RegistryClientPool } from '../../../src/registry/client-pool.js';
import { mediaTypes, startMemoryRegistry, storeImage, type MemoryRegistry } from '../registry/memory-registry.js';

// Deciding from the registry: an assembled image's index records its build-input digest, so an unchanged flavor costs
// one manifest read of its exact tag and a HEAD per moving tag, no configuration; an image without that record is
// decided by its configuration's labels, as before.

const components = {
  template: 'python3',
  dockerfile: 'sha256:d',
  context: 'sha256:c',
  base: 'sha256:b',
  settings: 'sha256:s',
  definition: 'sha256:def',
  workerFiles: 'sha256:files',
  flavorDefinition: 'sha256:flavor',
};
const inputs: BuildInputs = { digest: 'sha256:inputs-1', components };
const flavor = { id: 'App_1_0', file: 'analyzers/App/App.json', definition: { name: 'App', version: '1.0' } } as Flavor;

describe('deciding a flavor from the registry', () => {
  let registry: MemoryRegistry;
  let clients: RegistryClientPool;
  let resolved: ResolvedRegistry;
  const target = (repository: string): ImageTarget => ({
    registry: resolved,
    repository: `${registry.host}/${repository}`,
    path: repository,
    tags: ['1.0', '1'],
  });
  /** An index of one image labelled with `labels`, its own annotations `annotations`, under `tags`. */
  const indexed = (repository: string, labels: Record<string, string>, annotations: Record<string, string>) => {
    const image = storeImage(registry, repository, labels, [], { oci: true });
    return registry.manifest(
      repository,
      {
        schemaVersion: 2,
        mediaType: mediaTypes.ociIndex,
        manifests: [{ ...image, platform: { os: 'linux', architecture: 'amd64' } }],
        annotations,
      },
      ['1.0', '1'],
    );
  };
  const decide = (repository: string, digest = inputs.digest, force = false) =>
    decideFlavor(flavor, [target(repository)], { ...inputs, digest }, clients, { channel: 'stable', force });
  const labels = {
    [buildInputLabel]: inputs.digest,
    [buildComponentsLabel]: JSON.stringify(components),
    'org.opencontainers.image.version': '1.0',
  };

  beforeAll(async () => {
    registry = await startMemoryRegistry();
    resolved = {
      host: registry.host,
      namespace: 'ns',
      credentials: undefined,
      ca: [],
      plainHttp: true,
      insecure: false,
    };
    clients = new RegistryClientPool();
  });
  afterAll(async () => {
    await clients.close();
    await registry.close();
  });

  it('leaves an unchanged assembled image alone on its index alone, and says what it read', async () => {
    const index = indexed('ns/assembled', labels, { [buildInputLabel]: inputs.digest });
    registry.counts.manifests = 0;
    registry.counts.blobs = 0;
    const decision = await decide('ns/assembled');
    expect(decision).toMatchObject({ action: 'skip', reasons: [], pushes: [] });
    // GET of 1.0 and HEAD of 1; no platform manifest, no configuration.
    expect(registry.counts).toEqual({ manifests: 2, blobs: 0 });
    expect(decision.observed?.map((item) => [item.reference, item.digest])).toEqual([
      [`${registry.host}/ns/assembled:1.0`, index.digest],
      [`${registry.host}/ns/assembled:1`, index.digest],
    ]);
  });

  it('decides on tags read ahead of the build inputs without reading them again', async () => {
    const index = indexed('ns/ahead', labels, { [buildInputLabel]: inputs.digest });
    registry.counts.manifests = 0;
    const ahead = await readTargetTags(clients.for(resolved), target('ns/ahead'));
    expect(registry.counts.manifests).toBe(2);
    const decision = await decideFlavor(flavor, [target('ns/ahead')], inputs, clients, {
      channel: 'stable',
      force: false,
      tags: () => Promise.resolve(ahead),
    });
    expect(decision).toMatchObject({ action: 'skip', reasons: [] });
    expect(decision.observed?.map((item) => item.digest)).toEqual([index.digest, index.digest]);
    expect(registry.counts.manifests).toBe(2);
  });

  it('reads the configuration when the index records nothing, or other inputs', async () => {
    indexed('ns/unrecorded', labels, {});
    registry.counts.manifests = 0;
    registry.counts.blobs = 0;
    expect(await decide('ns/unrecorded')).toMatchObject({ action: 'skip', reasons: [] });
    expect(registry.counts).toEqual({ manifests: 3, blobs: 1 });

    // The index records other inputs (a new base image, say): the labels say why, and the image is rebuilt.
    indexed(
      'ns/refreshed',
      {
        ...labels,
        [buildInputLabel]: 'sha256:inputs-0',
        [buildComponentsLabel]: JSON.stringify({ ...components, base: 'sha256:old' }),
      },
      {
        [buildInputLabel]: 'sha256:inputs-0',
      },
    );
    const refreshed = await decide('ns/refreshed');
    expect(refreshed.action).toBe('build');
    expect(refreshed.reasons).toEqual(['base-image']);
    expect(refreshed.pushes[0]?.tags).toEqual(['1.0', '1']);
  });

  it('does not take the record as a decision when forced', async () => {
    indexed('ns/forced', labels, { [buildInputLabel]: inputs.digest });
    const forced = await decide('ns/forced', inputs.digest, true);
    expect(forced).toMatchObject({ action: 'build', reasons: ['forced'] });
  });

  it('refuses other content under a published version, whatever the index records', async () => {
    indexed(
      'ns/changed',
      {
        ...labels,
        [buildInputLabel]: 'sha256:inputs-0',
        [buildComponentsLabel]: JSON.stringify({ ...components, workerFiles: 'sha256:other' }),
      },
      { [buildInputLabel]: 'sha256:inputs-0' },
    );
    const refused = await decide('ns/changed');
    expect(refused).toMatchObject({ action: 'refuse', reasons: ['files'], problem: { code: 'TAG_IMMUTABLE' } });
  });
});
