import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBaseImage } from '../../../src/oci/base-image.js';
import { parsePlatform } from '../../../src/oci/platform.js';
import { hasManifest } from '../../../src/oci/write.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { startOciRegistry, type OciRegistry } from '../../helpers/oci-registry.js';
import { assemble, baseDiffId, seedBase } from './assemble-fixture.js';

// The whole assembly in a registry that refuses a manifest naming anything the repository lacks; then the result,
// read back as a base, says what was built.
describe('assembling a multi-platform image from a base and a layer', () => {
  let registry: OciRegistry;
  let client: RegistryClient;
  beforeAll(async () => {
    registry = await startOciRegistry({ token: true });
    client = new RegistryClient({
      host: registry.host,
      plainHttp: true,
      credentials: { username: 'u', password: 'p' },
    });
    seedBase(registry);
  });
  afterAll(async () => {
    await client.close();
    await registry.close();
  });

  it('pushes every blob the way it can, and the index under the tag', async () => {
    const { outcomes, index, layer } = await assemble(client, 'team/hello', 'v1');
    expect(outcomes).toEqual(['mounted', 'uploaded', 'uploaded', 'mounted', 'present', 'uploaded']);
    expect(await hasManifest(client, 'team/hello', 'v1')).toEqual({
      digest: index.descriptor.digest,
      mediaType: 'application/vnd.oci.image.index.v1+json',
    });
    const built = await resolveBaseImage(client, 'team/hello', 'v1', [parsePlatform('linux/arm64')]);
    expect(built.digest).toBe(index.descriptor.digest);
    expect(built.images[0]?.config.rootfs.diff_ids).toEqual([baseDiffId, layer.diffId]);
    expect(built.images[0]?.config.config).toMatchObject({
      Env: ['PATH=/usr/bin', 'GREETING=hi'],
      Entrypoint: ['cat', '/hello.txt'],
      Cmd: [],
    });
    // A second run finds everything there and sends no blob again: what it can mount from the base is mounted (the
    // mount answers for a blob the repository holds), the rest found by a HEAD.
    expect((await assemble(client, 'team/hello', 'v1')).outcomes).toEqual([
      'mounted',
      'present',
      'present',
      'mounted',
      'present',
      'present',
    ]);
  });
});
