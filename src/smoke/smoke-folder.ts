import type Docker from 'dockerode';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Flavor } from '../definitions/types.js';
import type { GeneratedJob } from './generated-job.js';
import { runBatch, type BatchRequest } from './batch-container.js';
import { judgeJob } from './run-smoke-job.js';
import type { SmokeCase } from './run-smoke-job.js';
import { findSampleCases } from './sample-jobs.js';
import {
  DEPENDENCY_IMPORTS_SCRIPT,
  holdsNativeCode,
  judgeDependencyImports,
  type LayerCover,
  type LayerCovers,
} from './layer-cover.js';
import type { ContainerRun } from '../runner/run-container.js';
import type { SharedNoNetwork } from './shared-network.js';
import type { FolderImage } from './tester.js';
import { factsOf, hostOf, testAlone } from './folder-images.js';
import {
  chooseScriptCheck,
  judgeScriptCheck,
  runScriptCheck,
  scriptCheckArgv,
  type ScriptCheck,
} from './script-checks.js';
import {
  finish,
  generatedJobOf,
  scriptCheckKey,
  writeGeneratedJob,
  type ImageFacts,
  type SmokeOptions,
  type SmokeResult,
} from './smoke-test.js';

/** What the smoke test of a folder's flavors on one platform needs: SmokeOptions less the one image and flavor. */
export type FolderSmokeOptions = Omit<SmokeOptions, 'image' | 'flavor'> & {
  images: FolderImage[];
  /**
   * This platform runs under emulation (`platform`), and every flavor is tested on the engine's own (`native`) in the
   * same run: one job per entry script is enough here. What differs between the flavors of a folder is their
   * configuration, the same on every platform and tested natively; what differs between platforms is the filesystem,
   * which one job per entry script exercises (its top-level imports, the interpreter, compiled extensions).
   */
  emulated?: {
    platform: string;
    native: string;
    /**
     * The run's covers on emulated platforms (`smoke.emulated` `per-dependency-layer`): the first folder on a given
     * base and dependency layer is tested there (one job per entry script), and every module its dependency layer
     * installs is imported; the next folders on the same layers, whose own files hold no native code, stand on it.
     */
    covers?: LayerCovers;
  };
  /** The run's one namespace without network, joined by batches that get none (a lone run has its own). */
  sharedNetwork?: SharedNoNetwork;
};

/** A flavor that can join a batch: its image as the engine describes it, and the job made up for it. */
interface BatchFlavor extends FolderImage {
  facts: ImageFacts;
  job: GeneratedJob;
}

/** One flavor's share of a batch: its made-up job, and the script check it waits for (shared by key). */
interface PlannedFlavor {
  item: FolderImage;
  job: { generated: GeneratedJob; directory: string; request: number };
  check?: { key: string; request: number; check: ScriptCheck };
  started: number;
}

/**
 * Smoke test of the flavors of one folder on one platform. Flavors whose images share a filesystem (platform,
 * layers, environment, user, working directory: the flavors of a folder assembled in the registry) run in one
 * container: each flavor's made-up job with its own entry point and a job folder of its own, and each distinct entry
 * script's check, one after the other. The result of each flavor is the one a container of its own would give; a case
 * that fails there (or that the batch could not run) is run again in a container of its own, so that a failure is
 * reported exactly as before. Sample jobs, skipped workers, Go workers and images that cannot be inspected take the
 * flavor's own path (smokeTestFlavor).
 */
export async function smokeTestFolder(docker: Docker, options: FolderSmokeOptions): Promise<SmokeResult[]> {
  const alone = aloneIn(docker, options);
  const casesRoot = path.join(options.repo, options.worker.path, options.casesDirectory ?? 'tests');
  // A Go worker's image holds its program and little else (no shell to run a batch): each flavor alone.
  const batchable = options.worker.runtime === 'python' || options.worker.runtime === 'node';
  if (!batchable || options.skip !== undefined || (await findSampleCases(casesRoot)).length > 0)
    return inTurn(options.images.map(alone));
  const facts = await factsOf(docker, options.images);
  const covers = options.emulated?.covers;
  const key = covers && options.worker.runtime === 'python' ? sharedCover(facts) : undefined;
  if (!covers || key === undefined) return testGroups(docker, options, facts);
  const existing = covers.get(key);
  if (existing) {
    const cover = await existing;
    const own = path.join(options.repo, options.worker.path);
    if (cover.passed && !(await holdsNativeCode(own)))
      return options.images.map((item) => covered(options, item, cover));
    return testGroups(docker, options, facts);
  }
  // The first folder on these layers: its test, with every module of the dependency layer imported, covers them.
  let settle: (cover: LayerCover) => void = () => undefined;
  covers.set(key, new Promise((resolve) => (settle = resolve)));
  const interpreter = facts[0]?.entrypoint[0] ?? 'python3';
  const extra: ExtraRequest = { request: { argv: [interpreter, '-c', DEPENDENCY_IMPORTS_SCRIPT] } };
  try {
    const results = await testGroups(docker, options, facts, extra);
    const imports = judgeDependencyImports(extra.run);
    const [first] = results;
    settle({ passed: imports.passed && results.every((result) => result.passed), flavorId: first?.flavorId ?? '' });
    if (imports.passed && first) first.cases.push(imports);
    return results;
  } finally {
    settle({ passed: false, flavorId: '' });
  }
}

