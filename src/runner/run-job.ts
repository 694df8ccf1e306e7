import type Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runContainer } from './run-container.js';

export interface JobRun {
  exitCode: number;
  /** The worker's report, or undefined when it wrote none. */
  output: Record<string, unknown> | undefined;
  logs: string;
  /** The container ran past the timeout and was killed. */
  timedOut: boolean;
}

/**
 * Runs a worker image on a job folder the way the engine does: the folder mounted at /job, `/job` as the only
 * argument, the image's own entry point. The job folder must already hold `input/input.json`. As the engine does,
 * a job with `input/cacerts` gets `REQUESTS_CA_BUNDLE=/job/input/cacerts`; `env` adds variables (`NAME=value`).
 */
export async function runJob(
  docker: Docker,
  image: string,
  jobDirectory: string,
  options: { timeoutMs: number; network: string; env?: string[] },
): Promise<JobRun> {
  const caBundle = existsSync(path.join(jobDirectory, 'input', 'cacerts'))
    ? ['REQUESTS_CA_BUNDLE=/job/input/cacerts']
    : [];
  const env = [...(options.env ?? []), ...caBundle];
  const run = await runContainer(docker, {
    image,
    cmd: ['/job'],
    jobDirectory,
    network: options.network,
    timeoutMs: options.timeoutMs,
    env,
  });
  let output: Record<string, unknown> | undefined;
  try {
    output = JSON.parse(await readFile(path.join(jobDirectory, 'output', 'output.json'), 'utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    output = undefined;
  }
  // A killed container has no exit code of its own: -1, as the engine reports a job it stopped.
  return { exitCode: run.exitCode ?? -1, output, logs: run.logs, timedOut: run.timedOut };
}
