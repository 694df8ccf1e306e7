import { resolveBaseImage } from '../../../src/oci/base-image.js';
import { buildImageConfig, buildImageIndex, buildImageManifest, type BuiltBlob } from '../../../src/oci/image.js';
import { buildLayer, type BuiltLayer } from '../../../src/oci/layer.js';
import { parsePlatform } from '../../../src/oci/platform.js';
import { ensureBlob, putManifest, type BlobOutcome } from '../../../src/oci/write.js';
import type { RegistryClient } from '../../../src/registry/client.js';
import type { OciRegistry } from '../../helpers/oci-registry.js';

const ociLayer = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const baseDiffId = `sha256:${'1'.repeat(64)}`;

/** A two-platform base (`base/python:3.11`, an OCI index) with one layer per platform. */
export function seedBase(registry: OciRegistry): void {
  const manifests = ['linux/amd64', 'linux/arm64'].map((name) => {
    const { os, architecture } = parsePlatform(name);
    const layer = registry.seedBlob('base/python', `rootfs ${name}`, ociLayer);
    const configBody = {
      architecture,
      os,
      config: { Env: ['PATH=/usr/bin'], Cmd: ['python3'] },
      rootfs: { type: 'layers', diff_ids: [baseDiffId] },
    };
    const config = registry.seedBlob(
      'base/python',
      JSON.stringify(configBody),
      'application/vnd.oci.image.config.v1+json',
    );
    return {
      ...registry.seedManifest(
        'base/python',
        { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] },
        [],
      ),
      platform: { os, architecture },
    };
  });
  registry.seedManifest(
    'base/python',
    { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests },
    ['3.11'],
  );
}

/**
 * The assembly as the flavor builder will do it: base layers mounted, the new layer uploaded once for all platforms,
 * one configuration and manifest per platform, an index under `tag`.
 */
export async function assemble(
  client: RegistryClient,
  repository: string,
  tag: string,
): Promise<{ outcomes: BlobOutcome[]; index: BuiltBlob; layer: BuiltLayer }> {
  const base = await resolveBaseImage(client, 'base/python', '3.11', [
    parsePlatform('linux/amd64'),
    parsePlatform('linux/arm64'),
  ]);
  const layer = buildLayer([{ name: 'hello.txt', type: 'file', mode: 0o644, data: Buffer.from('hello\n') }]);
  const outcomes: BlobOutcome[] = [];
  const entries = [];
  for (const image of base.images) {
    const config = buildImageConfig({
      base: image.config,
      diffIds: [layer.diffId],
      env: ['GREETING=hi'],
      entrypoint: ['cat', '/hello.txt'],
      labels: { a: 'b' },
      created: '2026-01-01T00:00:00Z',
      history: ['COPY hello.txt /'],
    });
    for (const descriptor of image.layers)
      outcomes.push(await ensureBlob(client, repository, descriptor, { mountFrom: [base.repository] }));
    outcomes.push(await ensureBlob(client, repository, layer, { bytes: layer.bytes }));
    outcomes.push(await ensureBlob(client, repository, config.descriptor, { bytes: config.bytes }));
    const manifest = buildImageManifest(config.descriptor, [...image.layers, layer]);
    await putManifest(client, repository, manifest.descriptor.digest, manifest.bytes, manifest.descriptor.mediaType);
    entries.push({ descriptor: manifest.descriptor, platform: image.platform });
  }
  const index = buildImageIndex(entries);
  await putManifest(client, repository, tag, index.bytes, index.descriptor.mediaType);
  return { outcomes, index, layer };
}
