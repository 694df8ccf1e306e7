import type { UnitDependencies } from './assemble/resolve-dependencies.js';
import { previousImage, publishAssembledUnit } from './assemble/publish-assembled.js';
import type { Flavor } from './definitions/types.js';
import type { PreparedFolderBuild } from './engine-build/build-unit.js';
import type { BuildUnit } from './plan/build-plan.js';
import type { FlavorDecision } from './plan/decide.js';
import type { OutcomeOf, PipelineOptions, PipelineReport, RunContext } from './pipeline-context.js';

/** The flavors of a folder assembled in the registry: published (smoke-tested, then tagged) by publishAssembledUnit. */
export async function processAssembledUnit(
  options: PipelineOptions,
  run: RunContext,
  unit: BuildUnit,
  ready: PreparedFolderBuild,
  wanted: Flavor[],
  decisions: Map<string, FlavorDecision>,
  report: PipelineReport,
  outcome: OutcomeOf,
): Promise<void> {
  const worker = unit.worker.path;
  const flavors = wanted.flatMap((flavor) => {
    const inputs = ready.flavors.find((item) => item.flavor.id === flavor.id)?.inputs;
    return inputs ? [{ flavor, inputs, pushes: decisions.get(flavor.id)?.pushes ?? [] }] : [];
  });
  if (!ready.dependencies.resolved) {
    const problem = ready.dependencies.problem ?? {
      code: 'DEPENDENCIES_UNRESOLVED',
      file: worker,
      message: 'the dependencies of this folder were not resolved',
    };
    for (const flavor of wanted) {
      report.outcomes.push(outcome(flavor, 'failed', { problem }));
      options.progress({ worker, flavor: flavor.id, state: 'failed', detail: problem.code });
    }
    return;
  }
  const started = Date.now();
  const results = await publishAssembledUnit(
    run.assembly,
    {
      repo: options.repo,
      worker: unit.worker,
      dependencies: ready.dependencies.resolved as UnitDependencies,
      platforms: ready.assembly.platforms,
      source: run.settings.source.folder(worker),
      templateId: ready.rendered.templateId,
      env: options.env,
      smoke: options.smoke,
      progress: (flavorId, state) => options.progress({ worker, flavor: flavorId, state }),
      previous: previousImage(wanted.map((flavor) => decisions.get(flavor.id))),
    },
    flavors,
  );
  for (const { flavor } of flavors) {
    const result = results.find((item) => item.flavorId === flavor.id);
    if (!result || result.problem) {
      report.outcomes.push(outcome(flavor, 'failed', result?.problem ? { problem: result.problem } : {}));
      options.progress({
        worker,
        flavor: flavor.id,
        state: 'failed',
        detail: result?.problem?.code ?? 'ASSEMBLY_FAILED',
      });
      continue;
    }
    report.outcomes.push(outcome(flavor, 'pushed', { images: result.images }));
    if (result.digest)
      run.pushed.push({
        digest: result.digest,
        identity: { id: flavor.id, kind: unit.worker.kind, version: flavor.definition.version },
      });
    options.progress({
      worker,
      flavor: flavor.id,
      state: 'done',
      durationMs: Date.now() - started,
      detail: result.images.map((item) => item.reference).join(' '),
    });
  }
}
