import type Docker from 'dockerode';
import { prepareBuildSettings } from './engine-build/build-settings.js';
import {
  buildUnit,
  prepareFolderBuild,
  unitKey,
  type BuildSettings,
  type PreparedFolderBuild,
} from './engine-build/build-unit.js';
import type { KnownImage } from './catalog/assemble-catalogs.js';
import { catalogWorkers } from './catalog/catalog-workers.js';
import { produceCatalogs } from './catalog/produce-catalogs.js';
import { reportTemplatesArchive } from './catalog/report-templates-archive.js';
import type { Config } from './config/load-config.js';
import { splitInvalidFlavors, type ExcludedFlavor } from './definitions/buildable.js';
import { discoverRepository } from './definitions/discover.js';
import type { Discovery, Flavor, WorkerFolder } from './definitions/types.js';
import { NeuronsError } from './errors/neurons-error.js';
import type { Problem } from './errors/problem.js';
import { buildPlan, type BuildPlan, type BuildUnit } from './plan/build-plan.js';
import { checkImageNameLengths } from './plan/check-image-names.js';
import { assignShards, estimateCosts } from './plan/shards.js';
import type { FlavorDecision } from './plan/decide.js';
import { detectChanges, type DetectMode, type Detection } from './detect/detect.js';
import type { PublishTarget } from './publish/targets.js';
import { pushImage } from './push/push-image.js';
import { RegistryClientPool } from './registry/client-pool.js';
import { platformManifests, type PlatformManifest } from './registry/platform-manifests.js';
import { createLimiter } from './util/limit.js';
import type { AssemblyRun } from './assemble/assemble-unit.js';
import type { UnitDependencies } from './assemble/resolve-dependencies.js';
import { BlobPlacer } from './assemble/blob-source.js';
import { describeMode } from './assemble/assembly-mode.js';
import { publishAssembledUnit } from './assemble/publish-assembled.js';
import { detectLocal } from './detect/detect-local.js';
import { saveImage } from './engine/save-image.js';
import { engineInspect } from './plan/decide-local.js';
import { createEngineImageVerifier } from './catalog/engine-image-facts.js';
import type { PublishedImage } from './registry/platform-manifests.js';
import type { SmokeTester } from './smoke/tester.js';

export type { PublishedImage } from './registry/platform-manifests.js';
export type { SmokeTester } from './smoke/tester.js';

export type ProgressState = 'queued' | 'building' | 'testing' | 'pushing' | 'done' | 'skipped' | 'failed';

export interface ProgressEvent {
  worker: string;
  flavor?: string;
  state: ProgressState;
  durationMs?: number;
  detail?: string;
}

export interface FlavorOutcome {
  id: string;
  file: string;
  worker: string;
  /** pushed: built and pushed; built: built only (no push asked, or `--local`); unchanged: the registry (the engine with `--local`) already has it. */
  status: 'pushed' | 'built' | 'unchanged' | 'failed' | 'planned';
  reasons: string[];
  /**
   * Every reference pushed, with its manifest digest, checked in the registry after the push, and the image manifest
   * of each platform that digest names (an index names several). A failed flavor lists what was pushed before it failed.
   */
  images: PublishedImage[];
  buildInputDigest: string;
  /** How its image is made: assembled in the registry for which platforms, or built by the engine and why. */
  how?: string;
  problem?: Problem;
}

/**
 * The log of one folder's build, given its own lines (a CI log folds them under the folder's name). `end` is called
 * once the folder is done, failed or not.
 */
export interface FolderLog {
  log: (line: string) => void;
  end: () => void;
}

export interface PipelineReport {
  discovery: Discovery;
  /** Definitions left out for their own errors: the other flavors of their folders are built. */
  excluded: ExcludedFlavor[];
  plan: BuildPlan;
  outcomes: FlavorOutcome[];
  /** Folder images built (one per folder and requirements file); flavor images are thin layers on top. */
  folderBuilds: number;
  catalogFiles: string[];
  missing: Problem[];
  /** Entries whose previous version stands in for a missing image. */
  kept: Problem[];
  indexSerial?: number;
  /** A failure that stopped the catalog stage (registry unreachable, credentials refused): nothing was written. */
  fatal?: NeuronsError;
  detection?: Omit<Detection, 'decisions' | 'prepared'>;
}

