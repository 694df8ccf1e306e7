import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBaseImage } from '../../../src/oci/base-image.js';
import { buildImageConfig, buildImageIndex, buildImageManifest } from '../../../src/oci/image.js';
import { buildLayer } from '../../../src/oci/layer.js';
import { parsePlatform } from '../../../src/oci/platform.js';
import { ensureBlob, hasManifest, putManifest } from '../../../src/oci/write.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { startOciRegistry, type OciRegistry } from '../../helpers/oci-registry.js';

const ociLayer = 'application/vnd.oci.image.layer.v1.tar+gzip';

// The whole assembly as the flavor builder will do it, in a registry that refuses a manifest naming anything the
// repository lacks: base layers mounted, the new layer uploaded once for all platforms, one manifest per platform,
// an index under the tag. Then the result, read back as a base, says what was built.
describe('assembling a multi-platform image from a base and a layer', () => {
  let registry: OciRegistry;
  let client: RegistryClient;
  beforeAll(async () => {
    registry = await startOciRegistry({ token: true });
    client = new RegistryClient({ host: registry.host, plainHttp: true, credentials: { username: 'u', password: 'p' } });
    const manifests = ['linux/amd64', 'linux/arm64'].map((name) => {
      const { os, architecture } = parsePlatform(name);
      const layer = registry.seedBlob('base/python', `rootfs ${name}`, ociLayer);
      const config = registry.seedBlob('base/python', JSON.stringify({ architecture, os, config: { Env: ['PATH=/usr/bin'], Cmd: ['python3'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`] } }), 'application/vnd.oci.image.config.v1+json');
      return { ...registry.seedManifest('base/python', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] }, []), platform: { os, architecture } };
    });
    registry.seedManifest('base/python', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }, ['3.11']);
  });
  afterAll(async () => {
    await client.close();
    await registry.close();
  });

  it('pushes every blob the way it can, and the index under the tag', async () => {
    const platforms = [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')];
    const base = await resolveBaseImage(client, 'base/python', '3.11', platforms);
    const layer = buildLayer([{ name: 'hello.txt', type: 'file', mode: 0o644, data: Buffer.from('hello\n') }]);
    const outcomes: string[] = [];
    const entries = [];
    for (const image of base.images) {
      const config = buildImageConfig({ base: image.config, diffIds: [layer.diffId], env: ['GREETING=hi'], entrypoint: ['cat', '/hello.txt'], labels: { a: 'b' }, created: '2026-01-01T00:00:00Z', history: ['COPY hello.txt /'] });
      for (const descriptor of image.layers) outcomes.push(await ensureBlob(client, 'team/hello', descriptor, { mountFrom: [base.repository] }));
      outcomes.push(await ensureBlob(client, 'team/hello', layer, { bytes: layer.bytes }));
      outcomes.push(await ensureBlob(client, 'team/hello', config.descriptor, { bytes: config.bytes }));
      const manifest = buildImageManifest(config.descriptor, [...image.layers, layer]);
      await putManifest(client, 'team/hello', manifest.descriptor.digest, manifest.bytes, manifest.descriptor.mediaType);
      entries.push({ descriptor: manifest.descriptor, platform: image.platform });
    }
    expect(outcomes).toEqual(['mounted', 'uploaded', 'uploaded', 'mounted', 'present', 'uploaded']);
    const index = buildImageIndex(entries);
    expect(await putManifest(client, 'team/hello', 'v1', index.bytes, index.descriptor.mediaType)).toBe(index.descriptor.digest);
    expect(await hasManifest(client, 'team/hello', 'v1')).toEqual({ digest: index.descriptor.digest, mediaType: 'application/vnd.oci.image.index.v1+json' });

    const built = await resolveBaseImage(client, 'team/hello', 'v1', [parsePlatform('linux/arm64')]);
    expect(built.digest).toBe(index.descriptor.digest);
    expect(built.images[0]?.config.rootfs.diff_ids).toEqual([`sha256:${'1'.repeat(64)}`, layer.diffId]);
    expect(built.images[0]?.config.config).toMatchObject({ Env: ['PATH=/usr/bin', 'GREETING=hi'], Entrypoint: ['cat', '/hello.txt'], Cmd: [] });
  });
});
