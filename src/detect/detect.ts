import {
  prepareFolderBuild,
  unitKey,
  type BuildSettings,
  type PreparedFolderBuild,
} from '../engine-build/build-unit.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/load-config.js';
import type { Discovery, WorkerFolder } from '../definitions/types.js';
import { UsageError } from '../errors/neurons-error.js';
import { buildPlan, type BuildPlan, type BuildUnit, type ImageTarget } from '../plan/build-plan.js';
import { decideFlavor, readTargetTags, type FlavorDecision, type TargetTags } from '../plan/decide.js';
import type { RegistryClientPool } from '../registry/client-pool.js';
import { createLimiter } from '../util/limit.js';
import { baseFromCi } from './ci-base.js';
import { listGitChanges, mergeBase } from './git-changes.js';
import { listPullRequestChanges } from './github-changes.js';
import { mapChangesToWorkers, type RemovedDefinition } from './map-changes.js';
import type { ChangedFile } from './types.js';
import { trustedFetch } from '../transport/trusted-fetch.js';

export type DetectMode = 'git' | 'digest' | 'auto';

export interface DetectOptions {
  repo: string;
  discovery: Discovery;
  config: Config;
  settings: BuildSettings;
  clients: RegistryClientPool;
  mode: DetectMode;
  /** Folder names or paths the run is narrowed to (`--only`); empty for all. */
  only: string[];
  base: string | undefined;
  head: string;
  pullRequest: number | undefined;
  force: boolean;
  env: NodeJS.ProcessEnv;
  /**
   * Told of each unit checked by digest once its flavors are decided, with its prepared build: work a build will
   * need can start then, while detection goes on.
   */
  decided?: ((unit: BuildUnit, prepared: PreparedFolderBuild, decisions: FlavorDecision[]) => void) | undefined;
  /** What git says changed, asked already (`gitChangedFiles` with the same repository, base, head and environment). */
  changes?: Promise<ChangedFiles> | undefined;
}

export interface WorkerToRebuild {
  kind: 'analyzer' | 'responder';
  directory: string;
  path: string;
  flavors: string[];
  reasons: string[];
  /** Flavors whose published version may not be overwritten (stable channel, without --force). */
  refused: string[];
}

export interface Detection {
  mode: DetectMode;
  /** What git (or the pull request) said, and why it was not used when it was not. */
  source: { kind: 'git' | 'pull-request' | 'none'; base?: string; head?: string; note?: string };
  rebuild: WorkerToRebuild[];
  removed: RemovedDefinition[];
  unchanged: number;
  /** Registry decisions made, by flavor id: the pipeline builds from these. */
  decisions: Map<string, FlavorDecision>;
  /** Flavors whose build inputs were computed and compared with the registry. */
  digestChecks: number;
  /** The folder builds prepared for those checks, by `unitKey`: the pipeline builds from them without hashing again. */
  prepared: Map<string, PreparedFolderBuild>;
}

/** The files a change touched, and where the list comes from; no files when nothing can tell. */
export type ChangedFiles =
  { files: ChangedFile[]; source: Detection['source'] } | { files: undefined; source: Detection['source'] };

async function changedFiles(options: DetectOptions): Promise<ChangedFiles> {
  if (options.pullRequest !== undefined) {
    const githubFetch = trustedFetch(options.config.trust.caPems, options.env);
    const [owner, name] = (options.env['GITHUB_REPOSITORY'] ?? '').split('/');
    if (!owner || !name)
      throw new UsageError({
        code: 'DETECT_PR_REPOSITORY',
        message: '--pr needs GITHUB_REPOSITORY=owner/name',
        hint: 'set GITHUB_REPOSITORY (GitHub Actions sets it)',
      });
    const changes = await listPullRequestChanges({
      owner,
      repo: name,
      pullNumber: options.pullRequest,
      ...(options.env['GITHUB_TOKEN'] ? { token: options.env['GITHUB_TOKEN'] } : {}),
      ...(options.env['GITHUB_API_URL'] ? { baseUrl: options.env['GITHUB_API_URL'] } : {}),
      ...(githubFetch ? { fetch: githubFetch } : {}),
    });
    if (!changes.capped)
      return { files: changes.files, source: { kind: 'pull-request', base: changes.baseSha, head: changes.headSha } };
    // At the API's cap the list is incomplete: the pull request's own commits are compared with git instead.
    const fromGit = await listGitChanges(options.repo, changes.baseSha, options.head);
    if (fromGit.usable)
      return {
        files: fromGit.files,
        source: {
          kind: 'git',
          base: fromGit.base,
          head: fromGit.head,
          note: 'the pull request lists more files than the GitHub API returns: compared with git',
        },
      };
    return {
      files: undefined,
      source: { kind: 'none', note: `pull request capped and git unusable (${fromGit.reason}: ${fromGit.detail})` },
    };
  }
  return options.changes ?? gitChangedFiles(options.repo, options.base, options.head, options.env);
}

/**
 * What git says changed between `base` (else the one CI names) and `head`. It needs nothing of the run but these: a
 * run asks it before its discovery, and git answers meanwhile.
 */
