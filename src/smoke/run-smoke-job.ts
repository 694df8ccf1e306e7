import type Docker from 'dockerode';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runJob } from '../runner/run-job.js';
import { logTail } from '../runner/run-container.js';
import { judgeReport, type Expectation } from './judge-report.js';

export interface SmokeCase {
  name: string;
  passed: boolean;
  detail: string;
}

/**
 * Runs the image on a job folder already holding `input/` (the engine's way: mounted at /job, `/job` as argument,
 * the image's entry point) and judges the report it leaves. A failure carries the last lines of the container's
 * output: that is where the cause is.
 */
export async function runSmokeJob(
  docker: Docker,
  options: {
    name: string;
    image: string;
    jobDirectory: string;
    expectation: Expectation;
    timeoutMs: number;
    network: string;
  },
): Promise<SmokeCase> {
  let run;
  try {
    run = await runJob(docker, options.image, options.jobDirectory, {
      timeoutMs: options.timeoutMs,
      network: options.network,
    });
  } catch (error) {
    return { name: options.name, passed: false, detail: `the container did not start: ${(error as Error).message}` };
  }
  return judgeJob(options, run);
}

/**
 * Judges a finished job by the report it left in its folder, as the engine reads it. A failure carries the last lines
 * of the process's output: that is where the cause is.
 */
export async function judgeJob(
  options: { name: string; jobDirectory: string; expectation: Expectation; timeoutMs: number },
  run: { exitCode: number | undefined; timedOut: boolean; logs: string },
): Promise<SmokeCase> {
  const { name } = options;
  if (run.timedOut)
    return {
      name,
      passed: false,
      detail: `timed out after ${Math.round(options.timeoutMs / 1000)} s: the container was killed${logTail(run.logs)}`,
    };
  // Read here rather than taken from runJob: a file that is there but not JSON is another fault than no file.
  const text = await readFile(path.join(options.jobDirectory, 'output', 'output.json'), 'utf8').catch(() => undefined);
  const verdict = judgeReport(text, options.expectation);
  const exitCode = run.exitCode ?? -1;
  if (verdict.passed) return { name, passed: true, detail: `${verdict.detail} (exit code ${exitCode})` };
  return { name, passed: false, detail: `${verdict.detail}, exit code ${exitCode}${logTail(run.logs)}` };
}
