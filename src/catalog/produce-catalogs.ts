import type { Channel, ResolvedRegistry } from '../config/load-config.js';
import type { WorkerFolder } from '../definitions/types.js';
import { NeuronsError, UsageError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';
import type { PublishTarget } from '../publish/publish-target.js';
import type { RegistryClient } from '../registry/client.js';
import {
  assembleCatalogs,
  type AssembledCatalogs,
  type CatalogEntry,
  type KnownImage,
  type ObservedManifest,
  type TaggedImage,
} from './assemble-catalogs.js';
import type { ImageVerifier } from './image-facts.js';
import { catalogFileName, type CatalogVariant } from './catalog-entry.js';
import { renderCatalogPage } from './html-page.js';
import { buildIndex, serializeJson, type CatalogIndex } from './index-file.js';
import { readPublished, type PublishedState } from './published-state.js';
import {
  indexFileName,
  makePublication,
  pageFileName,
  reportTemplatesFileName,
  sha256Hex,
} from '../publish/publication.js';
import { signBytes } from './signing.js';

/** A publisher that lost a race starts again from what is published now, a few times. */
const maxAttempts = 4;

export interface CatalogStageOptions {
  /** Workers without validation errors, in catalog order. */
  workers: WorkerFolder[];
  registry: Pick<ResolvedRegistry, 'host' | 'namespace'>;
  /** Undefined: no verification (entries written as the definitions say). */
  client: RegistryClient | undefined;
  /** Reads images instead of the client: the engine's image store in local mode (see createEngineImageVerifier). */
  verifier?: ImageVerifier | undefined;
  channel: Channel;
  /** Where the files go; the previous catalogs and index are read from the one whose index has the highest serial. */
  targets: PublishTarget[];
  signingKey: { pem: string; origin: string } | undefined;
  /** Publish unsigned even though the current publication is signed (engines with `--key` then refuse it). */
  allowUnsigned: boolean;
  expiresInDays: number;
  /** Build inputs by flavor id, of the images this run pushed or found unchanged. */
  buildInputDigests: Map<string, string>;
  revisions: Map<string, string>;
  /** Images this run pushed, by manifest digest: built from their definitions, so their labels need no read. */
  pushed: KnownImage[];
  /** Tags this run read while deciding and did not push: the catalog stage does not read them again. */
  observed?: ObservedManifest[];
  /** Tags this run put, with the digests the registry stored them under: of images in `pushed`, not read again. */
  tagged?: TaggedImage[];
  /**
   * `report-templates.zip` as this run makes it from the repository, `none` when the repository has no
   * `thehive-templates/` (a published one is withdrawn); undefined keeps what is published (the templates could not
   * be read, or were not looked at).
   */
  reportTemplates?: Buffer | 'none' | undefined;
  now: Date;
}

export interface CatalogStageResult {
  /** The files a reader uses, by name: the named catalogs, the page, the index. */
  files: string[];
  index: CatalogIndex;
  missing: Problem[];
  kept: Problem[];
  /** How many times the publication was started again after another publisher committed first. */
  retries: number;
  /** Registry reads of the verification (zero without one). */
  reads: AssembledCatalogs['reads'];
}

/**
 * The catalog stage: engine catalogs verified against the registry, incremental on what was published (an
 * unchanged entry is written byte for byte as before), the signed index over all catalog files, and the HTML page;
 * then every target switches to the new publication in one step. A target on which another publisher committed
 * since it was read refuses the switch (`CATALOG_PUBLISH_CONFLICT`): the stage reads again and rebuilds on top.
 */
export async function produceCatalogs(options: CatalogStageOptions): Promise<CatalogStageResult> {
  return publishWithRetries((ownCommits) => produceOnce(options, ownCommits));
}

/**
 * Runs `attempt` again when a target refuses its commit because another publisher committed since it was read. The
 * indexes this run committed to some target before another refused are passed along: not a base to build on (see
 * readPublished).
 */
export async function publishWithRetries(
  attempt: (ownCommits: Set<string>) => Promise<Omit<CatalogStageResult, 'retries'>>,
): Promise<CatalogStageResult> {
  const ownCommits = new Set<string>();
  for (let round = 1; ; round += 1) {
    try {
      return { ...(await attempt(ownCommits)), retries: round - 1 };
    } catch (error) {
      if (!(error instanceof NeuronsError) || error.code !== 'CATALOG_PUBLISH_CONFLICT' || round >= maxAttempts)
        throw error;
    }
  }
}

/** A run without a key must not silently replace a signed publication: engines that verify would refuse it. */
export function refuseUnsignedOverSigned(
  published: PublishedState,
  options: { signingKey: unknown; allowUnsigned: boolean },
): void {
  if (!published.signed || options.signingKey || options.allowUnsigned) return;
  throw new UsageError({
    code: 'CATALOG_UNSIGNED_AFTER_SIGNED',
    ...(published.location ? { file: published.location } : {}),
    message: `the current publication (index serial ${published.serial}) is signed, and this run has no signing key`,
    hint: 'pass --sign FILE or NEURONS_SIGNING_KEY; to publish unsigned on purpose (engines with --key will refuse it), add --allow-unsigned',
  });
}

async function produceOnce(
  options: CatalogStageOptions,
  ownCommits: Set<string>,
): Promise<Omit<CatalogStageResult, 'retries'>> {
  const published = await readPublished(options.targets, ownCommits);
  refuseUnsignedOverSigned(published, options);
  // A digest the previous index recorded after checking its labels is still that image (digests name content); an
  // index without the `verified` mark (written before the check existed) vouches for nothing.
  // One that lacks its build-input digest (an older index) is read again, for the labels that record it.
  const verifiedBefore = (published.index?.flavors ?? []).flatMap((flavor) =>
    flavor.verified === true && flavor.digest && flavor.buildInputDigest
      ? [{ digest: flavor.digest, identity: { id: flavor.id, kind: flavor.kind, version: flavor.version } }]
      : [],
  );
  const assembled = await assembleCatalogs({
    workers: options.workers,
    registry: options.registry,
    client: options.client,
    verifier: options.verifier,
    channel: options.channel,
    previous: published.catalogs,
    known: [...verifiedBefore, ...options.pushed],
    ...(options.observed ? { observed: options.observed } : {}),
    ...(options.tagged ? { tagged: options.tagged } : {}),
  });

  const catalogs = new Map<string, Buffer>();
  const counts = new Map<string, number>();
  for (const [file, entries] of assembled.catalogs) {
    catalogs.set(file, serializeJson(entries));
    counts.set(file, entries.length);
  }
  // Catalogs of the other channel are not rewritten, but the new publication carries them and the index covers them.
  for (const [file, bytes] of published.catalogBytes) {
    if (catalogs.has(file)) continue;
    catalogs.set(file, bytes);
    counts.set(file, published.catalogs.get(file)?.length ?? 0);
  }
  const attachments = new Map(published.attachments);
  if (options.reportTemplates === 'none') attachments.delete(reportTemplatesFileName);
  else if (options.reportTemplates) attachments.set(reportTemplatesFileName, options.reportTemplates);
  const index = buildIndex({
    serial: published.serial + 1,
    signed: options.signingKey !== undefined,
    now: options.now,
    expiresInDays: options.expiresInDays,
    registry: `${options.registry.host}/${options.registry.namespace}`,
    files: catalogs,
    attachments,
    entryCounts: counts,
    records: assembled.records,
    buildInputDigests: options.buildInputDigests,
    previous: published.index?.flavors ?? [],
    revisions: options.revisions,
  });
  const files = await signAndPublish({
    index,
    catalogs,
    attachments,
    page: renderPage(assembled, index, options.channel),
    signingKey: options.signingKey,
    targets: options.targets,
    ownCommits,
  });
  return { files, index, missing: assembled.missing, kept: assembled.kept, reads: assembled.reads };
}

/**
 * Signs the index and switches every target to the publication (recorded in `ownCommits` first: see
 * readPublished). Returns the names a reader uses: the named catalogs, the page, the index.
 */
export async function signAndPublish(options: {
  index: CatalogIndex;
  catalogs: Map<string, Buffer>;
  attachments: Map<string, Buffer>;
  page: string;
  signingKey: { pem: string; origin: string } | undefined;
  targets: PublishTarget[];
  ownCommits: Set<string>;
}): Promise<string[]> {
  const { signingKey } = options;
  const publication = makePublication({
    index: serializeJson(options.index),
    catalogs: options.catalogs,
    attachments: options.attachments,
    sign: signingKey && ((bytes) => signBytes(bytes, signingKey.pem, signingKey.origin)),
    extra: new Map([[pageFileName, Buffer.from(options.page)]]),
  });
  options.ownCommits.add(sha256Hex(publication.index));
  for (const target of options.targets) await target.publish(publication);
  return [...publication.named.keys(), indexFileName];
}

function renderPage(
  assembled: Awaited<ReturnType<typeof assembleCatalogs>>,
  index: CatalogIndex,
  channel: Channel,
): string {
  const variant: CatalogVariant = channel === 'devel' ? 'devel' : 'default';
  const records = assembled.records.filter((record) => record.catalog === catalogFileName(record.kind, variant));
  const entries = records.map((record) => ({
    record,
    entry: assembled.catalogs.get(record.catalog)?.find((entry: CatalogEntry) => entry['name'] === record.name) ?? {},
  }));
  return renderCatalogPage({ entries, index });
}
