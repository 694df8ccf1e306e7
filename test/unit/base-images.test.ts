import { describe, expect, it } from 'vitest';
import { baseImageRecipes, ensureBaseImage, recipeFingerprint } from '../../src/environment/base-images.js';
import { mediaTypes, storeImage, useMemoryRegistry } from './registry/memory-registry.js';

const python = baseImageRecipes.find((recipe) => recipe.runtime === 'python');
if (!python) throw new Error('no python recipe');
const fingerprint = { 'io.neurons.base-recipe': recipeFingerprint(python) };

// The registry side of `ensureBaseImage`, when every platform's image is already pushed somewhere: nothing is built,
// so no Docker engine is needed (building is covered by the integration tests, through `neurons env up`).
describe('base images: upgrade from the single-platform layout', () => {
  const fixture = useMemoryRegistry();

  it('takes the amd64 image over from the recipe tag, fixes labels and architecture, and writes the index once', async () => {
    // As the previous `env up` left it: the amd64 image under the recipe's tag, without the python-version label; and an
    // arm64 image as Docker 20.10 pushes it, with its own architecture (amd64) in the configuration.
    const former = storeImage(fixture.registry, 'base/python', fingerprint, ['3.11-bookworm']);
    storeImage(fixture.registry, 'base/python', { ...fingerprint, 'io.neurons.python-version': '3.11' }, [
      '3.11-bookworm-arm64',
    ]);
    const log: string[] = [];
    expect(
      await ensureBaseImage(python, fixture.registry.host, fixture.client, undefined, (line) => log.push(line)),
    ).toEqual({ reference: `${fixture.registry.host}/base/python:3.11-bookworm`, platforms: ['amd64', 'arm64'] });
    expect(log.join('\n')).toMatch(/-amd64: configuration updated \(labels\)/);
    expect(log.join('\n')).toMatch(/-arm64: configuration updated \(architecture amd64 -> arm64\)/);
    expect(log.join('\n')).toMatch(/index of amd64, arm64 pushed/);

    const index = await fixture.client.readManifest('base/python', '3.11-bookworm');
    expect(index?.manifest).toMatchObject({ kind: 'index', mediaType: mediaTypes.ociIndex });
    for (const architecture of ['amd64', 'arm64']) {
      const image = await fixture.client.getImageConfig('base/python', '3.11-bookworm', { os: 'linux', architecture });
      expect(image?.config).toMatchObject({
        architecture,
        config: { Labels: { ...fingerprint, 'io.neurons.python-version': '3.11' } },
      });
    }
    // The amd64 image keeps its layers: only its configuration changed.
    const amd64 = await fixture.client.readManifest('base/python', '3.11-bookworm-amd64');
    const before = await fixture.client.readManifest('base/python', former.digest);
    expect(amd64?.manifest.kind === 'image' && amd64.manifest.layers).toEqual(
      before?.manifest.kind === 'image' && before.manifest.layers,
    );

    const again: string[] = [];
    const counts = { ...fixture.registry.counts };
    await ensureBaseImage(python, fixture.registry.host, fixture.client, undefined, (line) => again.push(line));
    expect(again).toEqual([
      `base image ${fixture.registry.host}/base/python:3.11-bookworm-amd64: present`,
      `base image ${fixture.registry.host}/base/python:3.11-bookworm-arm64: present`,
      `base image ${fixture.registry.host}/base/python:3.11-bookworm: index of amd64, arm64 present`,
    ]);
    expect((await fixture.client.readManifest('base/python', '3.11-bookworm'))?.digest).toBe(index?.digest);
    // A second run only reads: a few manifests and two configurations.
    expect(fixture.registry.counts.manifests - counts.manifests).toBeLessThan(12);
  });
});