/** The cover key all of a folder's images share, if they do (one platform, the same layers under the worker's). */
function sharedCover(facts: (ImageFacts | undefined)[]): string | undefined {
  const keys = new Set(facts.map((found) => found?.cover));
  const [key] = keys;
  return keys.size === 1 && typeof key === 'string' ? key : undefined;
}

/** A flavor on an emulated platform whose layers under its own another folder's test covers. */
function covered(options: FolderSmokeOptions, item: { image: string; flavor: Flavor }, cover: LayerCover): SmokeResult {
  const { platform, native } = options.emulated ?? { platform: '?', native: '?' };
  return standsOn(
    item,
    `${platform} runs under emulation: ${cover.flavorId} ran its jobs there on the same base and dependency layers, where every installed module imports; this folder's files, with no native code, are those its flavors' jobs ran on ${native}`,
  );
}

/** The passed result of a flavor on an emulated platform that another flavor's test stands for, and why. */
function standsOn(item: { image: string; flavor: Flavor }, detail: string): SmokeResult {
  return {
    flavorId: item.flavor.id,
    image: item.image,
    kind: 'generated-job',
    passed: true,
    cases: [{ name: 'emulated', passed: true, detail }],
    durationMs: 0,
  };
}

/** One more process in a folder's batch (the first group's), and what it gave. */
interface ExtraRequest {
  request: BatchRequest;
  run?: ContainerRun | undefined;
}

/** Groups the images by filesystem and tests each group in one container; the others alone. */
async function testGroups(
  docker: Docker,
  options: FolderSmokeOptions,
  facts: (ImageFacts | undefined)[],
  extra?: ExtraRequest,
): Promise<SmokeResult[]> {
  const alone = aloneIn(docker, options);
  const groups = new Map<string, BatchFlavor[]>();
  const results = new Map<string, () => Promise<SmokeResult>>();
  for (const [index, item] of options.images.entries()) {
    const found = facts[index];
    const job = generatedJobOf({ worker: options.worker, flavor: item.flavor });
    if (!found || !job) {
      results.set(item.flavor.id, alone(item));
      continue;
    }
    const group = groups.get(found.filesystem) ?? [];
    group.push({ ...item, facts: found, job });
    groups.set(found.filesystem, group);
  }
  await Promise.all(
    [...groups.values()].map(async (group, index) => {
      const settled = await smokeGroup(docker, options, group, index === 0 ? extra : undefined);
      for (const item of group) results.set(item.flavor.id, settled.get(item.flavor.id) ?? alone(item));
    }),
  );
  return inTurn(options.images.map((item) => results.get(item.flavor.id) ?? alone(item)));
}

/** A flavor's test in a container of its own, to run when its turn comes (`inTurn`). */
function aloneIn(docker: Docker, options: FolderSmokeOptions) {
  return (item: FolderImage) => () => testAlone(docker, options, item);
}

/** Flavors tested alone go one after the other: the batch holds one slot of the run's budget of containers. */
async function inTurn<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const done: T[] = [];
  for (const task of tasks) done.push(await task());
  return done;
}

