import { startDependencyLayer } from './assemble/dependency-layers.js';
import type { Discovery } from './definitions/types.js';
import { detectChanges, type DetectOptions, type Detection } from './detect/detect.js';
import { detectLocal } from './detect/detect-local.js';
import type { BuildSettings } from './engine-build/build-unit.js';
import type { BuildPlan } from './plan/build-plan.js';
import type { engineInspect } from './plan/decide-local.js';
import type { RegistryClientPool } from './registry/client-pool.js';
import type { PipelineOptions, RunContext } from './pipeline-context.js';

/** Decisions for every flavor: from the engine's own images with `--local`, from git and the registry otherwise. */
export function detect(
  options: PipelineOptions,
  stage: {
    buildable: Discovery;
    plan: BuildPlan;
    only: string[];
    settings: BuildSettings;
    clients: RegistryClientPool;
    inspect: ReturnType<typeof engineInspect>;
    run: RunContext;
  },
): Promise<Detection> {
  const { repo, config } = options;
  const { plan, settings: runSettings, clients, inspect, only } = stage;
  return (options.local ?? false)
    ? detectLocal({ repo, units: plan.units, settings: runSettings, inspect, force: options.force })
    : detectChanges({
        repo,
        discovery: stage.buildable,
        config,
        settings: runSettings,
        clients,
        mode: options.mode,
        only,
        base: options.base,
        head: options.head,
        pullRequest: options.pullRequest,
        force: options.force,
        env: options.env,
        decided: startAhead(options, stage.run),
      });
}

/**
 * What detection starts for a unit it decided to build: its dependency layers (found in the registry cache, else
 * installed), when its images are assembled in the registry and pushed. Nothing for a dry run or a unit left as is.
 */
function startAhead(options: PipelineOptions, run: RunContext): DetectOptions['decided'] {
  if (options.dryRun || !options.push) return undefined;
  return (unit, prepared, decisions) => {
    const resolved = prepared.dependencies.resolved;
    if (prepared.assembly.mode !== 'registry' || !resolved) return;
    if (!decisions.some((decision) => decision.action === 'build')) return;
    for (const platform of resolved.platforms)
      startDependencyLayer(run.assembly.dependencies, unit.worker, platform, resolved.baseName);
  };
}
