import type { Discovery } from './definitions/types.js';
import { catalogWorkers } from './catalog/catalog-workers.js';
import { createEngineImageVerifier } from './catalog/engine-image-facts.js';
import { produceCatalogs } from './catalog/produce-catalogs.js';
import { reportTemplatesArchive } from './catalog/report-templates-archive.js';
import type { BuildSettings } from './engine-build/build-unit.js';
import { NeuronsError } from './errors/neurons-error.js';
import type { engineInspect } from './plan/decide-local.js';
import type { ObservedManifest } from './registry/manifest.js';
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
