import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';
import { platformManifests } from '../../../src/registry/platform-manifests.js';
import { startOciRegistry, type OciRegistry } from '../../helpers/oci-registry.js';

const oci = {
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
};

describe('the platform manifests of a published digest', () => {
  let registry: OciRegistry;
  let client: RegistryClient;

  beforeAll(async () => {
    registry = await startOciRegistry();
    client = new RegistryClient({ host: registry.host, plainHttp: true });
  });

  afterAll(async () => {
    await client.close();
    await registry.close();
  });

  function image(
    repository: string,
    platform: { os: string; architecture: string; variant?: string },
    tags: string[] = [],
  ): { mediaType: string; digest: string; size: number } {
    const config = registry.seedBlob(
      repository,
      JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: [] } }),
      oci.config,
    );
    return registry.seedManifest(
      repository,
      {
        schemaVersion: 2,
        mediaType: oci.manifest,
        config,
        layers: [registry.seedBlob(repository, `layer ${platform.architecture}`, oci.layer)],
      },
      tags,
    );
  }

  it('lists the runnable entries of an index, attestations left out', async () => {
    const amd64 = image('ns/echo', { os: 'linux', architecture: 'amd64' });
    const arm = image('ns/echo', { os: 'linux', architecture: 'arm', variant: 'v7' });
    const attestation = image('ns/echo', { os: 'unknown', architecture: 'unknown' });
    const index = registry.seedManifest(
      'ns/echo',
      {
        schemaVersion: 2,
        mediaType: oci.index,
        manifests: [
          { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
          { ...arm, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
          {
            ...attestation,
            platform: { os: 'unknown', architecture: 'unknown' },
            annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
          },
        ],
      },
      ['1.0'],
    );
    expect(await platformManifests(client, 'ns/echo', index.digest)).toEqual([
      { platform: 'linux/amd64', digest: amd64.digest },
      { platform: 'linux/arm/v7', digest: arm.digest },
    ]);
  });

  it('gives a single image its own digest and the platform of its configuration', async () => {
    const single = image('ns/single', { os: 'linux', architecture: 'arm64' }, ['1.0']);
    expect(await platformManifests(client, 'ns/single', single.digest)).toEqual([
      { platform: 'linux/arm64', digest: single.digest },
    ]);
  });

  it('is empty for a digest the registry lacks', async () => {
    expect(await platformManifests(client, 'ns/none', `sha256:${'0'.repeat(64)}`)).toEqual([]);
  });
});
