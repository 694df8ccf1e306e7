import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { maskSecrets } from '../util/mask.js';

/**
 * One `GITHUB_OUTPUT` entry, always in the `name<<DELIMITER` form: a value may hold newlines, and the delimiter is
 * random so no value can end the entry early.
 */
export function outputEntry(name: string, value: string): string {
  let delimiter = `ghadelimiter_${randomBytes(12).toString('hex')}`;
  while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomBytes(12).toString('hex')}`;
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

/**
 * Appends step outputs to the file `GITHUB_OUTPUT` names, when it is set. Secrets are masked: an output is shown in
 * the job's log and passed to other jobs.
 */
export async function appendStepOutputs(env: NodeJS.ProcessEnv, outputs: Record<string, string>): Promise<void> {
  const file = env['GITHUB_OUTPUT'];
  if (!file) return;
  await appendFile(
    file,
    Object.entries(outputs)
      .map(([name, value]) => outputEntry(name, maskSecrets(value)))
      .join(''),
  );
}

/** GitHub refuses a step's summary over 1 MiB (and shows none of it); a summary is cut well below. */
export const summaryLimitBytes = 512 * 1024;

/** The summary cut at a line end below the limit, saying so, when it is too large for GitHub to show. */
export function limitSummary(markdown: string, limit = summaryLimitBytes): string {
  if (Buffer.byteLength(markdown) <= limit) return markdown;
  const head = Buffer.from(markdown)
    .subarray(0, limit - 200)
    .toString('utf8');
  return `${head.slice(0, Math.max(0, head.lastIndexOf('\n')))}\n\n_Summary cut: it was larger than GitHub shows. The job's log has all of it._\n`;
}

/** Appends Markdown to the job summary (`GITHUB_STEP_SUMMARY`), when it is set; secrets masked. */
export async function appendStepSummary(env: NodeJS.ProcessEnv, markdown: string): Promise<void> {
  const file = env['GITHUB_STEP_SUMMARY'];
  if (!file) return;
  await appendFile(file, `${limitSummary(maskSecrets(markdown).trimEnd())}\n\n`);
}
