import type { ResolvedRegistry } from '../config/load-config.js';
import { parseImageReference } from '../images/reference.js';
import type { RegistryClientPool } from '../registry/client-pool.js';
import type { EntryImageVerifier } from './refresh-catalogs.js';

/**
 * Checks a published entry's image in its registry, with the credentials of the configured registry of that host.
 * An image on a registry the configuration does not name cannot be checked: it does not verify.
 */
export function registryEntryVerifier(registries: ResolvedRegistry[], clients: RegistryClientPool): EntryImageVerifier {
  return async (reference) => {
    const parsed = parseImageReference(reference);
    const registry = registries.find((candidate) => candidate.host === parsed.host);
    if (!registry) return { ok: false, code: 'CATALOG_IMAGE_UNVERIFIABLE', reason: `${parsed.host} is not a registry of the configuration, so its image cannot be checked` };
    const found = await clients.for(registry).headManifest(parsed.repository, parsed.digest ?? parsed.tag ?? 'latest');
    if (!found) return { ok: false, code: 'CATALOG_IMAGE_MISSING', reason: 'the image is not in the registry' };
    return { ok: true, digest: found.digest };
  };
}
