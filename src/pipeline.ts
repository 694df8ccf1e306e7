import { prepareBuildSettings } from './engine-build/build-settings.js';
import { pinBaseImages } from './render/pin-base-images.js';
import {
  buildUnit,
  prepareFolderBuild,
  unitKey,
  type BuildSettings,
  type PreparedFolderBuild,
} from './engine-build/build-unit.js';
import { splitInvalidFlavors } from './definitions/buildable.js';
import { discoverRepository } from './definitions/discover.js';
import type { Discovery } from './definitions/types.js';
import { buildPlan, type BuildPlan, type BuildUnit } from './plan/build-plan.js';
import { checkImageNameLengths } from './plan/check-image-names.js';
import { assignShards, estimateCosts } from './plan/shards.js';
import type { FlavorDecision } from './plan/decide.js';
import type { ObservedManifest } from './registry/manifest.js';
import type { Detection } from './detect/detect.js';
import { detect, startGitReads } from './pipeline-detect.js';
import { RegistryClientPool } from './registry/client-pool.js';
import { runContentStore } from './registry/content-store.js';
import { createLimiter } from './util/limit.js';
import { describeMode } from './assemble/assembly-mode.js';
import { preloadDocker } from './engine/lazy-docker.js';
import { engineInspect } from './plan/decide-local.js';
import {
  asProblem,
  createRunContext,
  flavorOutcomes,
  type OutcomeOf,
  type PipelineOptions,
  type PipelineReport,
  type RunContext,
} from './pipeline-context.js';
import { processAssembledUnit } from './pipeline-assembled-unit.js';
import { deliverBuiltFlavors } from './pipeline-engine-unit.js';
import {
  catalogObservations,
  publishCatalogs,
  readCatalogTagsEarly,
  type EarlyObservation,
} from './pipeline-catalog.js';

export type { PublishedImage } from './registry/platform-manifests.js';
export type { SmokeTester } from './smoke/tester.js';
export type {
  FlavorOutcome,
  FolderLog,
  PipelineOptions,
  PipelineReport,
  ProgressEvent,
  ProgressState,
} from './pipeline-context.js';

/** Build (once per folder), smoke-test, push and verify what the decisions ask for, one unit at a time. */
async function processUnit(
  options: PipelineOptions,
  run: RunContext,
  unit: BuildUnit,
  prepared: PreparedFolderBuild | undefined,
  decisions: Map<string, FlavorDecision>,
  report: PipelineReport,
): Promise<void> {
  const { docker, progress } = options;
  const worker = unit.worker.path;
  const outcome = flavorOutcomes(worker, prepared, decisions);
  const wanted = unit.flavors.filter(({ flavor }) => decisions.get(flavor.id)?.action === 'build');
  reportNotBuilt(options, unit, decisions, report, outcome);
  if (wanted.length === 0) return;
  const started = Date.now();
  progress({ worker, state: 'building' });
  let built;
  try {
    report.folderBuilds += 1;
    const ready = prepared ?? (await prepareFolderBuild(options.repo, unit, run.settings));
    if (ready.assembly.mode === 'registry' && options.push) {
      await processAssembledUnit(
        options,
        run,
        unit,
        ready,
        wanted.map(({ flavor }) => flavor),
        decisions,
        report,
        outcome,
      );
      return;
    }
    built = await buildUnit(
      docker,
      unit,
      ready,
      run.settings,
      new Set(wanted.map(({ flavor }) => flavor.id)),
      options.log,
    );
  } catch (error) {
    const problem = asProblem(error, worker);
    for (const { flavor } of wanted) report.outcomes.push(outcome(flavor, 'failed', { problem }));
    progress({ worker, state: 'failed', durationMs: Date.now() - started, detail: problem.code });
    return;
  }
  await deliverBuiltFlavors(
    options,
    run,
    { unit, decisions, report, outcome },
    wanted.map(({ flavor }) => flavor),
    built,
  );
}

/** The flavors of a unit nothing is built for: the skipped ones unchanged, the refused ones failed. */
function reportNotBuilt(
  options: PipelineOptions,
  unit: BuildUnit,
  decisions: Map<string, FlavorDecision>,
  report: PipelineReport,
  outcome: OutcomeOf,
): void {
  const { progress } = options;
  const worker = unit.worker.path;
  for (const { flavor } of unit.flavors) {
    const decision = decisions.get(flavor.id);
    if (!decision || decision.action === 'skip') {
      report.outcomes.push(outcome(flavor, 'unchanged'));
      progress({
        worker,
        flavor: flavor.id,
        state: 'skipped',
        detail: options.local ? 'unchanged in the engine' : 'unchanged in the registry',
      });
    } else if (decision?.action === 'refuse') {
      report.outcomes.push(outcome(flavor, 'failed', decision.problem ? { problem: decision.problem } : {}));
      progress({ worker, flavor: flavor.id, state: 'failed', detail: decision.problem?.code ?? 'refused' });
    }
  }
}