export interface PipelineOptions {
  repo: string;
  config: Config;
  docker: Docker;
  only: string[];
  /** Decide (reading the registry) and stop: nothing built, pushed or written. */
  dryRun: boolean;
  /** Keep base image tags instead of pinning them by digest (no registry lookup for bases). */
  offline: boolean;
  /** Build and push even what the registry already has; overwrite published versions. */
  force: boolean;
  concurrency: number;
  /** This run's part of a sharded build (`--shard i/N`): the folders assigned to shard i of N. */
  shard: { index: number; count: number } | undefined;
  /** How changed workers are found (see detectChanges); `digest` checks every worker against the registry. */
  mode: DetectMode;
  base: string | undefined;
  head: string;
  pullRequest: number | undefined;
  push: boolean;
  catalog: boolean;
  /**
   * Local mode (`--local`): images built by the engine into its own store and left there (the configuration's one
   * registry is the stand-in `localRegistry` of images/local-images.ts, never contacted), decided and verified by
   * `docker image inspect`.
   */
  local?: boolean;
  /** With `local`: a folder that gets a `docker save` archive of every image built (see saveImage). */
  save?: string | undefined;
  /** Where catalogs go (the first is also where the previous ones are read from). */
  targets: PublishTarget[];
  signingKey: { pem: string; origin: string } | undefined;
  /** Publish unsigned over a signed publication (see produceCatalogs). */
  allowUnsigned: boolean;
  expiresInDays: number;
  smoke: SmokeTester | undefined;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** A log of its own for each folder built; without it, every line goes to `log`. */
  folderLog?: (worker: string) => FolderLog;
  progress: (event: ProgressEvent) => void;
}

function asProblem(error: unknown, file: string): Problem {
  if (error instanceof NeuronsError) return { file, ...error.problem };
  throw error;
}

type Prepared = PreparedFolderBuild;

/** What the units of one run share. */
interface RunContext {
  settings: BuildSettings;
  clients: RegistryClientPool;
  /**
   * One push at a time per registry: two images sharing a base pushed at once would both upload the shared layers
   * (neither sees the other's yet); one after the other, the second mounts them and uploads nothing twice.
   */
  pushQueue: (host: string) => ReturnType<typeof createLimiter>;
  /** Images pushed and served with the digest the engine pushed: built from their definitions, labels included. */
  pushed: KnownImage[];
  /** What the images assembled in the registry share: clients, blobs placed, base images, dependency layers. */
  assembly: AssemblyRun;
}

function createRunContext(options: PipelineOptions, settings: BuildSettings, clients: RegistryClientPool): RunContext {
  const queues = new Map<string, ReturnType<typeof createLimiter>>();
  const [primary] = options.config.registries;
  const assembly: AssemblyRun = {
    config: options.config,
    docker: options.docker,
    clients,
    placer: new BlobPlacer(),
    // Smoke tests wait mostly on container starts (and QEMU for a foreign platform): a few at once keep both cores busy.
    tests: createLimiter(4),
    log: options.log,
    dependencies: {
      config: options.config,
      docker: options.docker,
      // Dependency layers are cached in the primary registry, beside the images: any runner with access finds them.
      cache: primary
        ? { client: clients.for(primary), host: primary.host, repository: `${primary.namespace}/neurons-cache` }
        : (undefined as never),
      log: options.log,
      pending: new Map(),
      storing: new Map(),
    },
  };
  return {
    settings,
    clients,
    assembly,
    pushed: [],
    pushQueue(host) {
      let queue = queues.get(host);
      if (!queue) queues.set(host, (queue = createLimiter(1)));
      return queue;
    },
  };
}

