import type { PublishTarget } from '../publish/publish-target.js';
import type { CatalogEntry } from './assemble-catalogs.js';
import { catalogFileName, type CatalogVariant } from './catalog-entry.js';
import type { CatalogIndex } from './index-file.js';
import {
  attachmentObjectName,
  catalogObjectName,
  indexFileName,
  indexFiles,
  indexFormat,
  legacyIndexFormat,
  legacySignatureFileName,
  sha256Hex,
} from '../publish/publication.js';

const allVariants: CatalogVariant[] = ['default', 'stable', 'devel'];

/** What is published now, as the next publication builds on it. */
export interface PublishedState {
  /** The highest serial among all targets (0: nothing published yet): the next one is above it. */
  serial: number;
  index: Pick<CatalogIndex, 'flavors'> | undefined;
  /** Whether that publication is signed: a publisher without a key must not silently replace it. */
  signed: boolean;
  /** Where it was read, for messages. */
  location: string | undefined;
  catalogBytes: Map<string, Buffer>;
  catalogs: Map<string, CatalogEntry[]>;
  /** The attachments the index lists (`report-templates.zip`), read by hash and checked against it. */
  attachments: Map<string, Buffer>;
}

interface ParsedIndex {
  format: string;
  serial: number;
  signed?: boolean;
  catalogs: Record<string, { sha256: string }>;
  flavors: CatalogIndex['flavors'];
  bytes: Buffer;
}

/**
 * Reads the index of every target (each target records the version it saw, for its commit check) and takes the
 * publication to build on: the one with the highest serial (on a fresh CI runner the `--out` folder is empty, and
 * what was published lives in the `--publish` targets), later targets winning ties. After a lost race, a target
 * may hold this run's own earlier commit (the `--out` folder, committed before the shared target refused): that one
 * never wins over another publisher's, whose work would be lost. Its catalogs are read as that index recorded them
 * (the content-addressed files, checked against their hash), so a publication never builds on another's catalogs.
 * The next serial is above every target's, so that no target ever sees its serial go back.
 */
export async function readPublished(
  targets: PublishTarget[],
  ownCommits: ReadonlySet<string> = new Set(),
): Promise<PublishedState> {
  const read = await Promise.all(
    targets.map(async (target) => {
      const bytes = await target.read(indexFileName);
      return { target, index: parseIndex(bytes), own: bytes !== undefined && ownCommits.has(sha256Hex(bytes)) };
    }),
  );
  const serial = Math.max(0, ...read.map((candidate) => candidate.index?.serial ?? 0));
  const pick = (candidates: typeof read): (typeof read)[number] | undefined => {
    let best: (typeof read)[number] | undefined;
    for (const candidate of candidates)
      if (candidate.index && candidate.index.serial >= (best?.index?.serial ?? 0)) best = candidate;
    return best;
  };
  const latest = pick(read.filter((candidate) => !candidate.own)) ?? pick(read);
  const state: PublishedState = {
    serial,
    index: latest?.index,
    signed: false,
    location: latest?.target.locate(indexFileName),
    catalogBytes: new Map(),
    catalogs: new Map(),
    attachments: new Map(),
  };
  if (!latest?.index) return state;
  const { target, index } = latest;
  if (index.format === indexFormat) {
    state.signed = index.signed === true;
    for (const [file, { sha256 }] of Object.entries(index.catalogs)) {
      const bytes = (await target.read(catalogObjectName(sha256))) ?? (await target.read(file));
      if (bytes && sha256Hex(bytes) === sha256) state.catalogBytes.set(file, bytes);
    }
    for (const [file, sha256] of indexFiles(index.bytes)?.attachments ?? []) {
      const bytes = await target.read(attachmentObjectName(file, sha256));
      if (bytes && sha256Hex(bytes) === sha256) state.attachments.set(file, bytes);
    }
  } else {
    // The layout before content-addressed files: catalogs under their names, the signature beside the index.
    state.signed = (await target.read(legacySignatureFileName)) !== undefined;
    for (const kind of ['analyzer', 'responder'] as const) {
      for (const variant of allVariants) {
        const file = catalogFileName(kind, variant);
        const bytes = await target.read(file);
        if (bytes) state.catalogBytes.set(file, bytes);
      }
    }
  }
  for (const [file, bytes] of state.catalogBytes) {
    const entries = parseArray(bytes);
    if (entries) state.catalogs.set(file, entries);
  }
  return state;
}

function parseIndex(bytes: Buffer | undefined): ParsedIndex | undefined {
  if (!bytes) return undefined;
  try {
    const value = JSON.parse(bytes.toString('utf8')) as Partial<ParsedIndex>;
    if ((value.format !== indexFormat && value.format !== legacyIndexFormat) || typeof value.serial !== 'number')
      return undefined;
    return {
      format: value.format,
      serial: value.serial,
      signed: value.signed === true,
      catalogs: value.catalogs ?? {},
      flavors: Array.isArray(value.flavors) ? value.flavors : [],
      bytes,
    };
  } catch {
    return undefined;
  }
}

function parseArray(bytes: Buffer): CatalogEntry[] | undefined {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown;
    return Array.isArray(value) ? (value as CatalogEntry[]) : undefined;
  } catch {
    return undefined;
  }
}