/** Runs one folder's work with its own log, when the caller gives folders one, and ends that log whatever happens. */
async function withFolderLog(
  options: PipelineOptions,
  run: RunContext,
  worker: string,
  work: (options: PipelineOptions, run: RunContext) => Promise<void>,
): Promise<void> {
  const folder = options.folderLog?.(worker);
  if (!folder) return work(options, run);
  try {
    await work({ ...options, log: folder.log }, { ...run, assembly: { ...run.assembly, log: folder.log } });
  } finally {
    folder.end();
  }
}

/** The folders of one shard, narrowed by `--only` when given. A shard with nothing assigned builds nothing. */
async function shardFolders(
  repo: string,
  discovery: Discovery,
  shard: { index: number; count: number },
  only: string[],
): Promise<string[]> {
  const mine = assignShards(await estimateCosts(repo, discovery.workers), shard.count)[shard.index - 1]?.folders ?? [];
  const narrowed =
    only.length === 0
      ? mine
      : mine.filter((folder) => only.includes(folder) || only.includes(folder.split('/')[1] ?? ''));
  // `only` empty means every folder: a shard with none names a folder that cannot exist instead.
  return narrowed.length > 0 ? narrowed : ['\0'];
}

/** The folder build of each unit, prepared once: before the dry run stops, so that it shows the build inputs. */
function prepareActiveUnits(
  repo: string,
  plan: BuildPlan,
  { decisions, prepared: preparedByDetection }: Detection,
  runSettings: BuildSettings,
  limit: ReturnType<typeof createLimiter>,
): Promise<(PreparedFolderBuild | undefined)[]> {
  // Units something is to be done for, as detection prepared them (in git mode it prepared none).
  const active = (unit: BuildUnit): boolean =>
    unit.flavors.some(
      ({ flavor }) => decisions.get(flavor.id)?.action !== undefined && decisions.get(flavor.id)?.action !== 'skip',
    );
  return Promise.all(
    plan.units.map((unit) =>
      active(unit)
        ? (preparedByDetection.get(unitKey(unit)) ?? limit(() => prepareFolderBuild(repo, unit, runSettings)))
        : undefined,
    ),
  );
}

/** `--dry-run`: what would be built and pushed, and why, for every flavor of the plan. */
function reportPlanned(
  plan: BuildPlan,
  prepared: (PreparedFolderBuild | undefined)[],
  decisions: Map<string, FlavorDecision>,
  report: PipelineReport,
): void {
  for (const [index, unit] of plan.units.entries()) {
    for (const { flavor } of unit.flavors) {
      const inputs = prepared[index]?.flavors.find((item) => item.flavor.id === flavor.id)?.inputs ?? {
        digest: '',
      };
      const assembly = prepared[index]?.assembly;
      const decision = decisions.get(flavor.id);
      const images = (decision?.pushes ?? []).flatMap(({ target, tags }) =>
        tags.map((tag) => ({ reference: `${target.repository}:${tag}`, digest: '' })),
      );
      report.outcomes.push({
        id: flavor.id,
        file: flavor.file,
        worker: '',
        status: decision?.action === 'build' ? 'planned' : decision?.action === 'refuse' ? 'failed' : 'unchanged',
        reasons: decision?.reasons ?? [],
        images,
        buildInputDigest: inputs.digest,
        ...(assembly ? { how: describeMode(assembly) } : {}),
        ...(decision?.problem ? { problem: decision.problem } : {}),
      });
    }
  }
}

/** Every unit, a few at once, each with its own log; then the outcomes in plan order. */
async function processUnits(
  options: PipelineOptions,
  run: RunContext,
  plan: BuildPlan,
  prepared: (PreparedFolderBuild | undefined)[],
  decisions: Map<string, FlavorDecision>,
  report: PipelineReport,
  limit: ReturnType<typeof createLimiter>,
): Promise<void> {
  for (const unit of plan.units)
    for (const { flavor } of unit.flavors)
      options.progress({ worker: unit.worker.path, flavor: flavor.id, state: 'queued' });
  const local = options.local ?? false;
  // Nothing leaves the engine in local mode: its images are built and tagged there, and that is all.
  const unitOptions = local ? { ...options, push: false } : options;
  await Promise.all(
    startOrder(plan, prepared).map((index) => {
      const unit = plan.units[index] as BuildUnit;
      return limit(() =>
        withFolderLog(unitOptions, run, unit.worker.path, (folderOptions, folderRun) =>
          processUnit(folderOptions, folderRun, unit, prepared[index], decisions, report),
        ),
      );
    }),
  );
  // Outcomes in plan order, whatever order the units finished in.
  const order = plan.units.flatMap((unit) => unit.flavors.map(({ flavor }) => flavor.id));
  report.outcomes.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
}

/**
 * The order the units start in (indexes in the plan): first each unit on a dependency layer no unit before it has
 * (its install, the longest wait of a cold run, then overlaps the others' work instead of ending the run), then the
 * others, in plan order.
 */
