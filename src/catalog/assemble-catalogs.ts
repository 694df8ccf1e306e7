import type { Channel } from '../config/load-config.js';
import type { Flavor, WorkerFolder } from '../definitions/types.js';
import type { Problem } from '../errors/problem.js';
import { imageRepository, registryPath } from '../images/image-name.js';
import { catalogTag } from '../images/tags.js';
import type { ResolvedRegistry } from '../config/load-config.js';
import type { RegistryClient } from '../registry/client.js';
import { catalogEntry, catalogFileName, type CatalogVariant } from './catalog-entry.js';

export interface AssembledCatalogs {
  /** File name -> entries, ordered by kind, folder, file name. */
  catalogs: Map<string, unknown[]>;
  /** Digest of each published image reference. */
  digests: Map<string, string>;
  /** Entries left out because their image is not in the registry. */
  missing: Problem[];
}

export function catalogVariants(channel: Channel): CatalogVariant[] {
  return channel === 'devel' ? ['devel'] : ['default', 'stable'];
}

/**
 * Builds the catalogs from the definitions, checking each entry's image in the registry first (HEAD, no pull):
 * a catalog never points at an image that does not exist.
 */
export async function assembleCatalogs(
  workers: WorkerFolder[],
  registry: ResolvedRegistry,
  client: RegistryClient,
  channel: Channel,
): Promise<AssembledCatalogs> {
  const catalogs = new Map<string, unknown[]>();
  const digests = new Map<string, string>();
  const missing: Problem[] = [];
  const variants = catalogVariants(channel);
  for (const kind of ['analyzer', 'responder'] as const) for (const variant of variants) catalogs.set(catalogFileName(kind, variant), []);
  const checks: Array<Promise<void>> = [];
  const slots: Array<{ file: string; flavor: Flavor; entry: Record<string, unknown> | undefined }> = [];
  for (const worker of workers) {
    for (const flavor of worker.flavors) {
      for (const variant of variants) {
        const tag = catalogTag(flavor.definition.version, variant);
        const reference = `${imageRepository(registry, flavor.definition.name)}:${tag}`;
        const slot: (typeof slots)[number] = { file: catalogFileName(worker.kind, variant), flavor, entry: undefined };
        slots.push(slot);
        checks.push(
          client.headManifest(registryPath(registry, flavor.definition.name), tag).then((manifest) => {
            if (manifest) {
              digests.set(reference, manifest.digest);
              slot.entry = catalogEntry(flavor.definition, reference);
            } else {
              missing.push({ code: 'CATALOG_IMAGE_MISSING', file: flavor.file, message: `${reference} is not in the registry: left out of ${slot.file}`, hint: 'build and push the worker, or fix its build' });
            }
          }),
        );
      }
    }
  }
  await Promise.all(checks);
  // Slots were created in catalog order, so the entries keep it whatever order the checks finished in.
  for (const slot of slots) if (slot.entry) catalogs.get(slot.file)?.push(slot.entry);
  return { catalogs, digests, missing };
}
