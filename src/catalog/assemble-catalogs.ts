import type { Channel, ResolvedRegistry } from '../config/load-config.js';
import type { Definition, WorkerFolder } from '../definitions/types.js';
import type { Problem } from '../errors/problem.js';
import { imageRepository, registryPath } from '../images/image-name.js';
import { catalogTag } from '../images/tags.js';
import type { RegistryClient } from '../registry/client.js';
import { catalogEntry, catalogFileName, type CatalogVariant } from './catalog-entry.js';
import {
  backs,
  chooseEntry,
  findPreviousEntry,
  unverifiedEntry,
  type CatalogEntry,
  type CatalogRecord,
  type EntryChoice,
  type EntrySlot,
  type PreviousEntry,
} from './choose-entry.js';
import {
  createImageVerifier,
  type ImageFacts,
  type ImageVerifier,
  type KnownImage,
  type ObservedManifest,
  type TaggedImage,
} from './image-facts.js';

export type { CatalogEntry, CatalogRecord } from './choose-entry.js';
export type { KnownImage, ObservedManifest, TaggedImage } from './image-facts.js';

export interface AssembledCatalogs {
  /** File name -> entries, ordered by kind, folder, file name. */
  catalogs: Map<string, CatalogEntry[]>;
  records: CatalogRecord[];
  /** Entries left out: their image is missing or not theirs (and no previous entry could stand in). */
  missing: Problem[];
  /** Entries whose previous version was kept because the new image is missing or not theirs. */
  kept: Problem[];
  /** Registry reads made: manifests, images whose labels were read, images whose labels were known. */
  reads: ImageVerifier['counts'];
}

export function catalogVariants(channel: Channel): CatalogVariant[] {
  return channel === 'devel' ? ['devel'] : ['default', 'stable'];
}

/** Registry reads at once: as many as the client keeps connections. */
export const readConcurrency = 16;

interface Slot extends EntrySlot {
  definition: Definition;
  choice?: EntryChoice;
}

/**
 * Builds the engine catalogs from the definitions. With a registry client, each entry's image is read first
 * (manifest and configuration, no pull) and must say by its labels that it is this flavor at this version; its
 * digest is recorded. An entry without its own image is never written: the previous published entry stands in when
 * its image is its own, else the entry is left out. Without a client (`--no-verify`), entries are written as the
 * definitions say.
 */
export async function assembleCatalogs(options: AssembleOptions): Promise<AssembledCatalogs> {
  const variants = catalogVariants(options.channel);
  const catalogs = new Map<string, CatalogEntry[]>();
  for (const kind of ['analyzer', 'responder'] as const)
    for (const variant of variants) catalogs.set(catalogFileName(kind, variant), []);
  const slots = catalogSlots(options.workers, options.registry, variants);
  const previousOf = new Map<Slot, PreviousEntry>();
  let reads: ImageVerifier['counts'] = { manifests: 0, labelled: 0, known: 0 };
  if (!options.client && !options.verifier) {
    for (const slot of slots) slot.choice = unverifiedEntry(slot);
  } else {
    reads = await chooseVerifiedEntries(slots, options, previousOf);
  }
  // Slots were made in catalog order, so entries keep it whatever order the reads finished in.
  const records: CatalogRecord[] = [];
  const missing: Problem[] = [];
  const kept: Problem[] = [];
  for (const slot of slots) {
    const entry =
      slot.choice?.write === 'current'
        ? catalogEntry(slot.definition, slot.reference)
        : slot.choice?.write === 'previous'
          ? previousOf.get(slot)?.entry
          : undefined;
    if (entry && slot.choice?.record) {
      catalogs.get(slot.file)?.push(entry);
      records.push(slot.choice.record);
    }
    if (slot.choice?.problem) (slot.choice.write === 'previous' ? kept : missing).push(slot.choice.problem);
  }
  return { catalogs, records, missing, kept, reads };
}

interface AssembleOptions {
  workers: WorkerFolder[];
  registry: Pick<ResolvedRegistry, 'host' | 'namespace'>;
  client: RegistryClient | undefined;
  /** Reads images instead of the client (local mode: the engine's image store, see createEngineImageVerifier). */
  verifier?: ImageVerifier | undefined;
  channel: Channel;
  /** The catalogs as last published, by file name. */
  previous: Map<string, CatalogEntry[]>;
  /** Images whose labels need no read: pushed by this run, or verified by the previous index. */
  known: KnownImage[];
  /** Tags this run already read and left alone (see ObservedManifest). */
  observed?: ObservedManifest[];
  /** Tags this run put, with the digests the registry stored them under. */
  tagged?: TaggedImage[];
}

