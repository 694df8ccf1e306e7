import type { Discovery } from './definitions/types.js';
import { catalogReferences, readConcurrency } from './catalog/assemble-catalogs.js';
import { catalogWorkers } from './catalog/catalog-workers.js';
import { createEngineImageVerifier } from './catalog/engine-image-facts.js';
import { produceCatalogs } from './catalog/produce-catalogs.js';
import { reportTemplatesArchive } from './catalog/report-templates-archive.js';
import type { BuildSettings } from './engine-build/build-unit.js';
import { NeuronsError } from './errors/neurons-error.js';
import type { engineInspect } from './plan/decide-local.js';
import { parseImageReference } from './images/reference.js';
import type { FlavorDecision } from './plan/decide.js';
import type { RegistryClientPool } from './registry/client-pool.js';
import type { ObservedManifest } from './registry/manifest.js';
import { createLimiter } from './util/limit.js';
import type { PipelineOptions, PipelineReport, RunContext } from './pipeline-context.js';

/**
 * The catalog stage: catalogs of what the registry (the engine with `--local`) serves now, written to every target.
 * A failure that stops it (registry unreachable, credentials refused) is the report's `fatal`: nothing was written.
 */
export async function publishCatalogs(
  options: PipelineOptions,
  discovery: Discovery,
  report: PipelineReport,
  run: RunContext,
  runSettings: BuildSettings,
  inspect: ReturnType<typeof engineInspect>,
  observed: ObservedManifest[],
): Promise<void> {
  const { config } = options;
  const local = options.local ?? false;
  const clients = run.clients;
  const [primary] = config.registries;
  if (!options.catalog || !primary) return;
  try {
    const publishable = catalogWorkers(discovery);
    const result = await produceCatalogs({
      workers: publishable,
      registry: primary,
      client: local ? undefined : clients.for(primary),
      verifier: local ? createEngineImageVerifier(inspect) : undefined,
      channel: config.channel,
      targets: options.targets,
      signingKey: options.signingKey,
      allowUnsigned: options.allowUnsigned,
      expiresInDays: options.expiresInDays,
      // A failed or refused flavor's inputs are not those of whatever image its tags still name.
      buildInputDigests: new Map(
        report.outcomes
          .filter(
            (outcome) =>
              outcome.buildInputDigest &&
              (outcome.status === 'pushed' || outcome.status === 'unchanged' || (local && outcome.status === 'built')),
          )
          .map((outcome) => [outcome.id, outcome.buildInputDigest]),
      ),
      revisions: new Map(
        publishable.flatMap((worker) => {
          const revision = runSettings.source.folder(worker.path).revision;
          return revision ? [[worker.path, revision] as const] : [];
        }),
      ),
      pushed: run.pushed,
      observed,
      tagged: report.outcomes.flatMap((outcome) =>
        outcome.status === 'pushed'
          ? outcome.images
              .filter((image) => image.digest !== '')
              .map(({ reference, digest }) => ({ reference, digest }))
          : [],
      ),
      reportTemplates: reportTemplatesArchive(discovery),
      now: new Date(),
    });
    report.missing = result.missing;
    report.kept = result.kept;
    report.indexSerial = result.index.serial;
    report.catalogFiles = options.targets.flatMap((target) => result.files.map((file) => target.locate(file)));
  } catch (error) {
    if (!(error instanceof NeuronsError)) throw error;
    report.fatal = error;
  }
}

/** A catalog tag read before the catalog stage, and the flavor it belongs to. */
export interface EarlyObservation {
  id: string;
  observed: ObservedManifest;
}

/**
 * The catalog tags of the flavors detection left alone without reading them (git named other workers), read while the
 * run's folders are processed: the catalog stage then reads only what the run changed. The catalog stage takes those
 * of flavors that end the run unchanged (see catalogObservations); a tag that cannot be read here is read there.
 */
export async function readCatalogTagsEarly(
  options: PipelineOptions,
  discovery: Discovery,
  decisions: Map<string, FlavorDecision>,
  clients: RegistryClientPool,
): Promise<EarlyObservation[]> {
  const [primary] = options.config.registries;
  if (!options.catalog || !primary || (options.local ?? false)) return [];
  const unread = catalogReferences(catalogWorkers(discovery), primary, options.config.channel).filter(
    ({ id, reference }) => {
      const decision = decisions.get(id);
      return (
        (decision === undefined || decision.action === 'skip') &&
        !(decision?.observed ?? []).some((item) => item.reference === reference)
      );
    },
  );
  if (unread.length === 0) return [];
  const client = clients.for(primary);
  const repositories = unread.map(({ reference }) => parseImageReference(reference));
  try {
    await client.authorize([...new Set(repositories.map((parsed) => parsed.repository))]);
  } catch {
    return [];
  }
  const limit = createLimiter(readConcurrency);
  const read = await Promise.all(
    unread.map(({ id, reference }, index) =>
      limit(async (): Promise<EarlyObservation | undefined> => {
        const parsed = repositories[index] as ReturnType<typeof parseImageReference>;
        const found = await client.readManifest(parsed.repository, parsed.tag ?? 'latest').catch(() => undefined);
        return found ? { id, observed: { reference, ...found } } : undefined;
      }),
    ),
  );
  return read.filter((item) => item !== undefined);
}

/**
 * What the catalog stage takes as read: the tags detection read, and those read early, of the flavors that end the
 * run unchanged. A flavor pushed, refused or failed has its tags read again.
 */
export function catalogObservations(
  decisions: Map<string, FlavorDecision>,
  report: PipelineReport,
  early: EarlyObservation[],
): ObservedManifest[] {
  const unchanged = new Set(report.outcomes.filter((outcome) => outcome.status === 'unchanged').map((item) => item.id));
  return [
    ...[...decisions].flatMap(([id, decision]) =>
      decision.action === 'skip' && unchanged.has(id) ? (decision.observed ?? []) : [],
    ),
    ...early.filter(({ id }) => unchanged.has(id)).map(({ observed }) => observed),
  ];
}
