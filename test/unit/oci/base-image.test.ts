import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NeuronsError } from '../../../src/errors/neurons-error.js';
import { resolveBaseImage } from '../../../src/oci/base-image.js';
import { parsePlatform } from '../../../src/oci/platform.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { startOciRegistry, type OciRegistry } from '../../helpers/oci-registry.js';

const docker = {
  list: 'application/vnd.docker.distribution.manifest.list.v2+json',
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
};
const sha = (char: string): string => `sha256:${char.repeat(64)}`;

/** One platform's image of a base: a config naming the platform and one layer, in `repository`. */
function seedPlatformImage(registry: OciRegistry, repository: string, platform: string, tags: string[] = []) {
  const { os, architecture, variant } = parsePlatform(platform);
  const config = registry.seedBlob(
    repository,
    JSON.stringify({
      architecture,
      os,
      ...(variant ? { variant } : {}),
      config: { Env: [`PLATFORM=${platform}`] },
      rootfs: { type: 'layers', diff_ids: [sha('1')] },
    }),
    docker.config,
  );
  const layer = registry.seedBlob(repository, `layer of ${platform}`, docker.layer);
  return {
    manifest: registry.seedManifest(
      repository,
      { schemaVersion: 2, mediaType: docker.manifest, config, layers: [layer] },
      tags,
    ),
    layer,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  };
}

async function failure(promise: Promise<unknown>): Promise<NeuronsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof NeuronsError) return error;
    throw error;
  }
  throw new Error('expected a NeuronsError');
}

describe('resolving a base image', () => {
  let registry: OciRegistry;
  let client: RegistryClient;
  let listDigest = '';
  beforeAll(async () => {
    registry = await startOciRegistry();
    client = new RegistryClient({ host: registry.host, plainHttp: true });
    const amd = seedPlatformImage(registry, 'base/python', 'linux/amd64');
    const arm = seedPlatformImage(registry, 'base/python', 'linux/arm64/v8');
    // BuildKit's attestation manifest: listed under unknown/unknown, never a platform to build on.
    const attestation = seedPlatformImage(registry, 'base/python', 'unknown/unknown');
    listDigest = registry.seedManifest(
      'base/python',
      {
        schemaVersion: 2,
        mediaType: docker.list,
        manifests: [amd, arm, attestation].map(({ manifest, platform }) => ({ ...manifest, platform })),
      },
      ['3.11'],
    ).digest;
    seedPlatformImage(registry, 'base/single', 'linux/amd64', ['latest']);
    const broken = registry.seedBlob(
      'base/broken',
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [sha('1'), sha('2')] },
      }),
      docker.config,
    );
    registry.seedManifest(
      'base/broken',
      {
        schemaVersion: 2,
        mediaType: docker.manifest,
        config: broken,
        layers: [registry.seedBlob('base/broken', 'one layer', docker.layer)],
      },
      ['latest'],
    );
  });
  afterAll(async () => {
    await client.close();
    await registry.close();
  });

  it('picks each platform asked for from a manifest list, in the order asked, arm64 standing for arm64/v8', async () => {
    const resolved = await resolveBaseImage(client, 'base/python', '3.11', [
      parsePlatform('linux/arm64'),
      parsePlatform('linux/amd64'),
    ]);
    expect(resolved.repository).toBe('base/python');
    expect(resolved.digest).toBe(listDigest);
    expect(resolved.images.map((image) => image.config.config?.Env)).toEqual([
      ['PLATFORM=linux/arm64/v8'],
      ['PLATFORM=linux/amd64'],
    ]);
    expect(resolved.images.map((image) => image.platform)).toEqual([
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
      { os: 'linux', architecture: 'amd64' },
    ]);
    for (const image of resolved.images) {
      expect(image.manifestMediaType).toBe(docker.manifest);
      expect(image.layers).toHaveLength(1);
      expect(image.layers[0]?.mediaType).toBe(docker.layer);
      expect(registry.manifest('base/python', image.manifestDigest)).toBeDefined();
    }
    // By digest, the same.
    expect(
      (await resolveBaseImage(client, 'base/python', listDigest, [parsePlatform('linux/amd64')])).images[0]?.config
        .config?.Env,
    ).toEqual(['PLATFORM=linux/amd64']);
  });

  it('refuses a platform the base lacks, naming the platforms it offers (not the attestations)', async () => {
    const error = await failure(
      resolveBaseImage(
        client,
        'base/python',
        '3.11',
        [parsePlatform('linux/amd64'), parsePlatform('linux/arm/v7'), parsePlatform('linux/s390x')],
        'workers/Hello/neurons.yaml',
      ),
    );
    expect(error.problem).toMatchObject({ code: 'BASE_PLATFORM_MISSING', file: 'workers/Hello/neurons.yaml' });
    expect(error.message).toContain('linux/arm/v7, linux/s390x');
    expect(error.message).toContain('it offers: linux/amd64, linux/arm64/v8');
    expect(error.message).not.toContain('unknown');
    expect(error.problem.hint).toBeTruthy();
  });

  it('takes a single manifest for the one platform its configuration names', async () => {
    const resolved = await resolveBaseImage(client, 'base/single', 'latest', [parsePlatform('linux/amd64')]);
    expect(resolved.images[0]?.manifestDigest).toBe(resolved.digest);
    expect(resolved.images[0]?.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    const error = await failure(resolveBaseImage(client, 'base/single', 'latest', [parsePlatform('linux/arm64')]));
    expect(error.code).toBe('BASE_PLATFORM_MISSING');
    expect(error.message).toContain('it offers: linux/amd64');
  });

  it('refuses a missing base, and a base whose layers and diff_ids disagree', async () => {
    expect((await failure(resolveBaseImage(client, 'base/python', 'nope', [parsePlatform('linux/amd64')]))).code).toBe(
      'BASE_IMAGE_MISSING',
    );
    expect(
      (await failure(resolveBaseImage(client, 'base/broken', 'latest', [parsePlatform('linux/amd64')]))).code,
    ).toBe('BASE_IMAGE_UNSUPPORTED');
  });
});
