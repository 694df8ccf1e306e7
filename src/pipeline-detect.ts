import { startDependencyLayer } from './assemble/dependency-layers.js';
import { previousImage, warmEngine } from './assemble/publish-assembled.js';
import type { Discovery } from './definitions/types.js';
import {
  detectChanges,
  gitChangedFiles,
  type ChangedFiles,
  type DetectOptions,
  type Detection,
} from './detect/detect.js';
import { detectLocal } from './detect/detect-local.js';
import type { BuildSettings } from './engine-build/build-unit.js';
import type { BuildPlan } from './plan/build-plan.js';
import type { engineInspect } from './plan/decide-local.js';
import type { RegistryClientPool } from './registry/client-pool.js';
import type { PipelineOptions, RunContext } from './pipeline-context.js';
import { readGitHistory, type GitHistory } from './render/source-info.js';

/** What a run asks git, started before its discovery (each git process takes a while to answer, none needs it). */
export interface GitReads {
  /** The history, for each folder's last commit. */
  history: Promise<GitHistory | undefined>;
  /** What changed, when detection will ask git (not for `--local`, `--mode digest` or a pull request's list). */
  changes?: Promise<ChangedFiles>;
}

export function startGitReads(options: PipelineOptions): GitReads {
  const history = readGitHistory(options.repo);
  if (options.local || options.mode === 'digest' || options.pullRequest !== undefined) return { history };
  const changes = gitChangedFiles(options.repo, options.base, options.head, options.env);
  // Detection awaits it, after discovery; a run that ends before (invalid definitions) leaves it unread.
  changes.catch(() => undefined);
  return { history, changes };
}

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
    git: GitReads;
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
        changes: stage.git.changes,
      });
}

/**
 * What detection starts for a unit it decided to build, when its images are assembled in the registry and pushed:
 * its dependency layers (found in the registry cache, else installed), and the engine's pull of the image it published
 * before (when tested). Nothing for a dry run or a unit left as is.
 */
function startAhead(options: PipelineOptions, run: RunContext): DetectOptions['decided'] {
  if (options.dryRun || !options.push) return undefined;
  return (unit, prepared, decisions) => {
    const resolved = prepared.dependencies.resolved;
    if (prepared.assembly.mode !== 'registry' || !resolved) return;
    if (!decisions.some((decision) => decision.action === 'build')) return;
    for (const platform of resolved.platforms)
      startDependencyLayer(run.assembly.dependencies, unit.worker, platform, resolved.baseName);
    // The engine gets the layers the folder's new images share with the old ones while they are assembled.
    const previous = previousImage(decisions);
    void warmEngine(run.assembly, { smoke: options.smoke, platforms: prepared.assembly.platforms, previous });
  };
}