export async function gitChangedFiles(
  repo: string,
  given: string | undefined,
  head: string,
  env: NodeJS.ProcessEnv,
): Promise<ChangedFiles> {
  let base = given;
  let note: string | undefined;
  if (base === undefined) {
    const ci = baseFromCi(env);
    if (ci.kind === 'commit') base = ci.base;
    else if (ci.kind === 'branch') base = await mergeBase(repo, ci.ref, head);
    note = `base from ${ci.source}`;
  }
  const changes = await listGitChanges(repo, base, head);
  if (!changes.usable)
    return {
      files: undefined,
      source: {
        kind: 'none',
        note: `git cannot tell (${changes.reason}: ${changes.detail}): build inputs decide for every worker`,
      },
    };
  return {
    files: changes.files,
    source: { kind: 'git', base: changes.base, head: changes.head, ...(note ? { note } : {}) },
  };
}

/** The template a worker renders with: workers sharing one share base image, template and settings. */
function groupOf(config: Config, worker: WorkerFolder): string {
  return (
    config.workers[worker.path]?.template ?? config.workers[worker.directory]?.template ?? worker.runtime ?? 'unknown'
  );
}

/**
 * Which workers to rebuild, and why. `digest` compares every flavor's build inputs with the labels of its published
 * image (the truth, a registry read per flavor); `git` maps changed files to workers (no registry at all; blind to
 * a base image that moved); `auto` takes the workers git names, plus, per template, one published image whose
 * recorded base image, template and settings are compared with today's: when they differ, every worker of that
 * template is checked by digest. When git cannot answer, `auto` checks everything by digest and says so.
 */
export async function detectChanges(options: DetectOptions): Promise<Detection> {
  const { discovery, config } = options;
  const plan = buildPlan(options.repo, discovery, config, options.only);
  const detection: Detection = {
    mode: options.mode,
    source: { kind: 'none' },
    rebuild: [],
    removed: [],
    unchanged: 0,
    decisions: new Map(),
    digestChecks: 0,
    prepared: new Map(),
  };
  const checkAll = (units: BuildUnit[]): Promise<void> => checkByDigest(units, detection, options);
  const { candidates, gitReasons } = options.mode !== 'digest' ? await gitCandidates(options, plan, detection) : {};
  if (options.mode === 'git' && candidates) {
    decideFromGit(plan, gitReasons ?? new Map(), detection);
  } else if (candidates && options.mode === 'auto') {
    // Workers git names, checked by digest, and at the same time one sample per template for what git cannot see.
    const groups = new Map<string, BuildUnit[]>();
    for (const unit of plan.units.filter((item) => !candidates.has(item.worker.path)))
      groups.set(groupOf(config, unit.worker), [...(groups.get(groupOf(config, unit.worker)) ?? []), unit]);
    const samples = [...groups.values()].flatMap((units) => units.slice(0, 1));
    await checkAll([...plan.units.filter((unit) => candidates.has(unit.worker.path)), ...samples]);
    const moved = (sample: BuildUnit | undefined): boolean =>
      sample !== undefined &&
      sample.flavors.some(({ flavor }) => {
        const decision = detection.decisions.get(flavor.id);
        return (
          decision?.action !== 'skip' &&
          decision?.reasons.some((reason) => ['base-image', 'template', 'settings', 'new'].includes(reason))
        );
      });
    await checkAll([...groups.values()].filter((units) => moved(units[0])).flatMap((units) => units.slice(1)));
  } else {
    await checkAll(plan.units);
  }
  summarize(plan, detection);
  return detection;
}

/**
 * Each unit's build inputs against the registry, every flavor decided; tokens first for every repository about to be
 * read, a request per batch of them rather than one per repository.
 */
async function checkByDigest(units: BuildUnit[], detection: Detection, options: DetectOptions): Promise<void> {
  const byRegistry = new Map<
    string,
    { registry: BuildUnit['flavors'][number]['targets'][number]['registry']; paths: string[] }
  >();
  for (const target of units.flatMap((unit) => unit.flavors.flatMap((item) => item.targets))) {
    const entry = byRegistry.get(target.registry.host) ?? { registry: target.registry, paths: [] };
    entry.paths.push(target.path);
    byRegistry.set(target.registry.host, entry);
  }
  await Promise.all(
    [...byRegistry.values()].map(({ registry, paths }) => options.clients.for(registry).authorize(paths)),
  );
  const ordered = await checkOrder(options.repo, units);
  const tags = readTagsAhead(ordered, options.clients);
  const limit = createLimiter(8);
  await Promise.all(
    ordered.map((unit) =>
      limit(async () => {
        const prepared = await prepareFolderBuild(options.repo, unit, options.settings);
        detection.prepared.set(unitKey(unit), prepared);
        const decided = await Promise.all(
          prepared.flavors.map(async ({ flavor, targets, inputs }) => {
            detection.digestChecks += 1;
            const decision = await decideFlavor(flavor, targets, inputs, options.clients, {
              channel: options.config.channel,
              force: options.force,
              tags,
            });
            detection.decisions.set(flavor.id, decision);
            return decision;
          }),
        );
        options.decided?.(unit, prepared, decided);
      }),
    ),
  );
}

