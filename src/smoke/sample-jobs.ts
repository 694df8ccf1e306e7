import type Docker from 'dockerode';
import { cp, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asObject } from '../runner/job-config.js';
import { runSmokeJob, type SmokeCase } from './run-smoke-job.js';

/**
 * Sample jobs of a worker folder: every `<casesDirectory>/<case>/input/input.json`, by case name.
 *
 * Convention: a case that should make the worker report a failure holds `expect.json` with `{"success": false}`
 * next to its `input/` folder. It passes when the worker writes `success: false` with an `errorMessage`.
 * Without that file a case passes when `output/output.json` is a report the engine accepts with `success: true`.
 */
export async function findSampleCases(casesRoot: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(casesRoot);
  } catch {
    return [];
  }
  const cases: string[] = [];
  for (const name of names.sort()) {
    if (await isFile(path.join(casesRoot, name, 'input', 'input.json'))) cases.push(name);
  }
  return cases;
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

/**
 * Runs one case the way the engine would: a fresh copy of its `input/` folder, the flavor's `config` merged under
 * the job's own config values (the job's values win), the image's own entry point with `/job` as argument.
 */
export async function runSampleCase(
  docker: Docker,
  options: {
    image: string;
    caseDirectory: string;
    flavorConfig: Record<string, unknown>;
    timeoutMs: number;
    network: string;
  },
): Promise<SmokeCase> {
  const name = path.basename(options.caseDirectory);
  const job = await mkdtemp(path.join(tmpdir(), 'neurons-smoke-'));
  try {
    await cp(path.join(options.caseDirectory, 'input'), path.join(job, 'input'), { recursive: true });
    const inputFile = path.join(job, 'input', 'input.json');
    let input: Record<string, unknown>;
    try {
      input = asObject(JSON.parse(await readFile(inputFile, 'utf8'))) ?? {};
    } catch (error) {
      return { name, passed: false, detail: `input/input.json is not valid JSON: ${(error as Error).message}` };
    }
    input['config'] = { ...options.flavorConfig, ...asObject(input['config']) };
    await writeFile(inputFile, JSON.stringify(input));
    const expectFailure = await expectsFailure(options.caseDirectory);
    if (expectFailure instanceof Error)
      return { name, passed: false, detail: `expect.json is not valid JSON: ${expectFailure.message}` };
    return await runSmokeJob(docker, {
      name,
      image: options.image,
      jobDirectory: job,
      expectation: expectFailure ? 'failure' : 'success',
      timeoutMs: options.timeoutMs,
      network: options.network,
    });
  } catch (error) {
    return { name, passed: false, detail: `could not run the case: ${(error as Error).message}` };
  } finally {
    await rm(job, { recursive: true, force: true });
  }
}

async function expectsFailure(caseDirectory: string): Promise<boolean | Error> {
  const file = path.join(caseDirectory, 'expect.json');
  if (!(await isFile(file))) return false;
  try {
    return asObject(JSON.parse(await readFile(file, 'utf8')))?.['success'] === false;
  } catch (error) {
    return error as Error;
  }
}
