import type Docker from 'dockerode';
import type { AssemblyRun } from './assemble/assemble-unit.js';
import { BlobPlacer } from './assemble/blob-source.js';
import { describeMode } from './assemble/assembly-mode.js';
import type { KnownImage } from './catalog/assemble-catalogs.js';
import type { Config } from './config/load-config.js';
import type { ExcludedFlavor } from './definitions/buildable.js';
import type { Discovery, Flavor } from './definitions/types.js';
import type { DetectMode, Detection } from './detect/detect.js';
import type { BuildSettings, PreparedFolderBuild } from './engine-build/build-unit.js';
import { NeuronsError } from './errors/neurons-error.js';
import type { Problem } from './errors/problem.js';
import type { BuildPlan } from './plan/build-plan.js';
import type { FlavorDecision } from './plan/decide.js';
import type { PublishTarget } from './publish/targets.js';
import type { RegistryClientPool } from './registry/client-pool.js';
import type { PublishedImage } from './registry/platform-manifests.js';
import type { SmokeTester } from './smoke/tester.js';
import { createLimiter } from './util/limit.js';

/*
 * What the stages of one pipeline run share: its options, its report, the outcome of each flavor, and the run context
 * of the units (clients, push queues, what was pushed). Below the stage files, which import it, and pipeline.ts.
 */

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

export function asProblem(error: unknown, file: string): Problem {
  if (error instanceof NeuronsError) return { file, ...error.problem };
  throw error;
}

/** What the units of one run share. */
export interface RunContext {
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

export function createRunContext(
  options: PipelineOptions,
  settings: BuildSettings,
  clients: RegistryClientPool,
): RunContext {
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
      ahead: new Map(),
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

/** Makes the outcome of one flavor of a folder: its decision's reasons, its build inputs and how its image is made. */
export type OutcomeOf = (
  flavor: Flavor,
  status: FlavorOutcome['status'],
  extra?: Partial<FlavorOutcome>,
) => FlavorOutcome;

export function flavorOutcomes(
  worker: string,
  prepared: PreparedFolderBuild | undefined,
  decisions: Map<string, FlavorDecision>,
): OutcomeOf {
  return (flavor, status, extra = {}) => {
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
}