/** Runs one group in one container, then settles each flavor: passed, or tested again alone. */
async function smokeGroup(
  docker: Docker,
  options: FolderSmokeOptions,
  group: BatchFlavor[],
  extra?: ExtraRequest,
): Promise<Map<string, () => Promise<SmokeResult>>> {
  const requests: BatchRequest[] = [];
  const checks = new Map<string, number>();
  const planned: PlannedFlavor[] = [];
  const covered: { item: FolderImage; by: string }[] = [];
  const representatives = new Map<string, string>();
  try {
    for (const item of group) {
      const started = Date.now();
      const argv = item.facts.entrypoint;
      const by = options.emulated ? representatives.get(JSON.stringify(argv)) : undefined;
      if (by) {
        covered.push({ item, by });
        continue;
      }
      representatives.set(JSON.stringify(argv), item.flavor.id);
      const directory = await writeGeneratedJob(item.job);
      requests.push({ argv, jobDirectory: directory });
      const plan: PlannedFlavor = {
        item,
        started,
        job: { generated: item.job, directory, request: requests.length - 1 },
      };
      const check = options.emulated ? undefined : chooseScriptCheck(item.facts, options.worker, item.flavor);
      if (check) {
        const key = scriptCheckKey(item.facts, check, options.network);
        if (!checks.has(key) && !options.scriptChecks?.has(key)) {
          requests.push({ argv: scriptCheckArgv(check) });
          checks.set(key, requests.length - 1);
        }
        plan.check = { key, request: checks.get(key) ?? -1, check };
      }
      planned.push(plan);
    }
    // The batch runs in an image the engine has: they all share its filesystem.
    const host = await hostOf(group);
    if (extra) requests.push(extra.request);
    const runs = host
      ? await runBatch(docker, {
          image: host,
          requests,
          network: options.network,
          timeoutMs: options.timeoutMs,
          sharedNetwork: options.sharedNetwork,
        })
      : [];
    if (extra) extra.run = runs.at(-1);
    const settled = await settleGroup(docker, options, planned, runs, host);
    const { emulated } = options;
    if (emulated)
      for (const { item, by } of covered)
        settled.set(item.flavor.id, coveredBy(docker, { ...options, emulated }, item, by, settled));
    return settled;
  } finally {
    await Promise.all(planned.map((plan) => rm(plan.job.directory, { recursive: true, force: true })));
  }
}

/**
 * A flavor whose job on an emulated platform another flavor's job stands for: passed when that one passed, else
 * tested alone. Its representative comes first in the folder's order, so its result is known by then.
 */
function coveredBy(
  docker: Docker,
  options: FolderSmokeOptions & { emulated: { platform: string; native: string } },
  item: FolderImage,
  by: string,
  settled: Map<string, () => Promise<SmokeResult>>,
): () => Promise<SmokeResult> {
  return async () => {
    const representative = await settled.get(by)?.();
    if (!representative?.passed) return testAlone(docker, options, item);
    const { platform, native } = options.emulated;
    return standsOn(
      item,
      `${platform} runs under emulation: ${by} ran the same entry script on the same filesystem; this flavor's own job runs on ${native}`,
    );
  };
}

async function settleGroup(
  docker: Docker,
  options: FolderSmokeOptions,
  planned: PlannedFlavor[],
  runs: Awaited<ReturnType<typeof runBatch>>,
  host: string | undefined,
): Promise<Map<string, () => Promise<SmokeResult>>> {
  const settled = new Map<string, () => Promise<SmokeResult>>();
  for (const plan of planned) {
    const jobRun = runs[plan.job.request];
    const jobCase = jobRun
      ? await judgeJob(
          {
            name: plan.job.generated.name,
            jobDirectory: plan.job.directory,
            expectation: 'report',
            timeoutMs: options.timeoutMs,
          },
          jobRun,
        )
      : undefined;
    // A timed-out job is not run again (it would only time out once more); its script check, when the batch was
    // killed before it, runs in a container of its own.
    const timedOut = jobCase !== undefined && jobRun?.timedOut === true;
    const checkCase = plan.check
      ? ((await checkCaseOf(options, plan, runs)) ??
        (timedOut ? await runScriptCheck(docker, host ?? plan.item.image, plan.check.check, options) : undefined))
      : undefined;
    const retry = !jobCase || (!jobCase.passed && !timedOut) || (plan.check && !checkCase?.passed && !timedOut);
    if (retry) {
      // Once: a flavor standing for others on an emulated platform is asked for its result again.
      let alone: Promise<SmokeResult> | undefined;
      settled.set(plan.item.flavor.id, () => {
        alone ??= testAlone(docker, options, plan.item);
        return alone;
      });
      continue;
    }
    const cases = checkCase ? [jobCase, checkCase] : [jobCase];
    const result = finish(
      { flavorId: plan.item.flavor.id, image: plan.item.image, kind: 'generated-job', cases, durationMs: 0 },
      { ...options, image: plan.item.image, flavor: plan.item.flavor },
      plan.started,
      plan.job.generated,
    );
    settled.set(plan.item.flavor.id, () => Promise.resolve(result));
  }
  return settled;
}

/**
 * The script check a flavor waits for: run in this batch, or earlier in the run (remembered by key). Only a passed
 * check is remembered from a batch: a failed one is checked again in a container of its own.
 */
async function checkCaseOf(
  options: FolderSmokeOptions,
  plan: PlannedFlavor,
  runs: Awaited<ReturnType<typeof runBatch>>,
): Promise<SmokeCase | undefined> {
  if (!plan.check) return undefined;
  const remembered = options.scriptChecks?.get(plan.check.key);
  if (remembered) return remembered;
  const run = runs[plan.check.request];
  if (!run) return undefined;
  const checked = judgeScriptCheck(plan.check.check, run, options.timeoutMs);
  if (checked.passed) options.scriptChecks?.set(plan.check.key, Promise.resolve(checked));
  return checked;
}
