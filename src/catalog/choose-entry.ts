import { createWorkerId } from '../definitions/version.js';
import type { Problem } from '../errors/problem.js';
import { isLocalImage } from '../images/local-images.js';
import { claimsIdentity, describeClaim, type WorkerIdentity } from '../images/worker-labels.js';
import type { ImageFacts, RecordedInputs } from './image-facts.js';

export type CatalogEntry = Record<string, unknown>;

/** What the index records of each entry written. */
export interface CatalogRecord {
  catalog: string;
  id: string;
  kind: 'analyzer' | 'responder';
  name: string;
  version: string;
  image: string;
  /** Manifest digest read from the registry (the one whose labels were checked); undefined without verification. */
  digest: string | undefined;
  /** The image's labels were checked (or known) to say this id, kind and version. */
  verified: boolean;
  /** The previous entry was kept because this run's image is missing or another version's. */
  kept: boolean;
  /** The worker folder the entry comes from; undefined for a kept entry (the folder has moved on since). */
  workerPath: string | undefined;
  /** What the image's labels record, when they were read: the index's fallback for an image this run did not build. */
  recorded?: RecordedInputs;
}

/** One entry to write: a flavor's definition in one catalog file, and the image that file names for it. */
export interface EntrySlot {
  file: string;
  /** The definition file, where problems point. */
  flavorFile: string;
  name: string;
  identity: WorkerIdentity;
  reference: string;
  workerPath: string;
}

/** The entry the catalog file listed for the same worker when last published, and what its image is now. */
export interface PreviousEntry {
  entry: CatalogEntry;
  image: string;
  /** Undefined when the entry lacks a name or version, so no image can be its own. */
  identity: WorkerIdentity | undefined;
  facts: ImageFacts;
}

export interface EntryChoice {
  /** This run's definition, the previous entry, or nothing. */
  write: 'current' | 'previous' | 'none';
  record: CatalogRecord | undefined;
  /** `CATALOG_KEPT_PREVIOUS` with `previous`; `CATALOG_IMAGE_MISSING` or `CATALOG_IMAGE_MISMATCH` with `none`. */
  problem: Problem | undefined;
}

/** Whether an image is the flavor's own: a manifest whose labels say this id, kind and version. */
export function backs(
  facts: ImageFacts,
  identity: WorkerIdentity | undefined,
): facts is Extract<ImageFacts, { state: 'labelled' }> {
  return identity !== undefined && facts.state === 'labelled' && claimsIdentity(facts.claim, identity);
}

/** `<image> is not in the registry`, `<image> is X (analyzer, version 1.0) by its labels, not Y (...)`, ... */
function describeImage(image: string, facts: ImageFacts, expected: WorkerIdentity | undefined): string {
  const not = expected ? `, not ${describeClaim(expected)}` : '';
  switch (facts.state) {
    case 'missing':
      return `${image} is not in ${isLocalImage(image) ? 'the engine' : 'the registry'}`;
    case 'elsewhere':
      return `${image} is on another registry, where it cannot be verified`;
    case 'unreadable':
      return `${image} cannot be verified (${facts.reason})${not}`;
    case 'labelled': {
      const { id, kind, version } = facts.claim;
      if (id === undefined && kind === undefined && version === undefined) return `${image} has no worker labels${not}`;
      return `${image} is ${describeClaim(facts.claim)} by its labels${not}`;
    }
  }
}

function slotRecord(slot: EntrySlot): CatalogRecord {
  return {
    catalog: slot.file,
    id: slot.identity.id,
    kind: slot.identity.kind,
    name: slot.name,
    version: slot.identity.version,
    image: slot.reference,
    digest: undefined,
    verified: false,
    kept: false,
    workerPath: slot.workerPath,
  };
}

/** Without verification (`--no-verify`): the entry as the definition says, nothing checked. */
export function unverifiedEntry(slot: EntrySlot): EntryChoice {
  return { write: 'current', record: slotRecord(slot), problem: undefined };
}

/**
 * The entry one catalog file gets for one flavor, from what the registry says (pure: the reads are done). The
 * flavor's own image makes its entry; failing that, the previous entry stands in only if its image is that entry's
 * own; failing that, nothing is written, so a definition is never paired with another version's image.
 */
export function chooseEntry(slot: EntrySlot, current: ImageFacts, previous: PreviousEntry | undefined): EntryChoice {
  const record = (overrides: Partial<CatalogRecord>): CatalogRecord => ({
    ...slotRecord(slot),
    verified: true,
    ...overrides,
  });
  if (backs(current, slot.identity))
    return {
      write: 'current',
      record: record({ digest: current.digest, ...(current.recorded ? { recorded: current.recorded } : {}) }),
      problem: undefined,
    };
  const why = describeImage(slot.reference, current, slot.identity);
  if (previous && backs(previous.facts, previous.identity) && previous.identity) {
    const { id, version } = previous.identity;
    return {
      write: 'previous',
      record: record({
        id,
        version,
        image: previous.image,
        digest: previous.facts.digest,
        kept: true,
        workerPath: undefined,
        ...(previous.facts.recorded ? { recorded: previous.facts.recorded } : {}),
      }),
      problem: {
        code: 'CATALOG_KEPT_PREVIOUS',
        file: slot.flavorFile,
        message: `${why}: ${slot.file} keeps the previous entry, ${describeClaim(previous.identity)} at ${previous.image} (its labels checked)`,
        hint: 'build and push this version, or fix its build',
      },
    };
  }
  const notKept = previous
    ? `; the previous entry was not kept: ${describeImage(previous.image, previous.facts, previous.identity)}`
    : '';
  const missing = current.state === 'missing' || current.state === 'elsewhere';
  return {
    write: 'none',
    record: undefined,
    problem: missing
      ? {
          code: 'CATALOG_IMAGE_MISSING',
          file: slot.flavorFile,
          message: `${why}: left out of ${slot.file}${notKept}`,
          hint: 'build and push the worker, or fix its build',
        }
      : {
          code: 'CATALOG_IMAGE_MISMATCH',
          file: slot.flavorFile,
          message: `${why}: left out of ${slot.file}${notKept}`,
          hint: 'the tag names another version or flavor: build and push this version (bump it if the tag is already taken), or move the tag back',
        },
  };
}

/**
 * The entry `entries` (a catalog file as last published) had for the worker of `slot`: same name, preferably at the
 * same image. An entry whose id another definition of this run writes in the same file is that one's, not this one's;
 * an entry `taken` by another slot is not given twice (the file would list one worker twice).
 */
export function findPreviousEntry(
  entries: CatalogEntry[] | undefined,
  slot: EntrySlot,
  otherIds: Set<string>,
  taken: Set<CatalogEntry>,
): Omit<PreviousEntry, 'facts'> | undefined {
  const candidates = (entries ?? []).flatMap((entry) => {
    const image = entry['dockerImage'];
    if (entry['name'] !== slot.name || typeof image !== 'string' || taken.has(entry)) return [];
    const version = entry['version'];
    const identity =
      typeof version === 'string'
        ? { id: createWorkerId(slot.name, version), kind: slot.identity.kind, version }
        : undefined;
    return identity && otherIds.has(identity.id) ? [] : [{ entry, image, identity }];
  });
  return candidates.find((candidate) => candidate.image === slot.reference) ?? candidates[0];
}
