import { describe, expect, it } from 'vitest';
import { digestOf, imageIndex, indexBytes, indexMediaType, pushIndex } from '../../../src/registry/artifact.js';
import { reconfigure, tagManifest } from '../../../src/registry/mutate.js';
import { mediaTypes, storeImage, useMemoryRegistry } from './memory-registry.js';

const recipe = { 'io.neurons.base-recipe': '0123456789abcdef' };

describe('multi-platform images written through the registry fixture.client', () => {
  const fixture = useMemoryRegistry();

  it('builds an OCI image index of one manifest per platform, the same bytes for the same descriptors', () => {
    const amd64 = { mediaType: mediaTypes.dockerManifest, digest: `sha256:${'a'.repeat(64)}`, size: 528 };
    const arm64 = { mediaType: mediaTypes.dockerManifest, digest: `sha256:${'b'.repeat(64)}`, size: 529 };
    const index = imageIndex([
      { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
      { ...arm64, annotations: { dropped: 'yes' }, platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    expect(index).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { ...amd64, platform: { architecture: 'amd64', os: 'linux' } },
        { ...arm64, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    });
    const again = imageIndex([
      { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
      { ...arm64, platform: { architecture: 'arm64', os: 'linux' } },
    ]);
    expect(digestOf(indexBytes(again))).toBe(digestOf(indexBytes(index)));
    expect(() =>
      imageIndex([
        { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
        { ...arm64, platform: { os: 'linux', architecture: 'amd64' } },
      ]),
    ).toThrow(/two manifests for linux\/amd64/);
  });

  it('pushes the index under a tag; each platform reads its own image through it', async () => {
    const amd64 = storeImage(fixture.registry, 'base/python', { ...recipe, arch: 'x86' }, ['3.11-amd64'], {
      platform: 'linux/amd64',
    });
    const arm64 = storeImage(fixture.registry, 'base/python', { ...recipe, arch: 'arm' }, ['3.11-arm64'], {
      platform: 'linux/arm64',
    });
    const index = imageIndex([
      { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
      { ...arm64, platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    const digest = await pushIndex(fixture.client, 'base/python', '3.11', index);
    expect(await fixture.client.headManifest('base/python', '3.11')).toEqual({
      digest,
      mediaType: indexMediaType,
      size: indexBytes(index).length,
    });
    const read = await fixture.client.readManifest('base/python', '3.11');
    expect(read?.manifest).toMatchObject({
      kind: 'index',
      manifests: [
        { digest: amd64.digest, platform: { architecture: 'amd64' } },
        { digest: arm64.digest, platform: { architecture: 'arm64' } },
      ],
    });
    // The amd64 image by default (what `ensureBaseImage`'s check and the pipeline read), the arm64 one when asked.
    expect((await fixture.client.getImageConfig('base/python', '3.11'))?.config.config?.Labels?.['arch']).toBe('x86');
    expect(
      (await fixture.client.getImageConfig('base/python', '3.11', { os: 'linux', architecture: 'arm64' }))?.config,
    ).toMatchObject({ architecture: 'arm64', config: { Labels: { arch: 'arm' } } });
  });

  it('changes an image configuration in place: labels and architecture, the same layers, a new tag', async () => {
    const imported = storeImage(fixture.registry, 'base/node', recipe, ['18'], { platform: 'linux/amd64' });
    const changed = await reconfigure(fixture.client, 'base/node', imported.digest, '18-arm64', {
      labels: { 'io.neurons.python-version': '3.11' },
      architecture: 'arm64',
    });
    expect(changed.mediaType).toBe(mediaTypes.dockerManifest);
    const config = await fixture.client.getImageConfig('base/node', '18-arm64');
    expect(config).toMatchObject({
      digest: changed.digest,
      config: {
        architecture: 'arm64',
        os: 'linux',
        config: { Labels: { ...recipe, 'io.neurons.python-version': '3.11' } },
      },
    });
    const before = await fixture.client.readManifest('base/node', '18');
    const after = await fixture.client.readManifest('base/node', '18-arm64');
    expect(after?.manifest.kind === 'image' && after.manifest.layers).toEqual(
      before?.manifest.kind === 'image' && before.manifest.layers,
    );
    // Another tag for the same manifest keeps its digest.
    expect((await tagManifest(fixture.client, 'base/node', imported.digest, '18-amd64')).digest).toBe(imported.digest);
    expect((await fixture.client.headManifest('base/node', '18-amd64'))?.digest).toBe(imported.digest);
  });
});
