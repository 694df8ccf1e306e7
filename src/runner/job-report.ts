import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { lastLines, logTail } from './run-container.js';
import { asObject } from './job-config.js';
import type { JobRun } from './run-job.js';

export interface JobReport {
  /** The worker's `output/output.json`, or the failure report the engine would record instead. */
  report: Record<string, unknown>;
  success: boolean;
  /** Files the worker wrote in `output/` besides `output.json` (paths relative to `output/`), sorted. */
  artifactFiles: string[];
}

/**
 * The outcome of a finished job, as the engine records it: a killed job is `timeout ...`; a missing or empty
 * `output/output.json` becomes `{"success": false, "errorMessage": <the container's last log lines>}`.
 */
export async function readJobReport(jobDirectory: string, run: JobRun, timeoutMs: number): Promise<JobReport> {
  const output = path.join(jobDirectory, 'output');
  const artifactFiles = (await listFiles(output)).filter((file) => file !== 'output.json');
  const failure = (errorMessage: string): JobReport => ({
    report: { success: false, errorMessage },
    success: false,
    artifactFiles,
  });
  if (run.timedOut)
    return failure(`timeout: the job ran longer than ${timeoutMs / 1000} s and was killed${logTail(run.logs)}`);
  let text: string;
  try {
    text = await readFile(path.join(output, 'output.json'), 'utf8');
  } catch {
    text = '';
  }
  if (text.trim() === '')
    return failure(
      lastLines(run.logs, 20) || `no output/output.json and nothing in the container's log (exit code ${run.exitCode})`,
    );
  let report: Record<string, unknown> | undefined;
  try {
    report = asObject(JSON.parse(text));
  } catch (error) {
    return failure(`output/output.json is not valid JSON (${(error as Error).message})${logTail(run.logs)}`);
  }
  if (!report) return failure(`output/output.json is not a JSON object${logTail(run.logs)}`);
  return { report, success: report['success'] === true, artifactFiles };
}

async function listFiles(directory: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(directory, entry.name), relative)));
    else files.push(relative);
  }
  return files.sort();
}