export function startOrder(plan: BuildPlan, prepared: (PreparedFolderBuild | undefined)[]): number[] {
  const seen = new Set<string>();
  const first: number[] = [];
  const rest: number[] = [];
  for (const index of plan.units.keys()) {
    const keys = prepared[index]?.dependencies.resolved?.platforms.map((platform) => platform.key) ?? [];
    const fresh = keys.filter((key): key is string => key !== undefined && !seen.has(key));
    for (const key of fresh) seen.add(key);
    (fresh.length > 0 ? first : rest).push(index);
  }
  return [...first, ...rest];
}

/** The repository's workers, the valid flavors among them, and the plan of what to build. */
async function discover(options: PipelineOptions) {
  const { repo, config } = options;
  const discovery = await discoverRepository(repo, { definitionsOnly: false });
  checkImageNameLengths(discovery, config.registries);
  // An invalid definition leaves out its flavor, not its folder: the stages below see the valid flavors only.
  const { discovery: buildable, excluded } = splitInvalidFlavors(discovery);
  const only = options.shard ? await shardFolders(repo, discovery, options.shard, options.only) : options.only;
  return { discovery, buildable, excluded, only, plan: buildPlan(repo, buildable, config, only) };
}

/** What a run with work to do starts ahead in the engine: its client, and the tests' namespace without network. */
function startEngine(
  options: PipelineOptions,
  prepared: (PreparedFolderBuild | undefined)[],
  settings: BuildSettings,
): void {
  const work = prepared.some(Boolean);
  // Work to do means an engine soon (smoke tests, engine builds): its client loads while the work waits on the network.
  if (work && (options.smoke || prepared.some((unit) => unit && unit.assembly.mode !== 'registry')))
    preloadDocker(options.docker);
  // Tests of several folders to run: their namespace without network starts now, from a base image the engine has,
  // if any. One folder's batches get namespaces of their own: a holder would cost as much, and its start would slow
  // the engine's pulls ahead of them.
  if (prepared.filter(Boolean).length > 1 && options.smoke?.warm)
    options.smoke.warm(Object.values(settings.baseImages).filter((image): image is string => Boolean(image)));
}

/** discover -> plan -> render -> decide -> build -> test -> push -> catalog -> publish. */
export async function runPipeline(options: PipelineOptions): Promise<PipelineReport> {
  const { repo, config } = options;
  const clients = new RegistryClientPool(options.log, { content: runContentStore(options.env) });
  const local = options.local ?? false;
  // The base images are pinned (a registry read) while the repository is read; its failure is reported below.
  const pinned = pinBaseImages(config, options.offline || local, clients);
  pinned.catch(() => undefined);
  const git = startGitReads(options);
  const { discovery, buildable, excluded, only, plan } = await discover(options).catch(async (error: unknown) => {
    await pinned.catch(() => undefined);
    await clients.close();
    throw error;
  });
  const report: PipelineReport = {
    discovery,
    excluded,
    plan,
    outcomes: [],
    folderBuilds: 0,
    catalogFiles: [],
    missing: [],
    kept: [],
  };
  let settings: BuildSettings | undefined;
  try {
    for (const registry of config.registries)
      if (registry.insecure)
        options.log(`WARNING: TLS verification is off for registry ${registry.host} (insecure: true)`);
    const runSettings = await prepareBuildSettings(repo, buildable, config, {
      offline: options.offline,
      env: options.env,
      clients,
      push: options.push && !local,
      local,
      pinned,
      history: git.history,
    });
    settings = runSettings;
    const limit = createLimiter(Math.max(1, options.concurrency));
    const inspect = engineInspect(options.docker);
    const run = createRunContext(options, runSettings, clients);
    const detection = await detect(options, {
      buildable,
      plan,
      only,
      settings: runSettings,
      clients,
      inspect,
      run,
      git,
    });
    const { decisions, prepared: preparedByDetection, ...detected } = detection;
    report.detection = detected;
    const prepared = await prepareActiveUnits(repo, plan, detection, runSettings, limit);
    if (options.dryRun) {
      reportPlanned(plan, prepared, decisions, report);
      return report;
    }
    startEngine(options, prepared, runSettings);
    // The catalog's reads of what detection did not read wait for a folder's tests to start: they would slow the
    // uploads and pulls ahead of them, and the registry is idle while the engine runs the tests.
    let early: Promise<EarlyObservation[]> | undefined;
    const readEarly = (): Promise<EarlyObservation[]> =>
      (early ??= readCatalogTagsEarly(options, discovery, decisions, clients));
    run.assembly.testsStarted = () => void readEarly();
    await processUnits(options, run, plan, prepared, decisions, report, limit);
    // The tests are over: what the tester keeps for them is removed while the catalogs are published.
    void options.smoke?.close?.();
    const observed = catalogObservations(decisions, report, await readEarly());
    await publishCatalogs(options, discovery, report, run, runSettings, inspect, observed);
    return report;
  } finally {
    await options.smoke?.close?.();
    await settings?.dependencies?.close();
    await clients.close();
  }
}
