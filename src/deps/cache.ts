import { NeuronsError } from '../errors/neurons-error.js';
import {
  pushBlob,
  pushManifest,
  readArtifactManifest,
  type ArtifactManifest,
  type Descriptor,
} from '../registry/artifact.js';
import type { RegistryClient } from '../registry/client.js';

export const dependencyLayerArtifactType = 'application/vnd.neurons.dependency-layer.v1';
const configMediaType = 'application/vnd.neurons.dependency-layer.config.v1+json';

/** The tag of a key's entry: tags are at most 128 characters of [\w.-], so the digest's start stands for it. */
export function cacheTag(key: string): string {
  const hex = /^sha256:([0-9a-f]{64})$/.exec(key)?.[1];
  if (!hex) throw new Error(`not a dependency key: ${key}`);
  return `deps-${hex.slice(0, 40)}`;
}

export interface CachedLayer {
  descriptor: Descriptor;
  diffId: string;
  packages: Array<{ name: string; version: string }>;
}

interface CacheConfig {
  key: string;
  diffId: string;
  packages: Array<{ name: string; version: string }>;
}

/**
 * The layer cached under `key` in `repository`, if there is one whose configuration names that very key (a tag is
 * the key's start only). The layer's blob is in the same repository: an image push mounts it from there.
 */
export async function findCachedLayer(
  client: RegistryClient,
  repository: string,
  key: string,
): Promise<CachedLayer | undefined> {
  const found = await readArtifactManifest(client, repository, cacheTag(key));
  if (!found || found.manifest.artifactType !== dependencyLayerArtifactType) return undefined;
  const layer = found.manifest.layers[0];
  if (!layer || found.manifest.layers.length !== 1) return undefined;
  let config: CacheConfig;
  try {
    config = JSON.parse(
      (await client.readBlob(repository, found.manifest.config.digest)).toString('utf8'),
    ) as CacheConfig;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (config.key !== key || typeof config.diffId !== 'string' || !Array.isArray(config.packages)) return undefined;
  return {
    descriptor: { mediaType: layer.mediaType, digest: layer.digest, size: layer.size },
    diffId: config.diffId,
    packages: config.packages,
  };
}

/** Records a layer under `key`: its blob, a small configuration saying what it holds, and the manifest tying them. */
export async function storeCachedLayer(
  client: RegistryClient,
  repository: string,
  key: string,
  layer: { mediaType: string; digest: string; size: number; diffId: string; bytes: Buffer },
  packages: Array<{ name: string; version: string }>,
): Promise<void> {
  const layerDescriptor = await pushBlob(client, repository, layer.bytes, layer.mediaType);
  if (layerDescriptor.digest !== layer.digest || layerDescriptor.size !== layer.size) {
    throw new NeuronsError({
      code: 'DEPS_LAYER_MISMATCH',
      message: `the layer's bytes have digest ${layerDescriptor.digest}, not ${layer.digest}`,
      hint: 'a bug in the layer builder: report it',
    });
  }
  const config: CacheConfig = {
    key,
    diffId: layer.diffId,
    packages: packages.map((item) => ({ name: item.name, version: item.version })),
  };
  const configDescriptor = await pushBlob(client, repository, Buffer.from(JSON.stringify(config)), configMediaType);
  const manifest: ArtifactManifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: dependencyLayerArtifactType,
    config: configDescriptor,
    layers: [layerDescriptor],
    annotations: { 'io.neurons.dependency-key': key },
  };
  await pushManifest(client, repository, cacheTag(key), manifest);
}