/** Build (once per folder), smoke-test, push and verify what the decisions ask for, one unit at a time. */
async function processUnit(
  options: PipelineOptions,
  run: RunContext,
  unit: BuildUnit,
  prepared: Prepared | undefined,
  decisions: Map<string, FlavorDecision>,
  report: PipelineReport,
): Promise<void> {
  const { docker, progress } = options;
  const worker = unit.worker.path;
  const outcome = (
    flavor: Flavor,
    status: FlavorOutcome['status'],
    extra: Partial<FlavorOutcome> = {},
  ): FlavorOutcome => {
    const preparedFlavor = prepared?.flavors.find((item) => item.flavor.id === flavor.id);
    return {
      id: flavor.id,
      file: flavor.file,
      worker,
      status,
      reasons: decisions.get(flavor.id)?.reasons ?? [],
      images: [],
      buildInputDigest: preparedFlavor?.inputs.digest ?? '',
      ...(prepared ? { how: describeMode(prepared.assembly) } : {}),
      ...extra,
    };
  };
  const wanted = unit.flavors.filter(({ flavor }) => decisions.get(flavor.id)?.action === 'build');
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
  for (const { flavor } of wanted) {
    const image = built.find((item) => item.id === flavor.id);
    if (!image) continue;
    const flavorStarted = Date.now();
    if (options.smoke) {
      progress({ worker, flavor: flavor.id, state: 'testing' });
      const smoke = await options.smoke(image.references[0] ?? image.imageId, unit.worker, flavor);
      if (!smoke.passed) {
        report.outcomes.push(outcome(flavor, 'failed', smoke.problem ? { problem: smoke.problem } : {}));
        progress({ worker, flavor: flavor.id, state: 'failed', detail: smoke.problem?.code ?? 'SMOKE_FAILED' });
        continue;
      }
    }
    if (!options.push) {
      if (options.save) {
        try {
          options.log(`saved ${await saveImage(docker, image.references, options.save, flavor.file)}`);
        } catch (error) {
          report.outcomes.push(outcome(flavor, 'failed', { problem: asProblem(error, flavor.file) }));
          progress({ worker, flavor: flavor.id, state: 'failed', detail: (error as NeuronsError).code });
          continue;
        }
      }
      report.outcomes.push(
        outcome(flavor, 'built', { images: image.references.map((reference) => ({ reference, digest: '' })) }),
      );
      progress({ worker, flavor: flavor.id, state: 'done', durationMs: Date.now() - flavorStarted });
      continue;
    }
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
}

/** The flavors of a folder assembled in the registry: published (smoke-tested, then tagged) by publishAssembledUnit. */
async function processAssembledUnit(
  options: PipelineOptions,
  run: RunContext,
  unit: BuildUnit,
  ready: Prepared,
  wanted: Flavor[],
  decisions: Map<string, FlavorDecision>,
  report: PipelineReport,
  outcome: (flavor: Flavor, status: FlavorOutcome['status'], extra?: Partial<FlavorOutcome>) => FlavorOutcome,
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

/** discover -> plan -> render -> decide -> build -> test -> push -> catalog -> publish. */
export async function runPipeline(options: PipelineOptions): Promise<PipelineReport> {
  const { repo, config } = options;
  const discovery = await discoverRepository(repo, { definitionsOnly: false });
  checkImageNameLengths(discovery, config.registries);
  // An invalid definition leaves out its flavor, not its folder: the stages below see the valid flavors only.
  const { discovery: buildable, excluded } = splitInvalidFlavors(discovery);
  const only = options.shard ? await shardFolders(repo, discovery, options.shard, options.only) : options.only;
  const plan = buildPlan(repo, buildable, config, only);
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
  const clients = new RegistryClientPool(options.log);
  let settings: BuildSettings | undefined;
  try {
    for (const registry of config.registries)
      if (registry.insecure)
        options.log(`WARNING: TLS verification is off for registry ${registry.host} (insecure: true)`);
    const local = options.local ?? false;
    const runSettings = await prepareBuildSettings(repo, buildable, config, {
      offline: options.offline,
      env: options.env,
      clients,
      push: options.push && !local,
      local,
    });
    settings = runSettings;
    const limit = createLimiter(Math.max(1, options.concurrency));
    const inspect = engineInspect(options.docker);
    const detection = local
      ? await detectLocal({ repo, units: plan.units, settings: runSettings, inspect, force: options.force })
      : await detectChanges({
          repo,
          discovery: buildable,
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
        });
    const { decisions, prepared: preparedByDetection, ...detected } = detection;
    report.detection = detected;
    // Units something is to be done for, as detection prepared them (in git mode it prepared none).
    const active = (unit: BuildUnit): boolean =>
      unit.flavors.some(
        ({ flavor }) => decisions.get(flavor.id)?.action !== undefined && decisions.get(flavor.id)?.action !== 'skip',
      );
    const prepared = await Promise.all(
      plan.units.map((unit) =>
        active(unit)
          ? (preparedByDetection.get(unitKey(unit)) ?? limit(() => prepareFolderBuild(repo, unit, runSettings)))
          : undefined,
      ),
    );
    if (options.dryRun) {
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
      return report;
    }
    const run = createRunContext(options, runSettings, clients);
    for (const unit of plan.units)
      for (const { flavor } of unit.flavors)
        options.progress({ worker: unit.worker.path, flavor: flavor.id, state: 'queued' });
    // Nothing leaves the engine in local mode: its images are built and tagged there, and that is all.
    const unitOptions = local ? { ...options, push: false } : options;
    await Promise.all(
      plan.units.map((unit, index) =>
        limit(() =>
          withFolderLog(unitOptions, run, unit.worker.path, (folderOptions, folderRun) =>
            processUnit(folderOptions, folderRun, unit, prepared[index], decisions, report),
          ),
        ),
      ),
    );
    // Outcomes in plan order, whatever order the units finished in.
    const order = plan.units.flatMap((unit) => unit.flavors.map(({ flavor }) => flavor.id));
    report.outcomes.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));

    const [primary] = config.registries;
    if (!options.catalog || !primary) return report;
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
                (outcome.status === 'pushed' ||
                  outcome.status === 'unchanged' ||
                  (local && outcome.status === 'built')),
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
    return report;
  } finally {
    await settings?.dependencies?.close();
    await clients.close();
  }
}
