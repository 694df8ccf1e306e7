import type { RegistryClient } from './client.js';
import { platformName, runnableManifests } from './manifest.js';

/** One platform's image manifest of a published image: what cosign signs and a scanner reads. */
export interface PlatformManifest {
  /** `linux/amd64`, `linux/arm/v7`. */
  platform: string;
  digest: string;
}

/**
 * The image manifest of each platform a published digest names: the runnable entries of an index (attestations
 * left out), or the image itself, its platform read from its configuration. Empty when the registry lacks it.
 */
export async function platformManifests(
  client: RegistryClient,
  repository: string,
  digest: string,
): Promise<PlatformManifest[]> {
  const found = await client.readManifest(repository, digest);
  if (found?.manifest.kind === 'index')
    return runnableManifests(found.manifest.manifests).map((entry) => ({
      platform: platformName(entry.platform),
      digest: entry.digest,
    }));
  if (found?.manifest.kind !== 'image') return [];
  const config = JSON.parse((await client.readBlob(repository, found.manifest.config.digest)).toString('utf8')) as {
    os?: string;
    architecture?: string;
    variant?: string;
  };
  return [{ platform: platformName(config), digest: found.digest }];
}

/** An image a run published: its reference, its digest (empty when built and not pushed), its platforms' manifests. */
export interface PublishedImage {
  reference: string;
  /** Empty for an image built and not pushed. */
  digest: string;
  platforms?: PlatformManifest[];
}
