import type { Flavor } from './definitions/types.js';
import type { BuiltFlavor } from './engine-build/build-unit.js';
import { NeuronsError } from './errors/neurons-error.js';
import type { BuildUnit } from './plan/build-plan.js';
import type { FlavorDecision } from './plan/decide.js';
import { pushImage } from './push/push-image.js';
import { platformManifests } from './registry/platform-manifests.js';
import { saveImage } from './engine/save-image.js';
import {
  asProblem,
  type OutcomeOf,
  type PipelineOptions,
  type PipelineReport,
  type RunContext,
} from './pipeline-context.js';

/*
 * The flavors of a folder the engine built: each smoke-tested, then saved or left in the engine (no push), or pushed
 * and verified in the registry.
 */

/** What one unit's built flavors need: the unit, its decisions, the report they go to and how outcomes are made. */
export interface BuiltUnit {
  unit: BuildUnit;
  decisions: Map<string, FlavorDecision>;
  report: PipelineReport;
  outcome: OutcomeOf;
}

/** Smoke-tests, then pushes (or saves) each wanted flavor the engine built, one after the other. */
export async function deliverBuiltFlavors(
  options: PipelineOptions,
  run: RunContext,
  target: BuiltUnit,
  wanted: Flavor[],
  built: BuiltFlavor[],
): Promise<void> {
  for (const flavor of wanted) {
    const image = built.find((item) => item.id === flavor.id);
    if (!image) continue;
    await deliverBuiltFlavor(options, run, target, flavor, image);
  }
}

async function deliverBuiltFlavor(
  options: PipelineOptions,
  run: RunContext,
  target: BuiltUnit,
  flavor: Flavor,
  image: BuiltFlavor,
): Promise<void> {
  const { docker, progress } = options;
  const { unit, report, outcome } = target;
  const worker = unit.worker.path;
  const flavorStarted = Date.now();
  if (options.smoke) {
    progress({ worker, flavor: flavor.id, state: 'testing' });
    const smoke = await options.smoke(image.references[0] ?? image.imageId, unit.worker, flavor);
    if (!smoke.passed) {
      report.outcomes.push(outcome(flavor, 'failed', smoke.problem ? { problem: smoke.problem } : {}));
      progress({ worker, flavor: flavor.id, state: 'failed', detail: smoke.problem?.code ?? 'SMOKE_FAILED' });
      return;
    }
  }
  if (!options.push) {
    if (options.save) {
      try {
        options.log(`saved ${await saveImage(docker, image.references, options.save, flavor.file)}`);
      } catch (error) {
        report.outcomes.push(outcome(flavor, 'failed', { problem: asProblem(error, flavor.file) }));
        progress({ worker, flavor: flavor.id, state: 'failed', detail: (error as NeuronsError).code });
        return;
      }
    }
    report.outcomes.push(
      outcome(flavor, 'built', { images: image.references.map((reference) => ({ reference, digest: '' })) }),
    );
    progress({ worker, flavor: flavor.id, state: 'done', durationMs: Date.now() - flavorStarted });
    return;
  }
  await pushFlavor(options, run, target, flavor, flavorStarted);
}

/** Pushes every tag of every target of one flavor, each verified in the registry by digest. */
async function pushFlavor(
  options: PipelineOptions,
  run: RunContext,
  { unit, decisions, report, outcome }: BuiltUnit,
  flavor: Flavor,
  flavorStarted: number,
): Promise<void> {
  const { docker, progress } = options;
  const worker = unit.worker.path;
  progress({ worker, flavor: flavor.id, state: 'pushing' });
  const result = outcome(flavor, 'pushed');
  try {
    for (const { target, tags } of decisions.get(flavor.id)?.pushes ?? []) {
      const client = run.clients.for(target.registry);
      for (const tag of tags) {
        const pushed = await run.pushQueue(target.registry.host)(() =>
          pushImage(docker, target.registry, target.repository, tag, { log: options.log }),
        );
        // Verified by digest: the registry serves exactly what the engine says it pushed.
        const served = await verifiedHead(() => client.headManifest(target.path, tag), options.log);
        if (!served || (pushed.digest && served.digest !== pushed.digest)) {
          throw new NeuronsError({
            code: 'PUSH_UNVERIFIED',
            file: flavor.file,
            message: `${pushed.reference} is not served with digest ${pushed.digest} after the push`,
            hint: 'check the registry (a proxy or cache in front of it may be serving stale content)',
          });
        }
        // The tags of one target name one digest: its platforms are read once.
        const platforms =
          result.images.find((image) => image.digest === served.digest)?.platforms ??
          (await verifiedHead(() => platformManifests(client, target.path, served.digest), options.log));
        result.images.push({ reference: pushed.reference, digest: served.digest, platforms });
        if (pushed.digest)
          run.pushed.push({
            digest: pushed.digest,
            identity: { id: flavor.id, kind: unit.worker.kind, version: flavor.definition.version },
          });
      }
    }
    report.outcomes.push(result);
    progress({
      worker,
      flavor: flavor.id,
      state: 'done',
      durationMs: Date.now() - flavorStarted,
      detail: result.images.map((item) => item.reference).join(' '),
    });
  } catch (error) {
    report.outcomes.push({ ...result, status: 'failed', problem: asProblem(error, flavor.file) });
    progress({ worker, flavor: flavor.id, state: 'failed', detail: (error as NeuronsError).code });
  }
}

/**
 * The post-push check, asked again when the registry could not answer it (a timeout, a reset, a 5xx after the
 * transport's own retries): a flavor is called failed for what the registry serves, not for a lost answer.
 */
async function verifiedHead<T>(head: () => Promise<T>, log: (line: string) => void): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await head();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (
        attempt >= 3 ||
        !(code === 'REGISTRY_UNREACHABLE' || code === 'REGISTRY_RATE_LIMITED' || code === 'REGISTRY_HTTP')
      )
        throw error;
      log(`retry: post-push check failed (${code}); checking again`);
    }
  }
}