/** Tag reads at a time ahead of the decisions: the rest of the registry client's budget (16) stays for the others. */
const tagsAhead = 8;

/**
 * The tags of every unit's targets, read in check order while the units' build inputs are computed (base images,
 * dependencies, files): a decision then waits on whichever of the two ends last. A read that fails is read again by
 * its decision, whose error is the run's as before.
 */
function readTagsAhead(units: BuildUnit[], clients: RegistryClientPool): (target: ImageTarget) => Promise<TargetTags> {
  const limit = createLimiter(tagsAhead);
  const reads = new Map<string, Promise<TargetTags | undefined>>();
  const key = (target: ImageTarget) => `${target.registry.host}/${target.path}:${target.tags.join(',')}`;
  for (const target of units.flatMap((unit) => unit.flavors.flatMap((item) => item.targets))) {
    if (reads.has(key(target))) continue;
    const client = clients.for(target.registry);
    reads.set(
      key(target),
      limit(() => readTargetTags(client, target)).catch(() => undefined),
    );
  }
  return async (target) => (await reads.get(key(target))) ?? readTargetTags(clients.for(target.registry), target);
}

/**
 * The order units are checked in: first one per distinct requirements file, then the others, each in plan order. A
 * unit's check waits on its dependencies' resolution (the package index asked whether a recorded one still holds):
 * those of the fleet's few distinct sets are asked at once, not each when its first unit comes up.
 */
export async function checkOrder(repo: string, units: BuildUnit[]): Promise<BuildUnit[]> {
  const contents = await Promise.all(
    units.map((unit) =>
      unit.requirements
        ? readFile(path.join(repo, unit.worker.path, unit.requirements), 'utf8').catch(() => '')
        : Promise.resolve(''),
    ),
  );
  const seen = new Set<string>();
  const first: BuildUnit[] = [];
  const rest: BuildUnit[] = [];
  for (const [index, unit] of units.entries()) {
    const key = `${unit.worker.runtime ?? ''}\0${contents[index] ?? ''}`;
    (seen.has(key) ? rest : first).push(unit);
    seen.add(key);
  }
  return [...first, ...rest];
}

/** The workers git says changed, and why each flavor; none when git cannot tell (in auto mode: digests decide). */
async function gitCandidates(
  options: DetectOptions,
  plan: BuildPlan,
  detection: Detection,
): Promise<{ candidates?: Set<string>; gitReasons?: Map<string, Set<string>> }> {
  const gitReasons = new Map<string, Set<string>>();
  const found = await changedFiles(options);
  detection.source = found.source;
  if (found.files) {
    const mapped = mapChangesToWorkers(found.files, options.discovery, options.config, options.repo);
    detection.removed = mapped.removed;
    for (const change of mapped.changed.values())
      for (const [id, reasons] of change.flavors) gitReasons.set(id, new Set(reasons));
    return { candidates: new Set(mapped.changed.keys()), gitReasons };
  }
  if (options.mode !== 'git') return {};
  for (const unit of plan.units) for (const { flavor } of unit.flavors) gitReasons.set(flavor.id, new Set(['forced']));
  return { candidates: new Set(plan.units.map((unit) => unit.worker.path)), gitReasons };
}

/** Git mode: every flavor git names is built, with git's reasons; nothing is read from the registry. */
function decideFromGit(plan: BuildPlan, gitReasons: Map<string, Set<string>>, detection: Detection): void {
  for (const unit of plan.units) {
    const flavors = unit.flavors.filter(({ flavor }) => gitReasons.has(flavor.id));
    for (const { flavor } of flavors)
      detection.decisions.set(flavor.id, {
        action: 'build',
        reasons: [...(gitReasons.get(flavor.id) ?? [])] as FlavorDecision['reasons'],
        pushes:
          unit.flavors
            .find((item) => item.flavor.id === flavor.id)
            ?.targets.map((target) => ({ target, tags: target.tags })) ?? [],
      });
  }
}

/** The workers to rebuild, each with its flavors and reasons, and how many flavors are unchanged. */
function summarize(plan: BuildPlan, detection: Detection): void {
  for (const unit of plan.units) {
    const flavors = unit.flavors.filter(({ flavor }) => {
      const decision = detection.decisions.get(flavor.id);
      return decision !== undefined && decision.action !== 'skip';
    });
    detection.unchanged += unit.flavors.length - flavors.length;
    if (flavors.length === 0) continue;
    const reasons = new Set(flavors.flatMap(({ flavor }) => detection.decisions.get(flavor.id)?.reasons ?? []));
    const refused = flavors
      .filter(({ flavor }) => detection.decisions.get(flavor.id)?.action === 'refuse')
      .map(({ flavor }) => flavor.definition.name);
    detection.rebuild.push({
      kind: unit.worker.kind,
      directory: unit.worker.directory,
      path: unit.worker.path,
      flavors: flavors.map(({ flavor }) => flavor.definition.name),
      reasons: [...reasons],
      refused,
    });
  }
}
