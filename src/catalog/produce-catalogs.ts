import type { Channel, ResolvedRegistry } from '../config/load-config.js';
import type { WorkerFolder } from '../definitions/types.js';
import type { Problem } from '../errors/problem.js';
import type { PublishTarget } from '../publish/targets.js';
import type { RegistryClient } from '../registry/client.js';
import { assembleCatalogs, type AssembledCatalogs, type CatalogEntry, type KnownImage } from './assemble-catalogs.js';
import { catalogFileName, type CatalogVariant } from './catalog-entry.js';
import { renderCatalogPage } from './html-page.js';
import { buildIndex, serializeJson, type CatalogIndex } from './index-file.js';
import { signBytes } from './signing.js';

export const indexFileName = 'index.json';
export const signatureFileName = 'index.json.sig';
export const pageFileName = 'catalog.html';
const allVariants: CatalogVariant[] = ['default', 'stable', 'devel'];

export interface CatalogStageOptions {
  /** Workers without validation errors, in catalog order. */
  workers: WorkerFolder[];
  registry: Pick<ResolvedRegistry, 'host' | 'namespace'>;
  /** Undefined: no verification (entries written as the definitions say). */
  client: RegistryClient | undefined;
  channel: Channel;
  /** Where the files go; the previous catalogs and index are read from the one whose index has the highest serial. */
  targets: PublishTarget[];
  signingKey: { pem: string; origin: string } | undefined;
  expiresInDays: number;
  /** Build inputs by flavor id, of the images this run pushed or found unchanged. */
  buildInputDigests: Map<string, string>;
  revisions: Map<string, string>;
  /** Images this run pushed, by manifest digest: built from their definitions, so their labels need no read. */
  pushed: KnownImage[];
  now: Date;
}

export interface CatalogStageResult {
  files: string[];
  index: CatalogIndex;
  missing: Problem[];
  kept: Problem[];
  reads: AssembledCatalogs['reads'];
}

function parseArray(bytes: Buffer | undefined): CatalogEntry[] | undefined {
  if (!bytes) return undefined;
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown;
    return Array.isArray(value) ? (value as CatalogEntry[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The catalog stage: engine catalogs verified against the registry, incremental on what was published (an
 * unchanged entry is written byte for byte as before), the signed index over all catalog files, and the HTML page;
 * then every target gets the files, the index last.
 */
export async function produceCatalogs(options: CatalogStageOptions): Promise<CatalogStageResult> {
  // The previous publication is the one with the highest serial among all targets: on a fresh CI runner the
  // `--out` folder is empty, and what was published lives in the `--publish` targets. Reading every target's
  // index also records its version (ETag, asset, manifest) for the conflict check when writing.
  const published = await Promise.all(options.targets.map(async (target) => ({ target, index: parsePreviousIndex(await target.read(indexFileName)) })));
  const latest = published.reduce<(typeof published)[number] | undefined>((best, candidate) => ((candidate.index?.serial ?? 0) > (best?.index?.serial ?? 0) ? candidate : best), published[0]);
  const reference = latest?.target;
  const oldIndex = latest?.index;
  const previousBytes = new Map<string, Buffer>();
  for (const kind of ['analyzer', 'responder'] as const) {
    for (const variant of allVariants) {
      const file = catalogFileName(kind, variant);
      const bytes = await reference?.read(file);
      if (bytes) previousBytes.set(file, bytes);
    }
  }
  const previous = new Map<string, CatalogEntry[]>();
  for (const [file, bytes] of previousBytes) {
    const entries = parseArray(bytes);
    if (entries) previous.set(file, entries);
  }
  // A digest the previous index recorded after checking its labels is still that image (digests name content); an
  // index without the `verified` mark (written before the check existed) vouches for nothing.
  const verifiedBefore = (oldIndex?.flavors ?? []).flatMap((flavor) => (flavor.verified === true && flavor.digest ? [{ digest: flavor.digest, identity: { id: flavor.id, kind: flavor.kind, version: flavor.version } }] : []));
  const assembled = await assembleCatalogs({ workers: options.workers, registry: options.registry, client: options.client, channel: options.channel, previous, known: [...verifiedBefore, ...options.pushed] });

  const files = new Map<string, Buffer>();
  const counts = new Map<string, number>();
  for (const [file, entries] of assembled.catalogs) {
    files.set(file, serializeJson(entries));
    counts.set(file, entries.length);
  }
  // Catalogs of the other channel are not rewritten, but the index covers them too.
  const indexed = new Map(files);
  for (const [file, bytes] of previousBytes) {
    if (!indexed.has(file)) {
      indexed.set(file, bytes);
      counts.set(file, parseArray(bytes)?.length ?? 0);
    }
  }
  const index = buildIndex({
    serial: (oldIndex?.serial ?? 0) + 1,
    now: options.now,
    expiresInDays: options.expiresInDays,
    registry: `${options.registry.host}/${options.registry.namespace}`,
    files: indexed,
    entryCounts: counts,
    records: assembled.records,
    buildInputDigests: options.buildInputDigests,
    revisions: options.revisions,
    previous: oldIndex?.flavors ?? [],
  });
  const pageVariant = options.channel === 'devel' ? 'devel' : 'default';
  const pageRecords = assembled.records.filter((record) => record.catalog === catalogFileName(record.kind, pageVariant));
  const pageEntries = pageRecords.map((record) => ({ record, entry: assembled.catalogs.get(record.catalog)?.find((entry) => entry['name'] === record.name) ?? {} }));
  files.set(pageFileName, Buffer.from(renderCatalogPage({ entries: pageEntries, registry: index.registry, serial: index.serial, created: index.created })));
  const indexBytes = serializeJson(index);
  files.set(indexFileName, indexBytes);
  if (options.signingKey) files.set(signatureFileName, Buffer.from(`${signBytes(indexBytes, options.signingKey.pem, options.signingKey.origin)}\n`));
  for (const target of options.targets) await target.write(files);
  return { files: [...files.keys()], index, missing: assembled.missing, kept: assembled.kept, reads: assembled.reads };
}

function parsePreviousIndex(bytes: Buffer | undefined): CatalogIndex | undefined {
  if (!bytes) return undefined;
  try {
    const value = JSON.parse(bytes.toString('utf8')) as CatalogIndex;
    return value.format === 'neurons-catalog-index/1' ? value : undefined;
  } catch {
    return undefined;
  }
}
