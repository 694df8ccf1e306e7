import { pushBlob, putManifestBytes } from './artifact.js';
import { digestOf, type ManifestInfo, type RegistryClient } from './client.js';
import { imageManifestMediaTypes, type Descriptor } from './manifest.js';

interface ImageManifestJson {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** An image manifest's bytes as served, and its media type. */
async function readImageManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
): Promise<{ bytes: Buffer; mediaType: string }> {
  const path = `/v2/${repository}/manifests/${reference}`;
  const response = await client.call('GET', path, `repository:${repository}:pull`, {
    accept: imageManifestMediaTypes.join(', '),
  });
  if (response.statusCode !== 200) throw client.failure(response, path);
  const declared = (JSON.parse(response.body) as { mediaType?: unknown }).mediaType;
  return {
    bytes: response.bytes,
    mediaType:
      typeof declared === 'string' ? declared : (String(response.headers['content-type'] ?? '').split(';')[0] ?? ''),
  };
}

/** Puts an image manifest under one more tag of its repository, byte for byte (so under the same digest). */
export async function tagManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
  tag: string,
): Promise<ManifestInfo> {
  const { bytes, mediaType } = await readImageManifest(client, repository, reference);
  await putManifestBytes(client, repository, tag, bytes, mediaType);
  return { digest: digestOf(bytes), mediaType, size: bytes.length };
}

interface ImageConfigJson {
  architecture?: string;
  config?: { Labels?: Record<string, string> | null };
}

/** What `reconfigure` changes in an image's configuration; the rest is kept as it was. */
export interface ConfigChange {
  /** Added to the image's labels (a label of the same name is replaced). */
  labels?: Record<string, string>;
  /** The image's architecture (`arm64`): an engine that cannot set it on import (Docker 20.10) says its own. */
  architecture?: string;
}

/**
 * Changes a published image's configuration without pulling or rebuilding it, as go-containerregistry's `mutate`
 * does: the same layers, a new configuration blob, and a new manifest put under `tag` in the same repository. Every
 * other field of the manifest and the configuration is kept as it was. Returns the new manifest.
 */
export async function reconfigure(
  client: RegistryClient,
  repository: string,
  reference: string,
  tag: string,
  change: ConfigChange,
): Promise<ManifestInfo> {
  const { bytes: served, mediaType } = await readImageManifest(client, repository, reference);
  const manifest = JSON.parse(served.toString('utf8')) as ImageManifestJson;
  const config = JSON.parse(
    (await client.readBlob(repository, manifest.config.digest)).toString('utf8'),
  ) as ImageConfigJson;
  if (change.architecture) config.architecture = change.architecture;
  if (change.labels) config.config = { ...config.config, Labels: { ...config.config?.Labels, ...change.labels } };
  const configDescriptor = await pushBlob(
    client,
    repository,
    Buffer.from(JSON.stringify(config)),
    manifest.config.mediaType,
  );
  const bytes = Buffer.from(JSON.stringify({ ...manifest, config: configDescriptor }));
  await putManifestBytes(client, repository, tag, bytes, mediaType);
  return { digest: digestOf(bytes), mediaType, size: bytes.length };
}