/** The image reference each catalog entry of a flavor is read at, by flavor id: one per catalog variant. */
export function catalogReferences(
  workers: WorkerFolder[],
  registry: Pick<ResolvedRegistry, 'host' | 'namespace'>,
  channel: Channel,
): { id: string; reference: string }[] {
  return catalogSlots(workers, registry, catalogVariants(channel)).map((slot) => ({
    id: slot.identity.id,
    reference: slot.reference,
  }));
}

/** One slot per flavor and catalog variant, in catalog order. */
function catalogSlots(
  workers: WorkerFolder[],
  registry: Pick<ResolvedRegistry, 'host' | 'namespace'>,
  variants: ReturnType<typeof catalogVariants>,
): Slot[] {
  const slots: Slot[] = [];
  for (const worker of workers) {
    for (const flavor of worker.flavors) {
      const { definition } = flavor;
      for (const variant of variants) {
        const reference = `${imageRepository(registry, definition.name)}:${catalogTag(definition.version, variant)}`;
        const identity = { id: flavor.id, kind: worker.kind, version: definition.version };
        slots.push({
          file: catalogFileName(worker.kind, variant),
          flavorFile: flavor.file,
          name: definition.name,
          identity,
          reference,
          workerPath: worker.path,
          definition,
        });
      }
    }
  }
  return slots;
}

/**
 * Reads each slot's image, and where it is not the flavor's own, the previous entry of the worker; then chooses what
 * each slot writes. Fills `previousOf`; returns the reads made.
 */
async function chooseVerifiedEntries(
  slots: Slot[],
  options: AssembleOptions,
  previousOf: Map<Slot, PreviousEntry>,
): Promise<ImageVerifier['counts']> {
  const { registry, client } = options;
  // One authorization for every repository to read (a token per batch of scopes, not a round trip per repository).
  if (client && !options.verifier)
    await client.authorize([...new Set(slots.map((slot) => registryPath(registry, slot.name)))]);
  const verifier =
    options.verifier ??
    createImageVerifier({
      client: client as RegistryClient,
      host: registry.host,
      known: options.known,
      concurrency: readConcurrency,
      ...(options.observed ? { observed: options.observed } : {}),
      ...(options.tagged ? { tagged: options.tagged } : {}),
    });
  const current = await Promise.all(slots.map((slot) => verifier.facts(slot.reference)));
  const factsOf = (index: number): ImageFacts => current[index] ?? { state: 'missing' };
  const found = previousEntries(
    slots.filter((slot, index) => !backs(factsOf(index), slot.identity)),
    options.previous,
    slots,
  );
  await Promise.all(
    [...found].map(async ([slot, previous]) =>
      previousOf.set(slot, { ...previous, facts: await verifier.facts(previous.image) }),
    ),
  );
  for (const [index, slot] of slots.entries()) slot.choice = chooseEntry(slot, factsOf(index), previousOf.get(slot));
  return verifier.counts;
}

/**
 * Where this run's image is not the flavor's own, the previous entry of the worker, each entry given once: first to a
 * slot whose image it names (the same tag), then to the others in catalog order.
 */
function previousEntries(
  unbacked: Slot[],
  previousCatalogs: Map<string, CatalogEntry[]>,
  slots: Slot[],
): Map<Slot, Omit<PreviousEntry, 'facts'>> {
  const ownIds = new Map<string, Set<string>>();
  for (const slot of slots) {
    let ids = ownIds.get(slot.file);
    if (!ids) ownIds.set(slot.file, (ids = new Set()));
    ids.add(slot.identity.id);
  }
  const atOwnImage = (slot: Slot): boolean =>
    (previousCatalogs.get(slot.file) ?? []).some((entry) => entry['dockerImage'] === slot.reference);
  const taken = new Set<CatalogEntry>();
  const found = new Map<Slot, Omit<PreviousEntry, 'facts'>>();
  for (const slot of [...unbacked.filter(atOwnImage), ...unbacked.filter((slot) => !atOwnImage(slot))]) {
    const others = new Set([...(ownIds.get(slot.file) ?? [])].filter((id) => id !== slot.identity.id));
    const previous = findPreviousEntry(previousCatalogs.get(slot.file), slot, others, taken);
    if (!previous) continue;
    found.set(slot, previous);
    taken.add(previous.entry);
  }
  return found;
}
