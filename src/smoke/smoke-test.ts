import type Docker from 'dockerode';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Flavor, WorkerFolder } from '../definitions/types.js';
import type { Problem } from '../errors/problem.js';
import { buildJobConfig } from '../runner/job-config.js';
import { generateJob, type GeneratedJob } from './generated-job.js';
import { runSmokeJob, type SmokeCase } from './run-smoke-job.js';
import { findSampleCases, runSampleCase } from './sample-jobs.js';
import { chooseScriptCheck, runScriptCheck, type ScriptCheck } from './script-checks.js';
import { coverKey } from './layer-cover.js';

export type { SmokeCase } from './run-smoke-job.js';

export interface SmokeResult {
  flavorId: string;
  image: string;
  /** `generated-job` also covers the script check (Python imports, Node syntax) that runs with it. */
  kind: 'sample-job' | 'generated-job' | 'skipped';
  passed: boolean;
  cases: SmokeCase[];
  durationMs: number;
  /** `SMOKE_FAILED` (or `SMOKE_NO_CHECK`) on the flavor file when `passed` is false. */
  problem?: Problem;
}

export interface SmokeOptions {
  /** The built image of the flavor. */
  image: string;
  /** Repository root: the worker folder's path is relative to it. Nothing is written there. */
  repo: string;
  worker: WorkerFolder;
  flavor: Flavor;
  /** Folder of sample jobs, relative to the worker folder; `tests` by default. */
  casesDirectory?: string;
  /** Per container run: a case or check still running then is killed and fails. */
  timeoutMs: number;
  /** Docker network mode of the containers: `none` unless the worker's settings let it use the network. */
  network: string;
  /** The reason the worker's settings give for not testing it (`workers.<Dir>.smoke.skip`): nothing runs. */
  skip?: string;
  /**
   * Checks of entry scripts already run in this run, by what decides them (the image's layers, platform, environment
   * and the script): the flavors of a folder share a filesystem, so their script is checked once.
   */
  scriptChecks?: Map<string, Promise<SmokeCase>>;
}

/**
 * Smoke test of one built flavor image, before it is pushed. Every job must end with a report the engine accepts:
 * the worker folder's sample jobs when it has some, otherwise one job made up for the flavor's first data type (a
 * clean failure passes: the worker ran and said why), with a check of the script's imports or syntax besides.
 * Every case runs even when one fails; containers and temporary job folders are always removed.
 */
export async function smokeTestFlavor(docker: Docker, options: SmokeOptions): Promise<SmokeResult> {
  const started = Date.now();
  const base = { flavorId: options.flavor.id, image: options.image };
  if (options.skip !== undefined) {
    return finish(
      {
        ...base,
        kind: 'skipped',
        cases: [
          { name: 'skipped', passed: true, detail: `workers.${options.worker.directory}.smoke.skip: ${options.skip}` },
        ],
        durationMs: 0,
      },
      options,
      started,
    );
  }
  const run = { image: options.image, timeoutMs: options.timeoutMs, network: options.network };
  const casesRoot = path.join(options.repo, options.worker.path, options.casesDirectory ?? 'tests');
  const caseNames = await findSampleCases(casesRoot);
  if (caseNames.length > 0) {
    const flavorConfig = options.flavor.definition.config ?? {};
    const cases: SmokeCase[] = [];
    for (const name of caseNames)
      cases.push(await runSampleCase(docker, { ...run, caseDirectory: path.join(casesRoot, name), flavorConfig }));
    return finish({ ...base, kind: 'sample-job', cases, durationMs: 0 }, options, started);
  }

  const job = generatedJobOf(options);
  if (!job)
    return {
      ...base,
      kind: 'generated-job',
      passed: false,
      cases: [],
      durationMs: Date.now() - started,
      problem: noCheckProblem(options),
    };
  // The job and the check of the script are two containers of their own: they run side by side.
  const [jobCase, checkCase] = await Promise.all([
    runGeneratedJob(docker, job, run),
    scriptCaseOf(docker, options, run),
  ]);
  const cases = checkCase ? [jobCase, checkCase] : [jobCase];
  return finish({ ...base, kind: 'generated-job', cases, durationMs: 0 }, options, started, job);
}

