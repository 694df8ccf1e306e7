import type { Channel, ResolvedRegistry } from '../config/load-config.js';
import type { Flavor, WorkerFolder } from '../definitions/types.js';
import type { Problem } from '../errors/problem.js';
import { imageRepository, registryPath } from '../images/image-name.js';
import { parseImageReference } from '../images/reference.js';
import { catalogTag } from '../images/tags.js';
import type { RegistryClient } from '../registry/client.js';
import { createLimiter } from '../util/limit.js';
import { catalogEntry, catalogFileName, type CatalogVariant } from './catalog-entry.js';

export type CatalogEntry = Record<string, unknown>;

/** What the index records of each entry written. */
export interface CatalogRecord {
  catalog: string;
  id: string;
  kind: 'analyzer' | 'responder';
  name: string;
  version: string;
  image: string;
  /** Manifest digest found in the registry; undefined without verification. */
  digest: string | undefined;
  /** The previous entry was kept because this run's image is missing. */
  kept: boolean;
  workerPath: string | undefined;
}

export interface AssembledCatalogs {
  /** File name -> entries, ordered by kind, folder, file name. */
  catalogs: Map<string, CatalogEntry[]>;
  records: CatalogRecord[];
  /** Entries left out because their image is not in the registry (and no previous entry could stand in). */
  missing: Problem[];
  /** Entries whose previous version was kept because the new image is missing. */
  kept: Problem[];
}

export function catalogVariants(channel: Channel): CatalogVariant[] {
  return channel === 'devel' ? ['devel'] : ['default', 'stable'];
}

interface Slot {
  file: string;
  worker: WorkerFolder;
  flavor: Flavor;
  reference: string;
  tag: string;
  entry?: CatalogEntry;
  record?: CatalogRecord;
}

/**
 * Builds the engine catalogs from the definitions. With a registry client, each entry's image is checked first
 * (HEAD, no pull) and its digest recorded: an entry whose image is missing is never written; the previous published
 * entry for that worker stands in when its own image still exists. Without a client (`--no-verify`), entries are
 * written as the definitions say.
 */
export async function assembleCatalogs(options: {
  workers: WorkerFolder[];
  registry: Pick<ResolvedRegistry, 'host' | 'namespace'>;
  client: RegistryClient | undefined;
  channel: Channel;
  /** The catalogs as last published, by file name. */
  previous: Map<string, CatalogEntry[]>;
}): Promise<AssembledCatalogs> {
  const { registry, client } = options;
  const variants = catalogVariants(options.channel);
  const catalogs = new Map<string, CatalogEntry[]>();
  for (const kind of ['analyzer', 'responder'] as const) for (const variant of variants) catalogs.set(catalogFileName(kind, variant), []);
  const slots: Slot[] = [];
  for (const worker of options.workers) {
    for (const flavor of worker.flavors) {
      for (const variant of variants) {
        const tag = catalogTag(flavor.definition.version, variant);
        slots.push({ file: catalogFileName(worker.kind, variant), worker, flavor, tag, reference: `${imageRepository(registry, flavor.definition.name)}:${tag}` });
      }
    }
  }
  const missing: Problem[] = [];
  const kept: Problem[] = [];
  const limit = createLimiter(16);
  const head = async (reference: string): Promise<string | undefined> => {
    const parsed = parseImageReference(reference);
    if (!client || parsed.host !== registry.host) return undefined;
    return (await client.headManifest(parsed.repository, parsed.tag ?? 'latest'))?.digest;
  };
  // One authorization for every repository to check (a token per batch of scopes, not a round trip per repository).
  await client?.authorize([...new Set(slots.map((slot) => registryPath(registry, slot.flavor.definition.name)))]);
  await Promise.all(
    slots.map((slot) =>
      limit(async () => {
        const { definition } = slot.flavor;
        const record = (image: string, digest: string | undefined, wasKept: boolean, version: string): CatalogRecord => ({
          catalog: slot.file, id: slot.flavor.id, kind: slot.worker.kind, name: definition.name, version, image, digest, kept: wasKept, workerPath: slot.worker.path,
        });
        if (!client) {
          slot.entry = catalogEntry(definition, slot.reference);
          slot.record = record(slot.reference, undefined, false, definition.version);
          return;
        }
        const digest = (await client.headManifest(registryPath(registry, definition.name), slot.tag))?.digest;
        if (digest) {
          slot.entry = catalogEntry(definition, slot.reference);
          slot.record = record(slot.reference, digest, false, definition.version);
          return;
        }
        const previous = options.previous.get(slot.file)?.find((entry) => entry['name'] === definition.name);
        const previousImage = typeof previous?.['dockerImage'] === 'string' ? previous['dockerImage'] : undefined;
        const previousDigest = previousImage ? await head(previousImage) : undefined;
        if (previous && previousImage && previousDigest) {
          slot.entry = previous;
          slot.record = record(previousImage, previousDigest, true, String(previous['version'] ?? ''));
          kept.push({ code: 'CATALOG_KEPT_PREVIOUS', file: slot.flavor.file, message: `${slot.reference} is not in the registry: ${slot.file} keeps the previous entry (${previousImage})`, hint: 'build and push the worker, or fix its build' });
          return;
        }
        missing.push({ code: 'CATALOG_IMAGE_MISSING', file: slot.flavor.file, message: `${slot.reference} is not in the registry: left out of ${slot.file}`, hint: 'build and push the worker, or fix its build' });
      }),
    ),
  );
  // Slots were made in catalog order, so entries keep it whatever order the checks finished in.
  const records: CatalogRecord[] = [];
  for (const slot of slots) {
    if (!slot.entry || !slot.record) continue;
    catalogs.get(slot.file)?.push(slot.entry);
    records.push(slot.record);
  }
  return { catalogs, records, missing, kept };
}
