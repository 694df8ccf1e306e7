import type Docker from 'dockerode';
import path from 'node:path';
import type { Flavor, WorkerFolder } from '../definitions/types.js';
import type { Problem } from '../errors/problem.js';
import { findSampleCases, runSampleCase, type SmokeCase } from './sample-jobs.js';
import { chooseStartupCheck, runStartupCheck } from './startup-checks.js';

export type { SmokeCase } from './sample-jobs.js';

export interface SmokeResult {
  flavorId: string;
  image: string;
  /** `import-check` also covers the start check of entry points that are neither Python nor Node. */
  kind: 'sample-job' | 'import-check' | 'none';
  passed: boolean;
  cases: SmokeCase[];
  durationMs: number;
  /** `SMOKE_FAILED` on the flavor file when `passed` is false. */
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
  /** Docker network the containers join, as the engine's jobs would. */
  network: string;
}

/**
 * Smoke test of one built flavor image, before it is pushed: its sample jobs when the worker folder has some,
 * otherwise an import check (Python), a syntax check (Node) or a start check (any other entry point).
 * Every case runs even when one fails; containers and temporary job folders are always removed.
 */
export async function smokeTestFlavor(docker: Docker, options: SmokeOptions): Promise<SmokeResult> {
  const started = Date.now();
  const base = { flavorId: options.flavor.id, image: options.image };
  const casesRoot = path.join(options.repo, options.worker.path, options.casesDirectory ?? 'tests');
  const caseNames = await findSampleCases(casesRoot);
  if (caseNames.length > 0) {
    const flavorConfig = options.flavor.definition.config ?? {};
    const cases: SmokeCase[] = [];
    for (const name of caseNames) {
      cases.push(await runSampleCase(docker, { image: options.image, caseDirectory: path.join(casesRoot, name), flavorConfig, timeoutMs: options.timeoutMs, network: options.network }));
    }
    return finish({ ...base, kind: 'sample-job', cases, durationMs: 0 }, options, started);
  }

  let image: { entrypoint: string[]; workingDir: string };
  try {
    const { Config } = await docker.getImage(options.image).inspect();
    const entrypoint = Config.Entrypoint;
    image = { entrypoint: typeof entrypoint === 'string' ? [entrypoint] : (entrypoint ?? []), workingDir: Config.WorkingDir };
  } catch (error) {
    const cases = [{ name: 'inspect', passed: false, detail: `the image could not be inspected: ${(error as Error).message}` }];
    return finish({ ...base, kind: 'import-check', cases, durationMs: 0 }, options, started);
  }
  const check = chooseStartupCheck(image, options.worker, options.flavor);
  if (check.type === 'none') {
    return finish({ ...base, kind: 'none', cases: [{ name: 'none', passed: true, detail: `nothing checked: ${check.reason}` }], durationMs: 0 }, options, started);
  }
  const result = await runStartupCheck(docker, options.image, check, { timeoutMs: options.timeoutMs, network: options.network });
  return finish({ ...base, kind: 'import-check', cases: [result], durationMs: 0 }, options, started);
}

function finish(result: Omit<SmokeResult, 'passed'>, options: SmokeOptions, started: number): SmokeResult {
  const failed = result.cases.filter((smokeCase) => !smokeCase.passed);
  const done: SmokeResult = { ...result, passed: failed.length === 0, durationMs: Date.now() - started };
  if (failed.length > 0) done.problem = smokeProblem(done, failed, options);
  return done;
}

function smokeProblem(result: SmokeResult, failed: SmokeCase[], options: SmokeOptions): Problem {
  const what = result.kind === 'sample-job' ? `${failed.length} of ${result.cases.length} sample job(s) failed` : `the ${failed.map((smokeCase) => smokeCase.name).join(', ')} check failed`;
  const lines = failed.map((smokeCase) => `  ${smokeCase.name}: ${smokeCase.detail.replaceAll('\n', '\n    ')}`);
  const casesFolder = path.posix.join(options.worker.path, options.casesDirectory ?? 'tests');
  const hint =
    result.kind === 'sample-job'
      ? `run a case by hand: copy ${casesFolder}/<case>/input to a folder DIR, put the flavor's config under the job's own in DIR/input/input.json, then \`docker run --rm -v DIR:/job ${result.image} /job\` and read DIR/output/output.json; a case meant to fail needs expect.json with {"success": false}`
      : `add what is missing to the worker's requirements or image, or add a sample job under ${casesFolder}/<case>/input/input.json`;
  return { code: 'SMOKE_FAILED', file: options.flavor.file, message: `smoke test of ${result.image}: ${what}\n${lines.join('\n')}`, hint };
}
