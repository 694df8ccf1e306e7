import { createWorkerId } from '../definitions/version.js';
import type { WorkerIdentity } from '../images/worker-labels.js';
import { NeuronsError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';
import type { PublishTarget } from '../publish/publish-target.js';
import type { CatalogEntry, CatalogRecord } from './assemble-catalogs.js';
import type { KnownImage, RecordedInputs } from './image-facts.js';
import { catalogKind } from './catalog-entry.js';
import { renderCatalogPage } from './html-page.js';
import { buildIndex, serializeJson, type CatalogIndex } from './index-file.js';
import {
  publishWithRetries,
  refuseUnsignedOverSigned,
  signAndPublish,
  type CatalogStageResult,
} from './produce-catalogs.js';
import { readPublished } from './published-state.js';

/** What the registry says of an entry's image: its digest when it is that worker at that version, else why not. */
export type EntryImageCheck =
  | { ok: true; digest: string; verified: boolean; recorded?: RecordedInputs }
  | { ok: false; code: string; reason: string };
export interface EntryImageVerifier {
  check(reference: string, expected: WorkerIdentity): Promise<EntryImageCheck>;
  /** Registry reads so far, as the catalog stage counts them. */
  readonly counts: { manifests: number; labelled: number; known: number };
}

export interface RefreshOptions {
  targets: PublishTarget[];
  /** Made once the publication is read: the digests its index recorded as verified need no read. */
  verifier: (known: KnownImage[]) => EntryImageVerifier;
  signingKey: { pem: string; origin: string } | undefined;
  allowUnsigned: boolean;
  /** Drop the entries whose image no longer verifies instead of refusing to refresh. */
  allowPartial: boolean;
  expiresInDays: number;
  now: Date;
}

/**
 * `neurons catalog --refresh`: the current publication, every entry of every catalog verified again against the
 * registry, re-signed with a new serial and expiry, without a build or a checkout. Engines that verify refuse an
 * index once it expires: a quiet month must not lock them out, and a registry whose images were replaced since must
 * not keep the old digests in a signed index. An entry whose image no longer is that worker at that version refuses
 * the refresh (nothing is written) unless `allowPartial`, which drops it.
 */
export async function refreshCatalogs(options: RefreshOptions): Promise<CatalogStageResult> {
  return publishWithRetries(async (ownCommits) => {
    const published = await readPublished(options.targets, ownCommits);
    if (!published.index || published.catalogBytes.size === 0) {
      throw new NeuronsError({
        code: 'CATALOG_REFRESH_NOTHING',
        message: `no publication to refresh in ${options.targets.map((target) => target.description).join(', ')}`,
        hint: 'publish once with neurons pipeline or neurons catalog; --refresh re-signs what is published',
      });
    }
    refuseUnsignedOverSigned(published, options);
    // A flavor the index lists without its build-input digest (an older index) is read again, for the labels that record it.
    const verifier = options.verifier(
      published.index.flavors.flatMap((flavor) =>
        flavor.verified === true && flavor.digest && flavor.buildInputDigest
          ? [{ digest: flavor.digest, identity: { id: flavor.id, kind: flavor.kind, version: flavor.version } }]
          : [],
      ),
    );
    const checked = await checkPublishedCatalogs(published, verifier);
    const { missing, records, catalogs, counts, kept } = checked;
    if (missing.length > 0 && !options.allowPartial) throw unverified(missing);
    const previous = published.index;
    // A flavor whose image is the one the previous index recorded keeps its build-input digest and revision.
    const index = buildIndex({
      serial: published.serial + 1,
      signed: options.signingKey !== undefined,
      now: options.now,
      expiresInDays: options.expiresInDays,
      registry: (previous as Partial<CatalogIndex>).registry ?? '',
      files: catalogs,
      attachments: published.attachments,
      entryCounts: counts,
      records,
      buildInputDigests: new Map(),
      revisions: new Map(),
      previous: previous.flavors,
    });
    const files = await signAndPublish({
      index,
      catalogs,
      attachments: published.attachments,
      page: renderRefreshedPage(kept, records, index),
      signingKey: options.signingKey,
      targets: options.targets,
      ownCommits,
    });
    return { files, index, missing: options.allowPartial ? missing : [], kept: [], reads: { ...verifier.counts } };
  });
}

/** Every published catalog with the entries that still verify, and what the index records of each. */
interface CheckedCatalogs {
  records: CatalogRecord[];
  missing: Problem[];
  catalogs: Map<string, Buffer>;
  counts: Map<string, number>;
  kept: Map<string, CatalogEntry[]>;
}

async function checkPublishedCatalogs(
  published: Awaited<ReturnType<typeof readPublished>>,
  verifier: EntryImageVerifier,
): Promise<CheckedCatalogs> {
  const checked: CheckedCatalogs = {
    records: [],
    missing: [],
    catalogs: new Map(),
    counts: new Map(),
    kept: new Map(),
  };
  for (const [file, bytes] of published.catalogBytes) {
    const entries = published.catalogs.get(file) ?? [];
    const kind = catalogKind(file);
    const checks = await Promise.all(entries.map((entry) => checkEntry(entry, kind, verifier)));
    const keptEntries: CatalogEntry[] = [];
    for (const { entry, name, version, image, id, check } of checks) {
      if (!check.ok) {
        checked.missing.push({
          code: check.code,
          file,
          message: `${name} ${version} (${image || 'no image'}): ${check.reason}`,
          hint: 'rebuild and publish the worker (neurons pipeline), or refresh with --allow-partial to drop it',
        });
        continue;
      }
      keptEntries.push(entry);
      checked.records.push({
        catalog: file,
        id,
        kind,
        name,
        version,
        image,
        digest: check.digest,
        verified: check.verified,
        kept: false,
        workerPath: undefined,
        ...(check.recorded ? { recorded: check.recorded } : {}),
      });
    }
    checked.kept.set(file, keptEntries);
    // Unchanged catalogs keep their exact bytes, hence their hash: only the index is new.
    checked.catalogs.set(file, keptEntries.length === entries.length ? bytes : serializeJson(keptEntries));
    checked.counts.set(file, keptEntries.length);
  }
  return checked;
}

/** One published entry, and what the registry says of its image. */
async function checkEntry(entry: CatalogEntry, kind: ReturnType<typeof catalogKind>, verifier: EntryImageVerifier) {
  const name = String(entry['name'] ?? '');
  const version = String(entry['version'] ?? '');
  const image = typeof entry['dockerImage'] === 'string' ? entry['dockerImage'] : '';
  const id = createWorkerId(name, version);
  const check: EntryImageCheck = image
    ? await verifier.check(image, { id, kind, version })
    : { ok: false, code: 'CATALOG_IMAGE_MISSING', reason: 'the entry has no dockerImage' };
  return { entry, name, version, image, id, check };
}

function unverified(missing: Problem[]): NeuronsError {
  return new NeuronsError({
    code: 'CATALOG_REFRESH_UNVERIFIED',
    message: `${missing.length} entr${missing.length === 1 ? 'y' : 'ies'} no longer verif${missing.length === 1 ? 'ies' : 'y'}: ${missing
      .slice(0, 5)
      .map((problem) => `${problem.file}: ${problem.message}`)
      .join('; ')}${missing.length > 5 ? '; ...' : ''}`,
    hint: 'nothing was written; rebuild and publish those workers, or refresh with --allow-partial to drop them',
  });
}

function renderRefreshedPage(
  catalogs: Map<string, CatalogEntry[]>,
  records: CatalogRecord[],
  index: CatalogIndex,
): string {
  // The page shows the default catalogs, else the devel ones (a devel-only publication).
  const variant = catalogs.has('analyzers.json') || catalogs.has('responders.json') ? '' : '-devel';
  const files = new Set([`analyzers${variant}.json`, `responders${variant}.json`]);
  const entries = records
    .filter((record) => files.has(record.catalog))
    .map((record) => ({
      record,
      entry: catalogs.get(record.catalog)?.find((entry) => entry['name'] === record.name) ?? {},
    }));
  return renderCatalogPage({ entries, index });
}
