import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';
import { readImageLabels } from '../../../src/registry/image-labels.js';
import { mediaTypes, startMemoryRegistry, storeImage, type MemoryRegistry } from './memory-registry.js';

const labels = {
  'io.neurons.worker-id': 'App_1_0',
  'io.neurons.worker-kind': 'analyzer',
  'org.opencontainers.image.version': '1.0',
};

describe('image labels read from the registry, without pulling', () => {
  let registry: MemoryRegistry;
  let client: RegistryClient;
  const read = async (reference: string) => {
    const found = await client.readManifest('ns/app', reference);
    if (!found) throw new Error(`no manifest ${reference}`);
    return { digest: found.digest, labels: await readImageLabels(client, 'ns/app', found.manifest) };
  };

  beforeAll(async () => {
    registry = await startMemoryRegistry();
    client = new RegistryClient({ host: registry.host, plainHttp: true });
  });
  afterAll(async () => {
    await client.close();
    await registry.close();
  });

  it('reads the configuration of a Docker v2 image and of an OCI image', async () => {
    const docker = storeImage(registry, 'ns/app', labels, ['docker']);
    storeImage(registry, 'ns/app', labels, ['oci'], { oci: true, platform: 'linux/arm64' });
    expect(await read('docker')).toEqual({
      digest: docker.digest,
      labels: { readable: true, platforms: [{ platform: 'linux/amd64', labels }] },
    });
    expect(await read('oci')).toMatchObject({
      labels: { readable: true, platforms: [{ platform: 'linux/arm64', labels }] },
    });
  });

  it('reads every platform of a manifest list and of an OCI index, each manifest by its digest', async () => {
    const amd64 = storeImage(registry, 'ns/app', labels, [], { platform: 'linux/amd64' });
    const arm64 = storeImage(registry, 'ns/app', { ...labels, 'io.neurons.worker-id': 'App_0_9' }, [], {
      platform: 'linux/arm64',
    });
    const list = registry.manifest(
      'ns/app',
      {
        schemaVersion: 2,
        mediaType: mediaTypes.dockerList,
        manifests: [
          { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
          { ...arm64, platform: { os: 'linux', architecture: 'arm64' } },
        ],
      },
      ['list'],
    );
    const found = await read('list');
    expect(found.digest).toBe(list.digest);
    expect(found.labels).toEqual({
      readable: true,
      platforms: [
        { platform: 'linux/amd64', labels },
        { platform: 'linux/arm64', labels: { ...labels, 'io.neurons.worker-id': 'App_0_9' } },
      ],
    });
    const attestation = registry.manifest(
      'ns/app',
      {
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        config: registry.blob('{}', 'application/vnd.in-toto+json'),
        layers: [],
      },
      [],
    );
    registry.manifest(
      'ns/app',
      {
        schemaVersion: 2,
        mediaType: mediaTypes.ociIndex,
        manifests: [
          { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
          { ...attestation, platform: { os: 'unknown', architecture: 'unknown' } },
        ],
      },
      ['index'],
    );
    expect((await read('index')).labels).toEqual({ readable: true, platforms: [{ platform: 'linux/amd64', labels }] });
  });

  it('gives a configuration without labels as no labels, and an artifact or schema 1 manifest as unreadable', async () => {
    storeImage(registry, 'ns/app', null, ['bare']);
    expect((await read('bare')).labels).toEqual({
      readable: true,
      platforms: [{ platform: 'linux/amd64', labels: {} }],
    });
    registry.manifest(
      'ns/app',
      {
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        config: registry.blob('{}', 'application/vnd.neurons.catalog.v1+json'),
        layers: [],
      },
      ['artifact'],
    );
    expect((await read('artifact')).labels).toEqual({
      readable: false,
      reason: 'not a container image (its configuration is application/vnd.neurons.catalog.v1+json)',
    });
    registry.manifest('ns/app', { schemaVersion: 1, name: 'ns/app', tag: 'old', fsLayers: [] }, ['old']);
    expect((await read('old')).labels).toMatchObject({ readable: false, reason: expect.stringContaining('schema 1') });
    registry.manifest(
      'ns/app',
      {
        schemaVersion: 2,
        mediaType: mediaTypes.dockerList,
        manifests: [
          {
            mediaType: mediaTypes.dockerManifest,
            digest: `sha256:${'0'.repeat(64)}`,
            size: 2,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      },
      ['dangling'],
    );
    expect((await read('dangling')).labels).toMatchObject({
      readable: false,
      reason: expect.stringContaining('linux/amd64 manifest'),
    });
  });

  it('refuses a configuration blob or a manifest whose bytes do not match their digest', async () => {
    const config = registry.blob(
      JSON.stringify({ os: 'linux', architecture: 'amd64', config: { Labels: labels } }),
      mediaTypes.dockerConfig,
      JSON.stringify({
        os: 'linux',
        architecture: 'amd64',
        config: { Labels: { ...labels, 'io.neurons.worker-id': 'Evil_1_0' } },
      }),
    );
    registry.manifest('ns/app', { schemaVersion: 2, mediaType: mediaTypes.dockerManifest, config, layers: [] }, [
      'tampered',
    ]);
    await expect(read('tampered')).rejects.toMatchObject({
      code: 'REGISTRY_DIGEST_MISMATCH',
      message: expect.stringContaining(`/blobs/${config.digest}`),
    });
    registry.manifest(
      'ns/app',
      { schemaVersion: 2, mediaType: mediaTypes.dockerManifest, config, layers: [] },
      ['lying'],
      { digestHeader: `sha256:${'1'.repeat(64)}` },
    );
    await expect(client.readManifest('ns/app', 'lying')).rejects.toMatchObject({ code: 'REGISTRY_DIGEST_MISMATCH' });
    // Asked by digest, the bytes must hash to that digest, whatever the server states.
    const other = `sha256:${'2'.repeat(64)}`;
    registry.manifest('ns/app', { schemaVersion: 2, mediaType: mediaTypes.dockerManifest, config, layers: [] }, [
      other,
    ]);
    await expect(client.readManifest('ns/app', other)).rejects.toMatchObject({ code: 'REGISTRY_DIGEST_MISMATCH' });
  });
});
