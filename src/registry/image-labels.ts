import type { ImageConfig, RegistryClient } from './client.js';
import {
  imageConfigMediaTypes,
  platformName,
  runnableManifests,
  type Descriptor,
  type ParsedManifest,
} from './manifest.js';

/** The labels of the image of one platform. */
export interface PlatformLabels {
  platform: string;
  labels: Record<string, string>;
}

export type ImageLabels =
  /** Every runnable image under the manifest, with its labels (an image manifest has one, an index one per platform). */
  | { readable: true; platforms: PlatformLabels[] }
  /** Nothing to read labels from: `reason` says why (schema 1, an artifact, an index with no runnable image, ...). */
  | { readable: false; reason: string };

async function readConfig(
  client: RegistryClient,
  repository: string,
  config: Descriptor,
  fallbackPlatform: string,
): Promise<PlatformLabels | string> {
  if (!imageConfigMediaTypes.includes(config.mediaType))
    return `not a container image (its configuration is ${config.mediaType})`;
  // The blob read checks the bytes against the digest the (already verified) manifest names.
  let parsed: ImageConfig;
  try {
    parsed = JSON.parse((await client.readBlob(repository, config.digest)).toString('utf8')) as ImageConfig;
  } catch (error) {
    if (error instanceof SyntaxError) return 'its configuration is not JSON';
    throw error;
  }
  const platform = parsed.os || parsed.architecture ? platformName(parsed) : fallbackPlatform;
  return { platform, labels: parsed.config?.Labels ?? {} };
}

/**
 * The labels of a manifest already read (and checked against its digest): its configuration for an image manifest;
 * for an index, the configuration of every runnable image it lists, each manifest read by digest and checked. A
 * multi-platform image is only what all its platforms are, so none is skipped.
 */
export async function readImageLabels(
  client: RegistryClient,
  repository: string,
  manifest: ParsedManifest,
): Promise<ImageLabels> {
  if (manifest.kind === 'unsupported') return { readable: false, reason: manifest.reason };
  if (manifest.kind === 'image') {
    const read = await readConfig(client, repository, manifest.config, '?');
    return typeof read === 'string' ? { readable: false, reason: read } : { readable: true, platforms: [read] };
  }
  const runnable = runnableManifests(manifest.manifests);
  if (runnable.length === 0) return { readable: false, reason: 'an index that lists no runnable image' };
  const platforms: PlatformLabels[] = [];
  for (const descriptor of runnable) {
    const inner = await client.readManifest(repository, descriptor.digest, { named: true });
    const name = platformName(descriptor.platform);
    if (!inner)
      return { readable: false, reason: `an index whose ${name} manifest ${descriptor.digest} is not in the registry` };
    if (inner.manifest.kind !== 'image')
      return { readable: false, reason: `an index whose ${name} entry is not an image manifest` };
    const read = await readConfig(client, repository, inner.manifest.config, name);
    if (typeof read === 'string') return { readable: false, reason: `${name}: ${read}` };
    platforms.push(read);
  }
  return { readable: true, platforms };
}