/**
 * The job made up for a flavor: the config a job of this flavor gets in the engine before anyone configures it (its
 * `config` and the items' defaults; a required item left empty should make the worker fail cleanly, which passes)
 * and its first data type. None when it has no data type.
 */
export function generatedJobOf(options: { worker: WorkerFolder; flavor: Flavor }): GeneratedJob | undefined {
  const { config } = buildJobConfig({ definition: options.flavor.definition, file: undefined, pairs: [], env: {} });
  return generateJob(options.worker.kind, options.flavor.definition, config);
}

/**
 * The check of the image's entry script, if it has one (a failed case when the image cannot be inspected): run once
 * per filesystem and script when `options.scriptChecks` remembers them.
 */
async function scriptCaseOf(
  docker: Docker,
  options: SmokeOptions,
  run: { timeoutMs: number; network: string },
): Promise<SmokeCase | undefined> {
  let facts: ImageFacts;
  try {
    facts = await inspectSmokeImage(docker, options.image);
  } catch (error) {
    return { name: 'inspect', passed: false, detail: `the image could not be inspected: ${(error as Error).message}` };
  }
  const check = chooseScriptCheck(facts, options.worker, options.flavor);
  if (!check) return undefined;
  const key = scriptCheckKey(facts, check, run.network);
  const found = options.scriptChecks?.get(key);
  if (found) return found;
  const checked = runScriptCheck(docker, options.image, check, run);
  options.scriptChecks?.set(key, checked);
  return checked;
}

/** What a smoke test reads of an image in the engine: how it starts, and what decides its filesystem. */
export interface ImageFacts {
  entrypoint: string[];
  workingDir: string;
  /**
   * Platform, layers, environment, user and working directory: two images with the same one run any process alike,
   * whatever their entry points and labels (the flavors of a folder).
   */
  filesystem: string;
  /** The same, less the last layer (the worker's files): what a cover on an emulated platform stands for. */
  cover: string;
}

export async function inspectSmokeImage(docker: Docker, image: string): Promise<ImageFacts> {
  const { Config, RootFS, Os, Architecture } = await docker.getImage(image).inspect();
  const entrypoint = typeof Config.Entrypoint === 'string' ? [Config.Entrypoint] : (Config.Entrypoint ?? []);
  const facts = {
    os: Os,
    architecture: Architecture,
    layers: RootFS.Layers ?? [],
    env: Config.Env ?? [],
    user: Config.User ?? '',
    workingDir: Config.WorkingDir ?? '',
  };
  const cover = coverKey(facts);
  // The cover and the last layer: everything.
  const filesystem = JSON.stringify([cover, facts.layers.at(-1) ?? null]);
  return { entrypoint, workingDir: Config.WorkingDir, filesystem, cover };
}

/** What decides a script check's result: the filesystem it runs in, the check itself and the network. */
export function scriptCheckKey(facts: ImageFacts, check: ScriptCheck, network: string): string {
  return JSON.stringify([facts.filesystem, check, network]);
}

/** Writes the made-up job's `input/` as the engine would (the attachment under its own name) and runs it. */
async function runGeneratedJob(
  docker: Docker,
  job: GeneratedJob,
  run: { image: string; timeoutMs: number; network: string },
): Promise<SmokeCase> {
  let directory: string | undefined;
  try {
    directory = await writeGeneratedJob(job);
    return await runSmokeJob(docker, { ...run, name: job.name, jobDirectory: directory, expectation: 'report' });
  } catch (error) {
    return { name: job.name, passed: false, detail: `could not run the job: ${(error as Error).message}` };
  } finally {
    if (directory) await rm(directory, { recursive: true, force: true });
  }
}

