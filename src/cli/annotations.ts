import type { Discovery } from '../definitions/types.js';
import type { Problem } from '../errors/problem.js';
import { inGithubActions, problemCommand } from '../github-actions/workflow-commands.js';
import { printable } from '../util/printable.js';
import type { CliIo } from './command.js';

/**
 * In a GitHub Actions job, every validation problem again as a workflow command, so GitHub annotates the file and
 * line. Errors a baseline knows are annotated as warnings: they do not fail the run. Written to `stream` (standard
 * error when standard output is a JSON document: the runner reads commands from both).
 */
export function annotateProblems(
  io: CliIo,
  stream: NodeJS.WritableStream,
  discovery: Discovery,
  known: ReadonlySet<Problem>,
): void {
  if (!inGithubActions(io.env)) return;
  const lines = [
    ...discovery.errors.map((problem) => problemCommand(problem, known.has(problem) ? 'warning' : 'error')),
    ...discovery.warnings.map((problem) => problemCommand(problem, 'warning')),
  ];
  if (lines.length > 0) stream.write(`${printable(lines.join('\n'))}\n`);
}