/** A temporary job folder holding the made-up job's `input/` (the attachment under its own name); the caller removes it. */
export async function writeGeneratedJob(job: GeneratedJob): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'neurons-smoke-'));
  try {
    await mkdir(path.join(directory, 'input'), { recursive: true });
    await mkdir(path.join(directory, 'output'), { recursive: true });
    if (job.attachment) await writeFile(path.join(directory, 'input', job.attachment.name), job.attachment.content);
    await writeFile(path.join(directory, 'input', 'input.json'), JSON.stringify(job.input));
    return directory;
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

/** The result of a flavor's cases: passed when every case did, else with the problem that says which failed. */
export function finish(
  result: Omit<SmokeResult, 'passed'>,
  options: SmokeOptions,
  started: number,
  job?: GeneratedJob,
): SmokeResult {
  const failed = result.cases.filter((smokeCase) => !smokeCase.passed);
  const done: SmokeResult = { ...result, passed: failed.length === 0, durationMs: Date.now() - started };
  if (failed.length > 0) done.problem = smokeProblem(done, failed, options, job);
  return done;
}

/** Runnable checks summed up in one line, for the log of a run: what ran and how each ended. */
export function describeSmokeResult(result: SmokeResult): string {
  if (result.kind === 'skipped')
    return `smoke test of ${result.image} skipped: ${result.cases.map((smokeCase) => smokeCase.detail).join('; ')}`;
  const verdict = result.passed ? 'passed' : 'failed';
  return `smoke test of ${result.image} ${verdict}: ${result.cases.map((smokeCase) => `${smokeCase.name}: ${firstLine(smokeCase.detail)}`).join('; ')}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

function smokeProblem(
  result: SmokeResult,
  failed: SmokeCase[],
  options: SmokeOptions,
  job: GeneratedJob | undefined,
): Problem {
  const what =
    result.kind === 'sample-job'
      ? `${failed.length} of ${result.cases.length} sample job(s) failed`
      : `${failed.map((smokeCase) => smokeCase.name).join(', ')} failed`;
  const lines = failed.map((smokeCase) => `  ${smokeCase.name}: ${smokeCase.detail.replaceAll('\n', '\n    ')}`);
  const casesFolder = path.posix.join(options.worker.path, options.casesDirectory ?? 'tests');
  const network =
    options.network === 'none'
      ? `; the job ran without network (\`workers.${options.worker.directory}.smoke.network: true\` in neurons.json gives it the host's)`
      : '';
  const hint =
    result.kind === 'sample-job'
      ? `run a case by hand: copy ${casesFolder}/<case>/input to a folder DIR, put the flavor's config under the job's own in DIR/input/input.json, then \`docker run --rm -v DIR:/job ${result.image} /job\` and read DIR/output/output.json; a case meant to fail needs expect.json with {"success": false}${network}`
      : `the worker must write /job/output/output.json: {"success": true, "full": {...}} or {"success": false, "errorMessage": "..."}; ${reproduce(result.image, options.flavor, job)}, or add a sample job under ${casesFolder}/<case>/input/input.json${network}`;
  return {
    code: 'SMOKE_FAILED',
    file: options.flavor.file,
    message: `smoke test of ${result.image}: ${what}\n${lines.join('\n')}`,
    hint,
  };
}

/** The `neurons run` command that runs the made-up job again. */
function reproduce(image: string, flavor: Flavor, job: GeneratedJob | undefined): string {
  if (!job) return 'run the image by hand';
  const data = job.attachment
    ? '--file FILE'
    : `--data '${typeof job.input['data'] === 'string' ? job.input['data'] : JSON.stringify(job.input['data'])}'`;
  return `run the job again with \`neurons run ${image} --definition ${flavor.file} --data-type ${job.dataType} ${data} --network none\``;
}

function noCheckProblem(options: SmokeOptions): Problem {
  const casesFolder = path.posix.join(options.worker.path, options.casesDirectory ?? 'tests');
  return {
    code: 'SMOKE_NO_CHECK',
    file: options.flavor.file,
    pointer: '/dataTypeList',
    message: `nothing can test ${options.image}: no sample job under ${casesFolder}/ and no data type in dataTypeList to make a job of`,
    hint: `add a sample job (${casesFolder}/<case>/input/input.json) or a data type, or say why it is not tested: "workers": {"${options.worker.directory}": {"smoke": {"skip": "<reason>"}}} in neurons.json`,
  };
}
