import { resolve } from 'node:path';
import type { CliIo, Command, ParsedValues } from '../command.js';
import { jsonOption, repoOption } from '../common-options.js';
import { discoverRepository } from '../../definitions/discover.js';
import type { Discovery, WorkerFolder, WorkerKind } from '../../definitions/types.js';
import { ExitCode } from '../../errors/neurons-error.js';
import { formatProblem, type Problem, type Severity } from '../../errors/problem.js';
import { maskSecrets } from '../../util/mask.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check every worker definition of a repository and report all problems at once',
  usage: 'neurons validate [--repo DIR] [--definitions-only] [--json]',
  options: {
    repo: repoOption,
    'definitions-only': { type: 'boolean', description: 'check definitions without looking for code files (trees that hold only definitions)' },
    json: jsonOption,
  },
  async run(io: CliIo, values: ParsedValues): Promise<number> {
    const repo = typeof values['repo'] === 'string' ? resolve(io.cwd, values['repo']) : io.cwd;
    const discovery = await discoverRepository(repo, { definitionsOnly: values['definitions-only'] === true });
    const report = values['json'] === true ? `${JSON.stringify(toJsonReport(discovery), null, 2)}\n` : formatReport(discovery);
    io.stdout.write(maskSecrets(report));
    return discovery.errors.length > 0 ? ExitCode.failure : ExitCode.ok;
  },
};

const kindLabels: Record<WorkerKind, string> = { analyzer: 'analyzers', responder: 'responders' };

/** The `--json` document: a stable shape, absent positions as null. */
export function toJsonReport(discovery: Discovery): unknown {
  const problem = (entry: Problem) => ({
    code: entry.code,
    file: entry.file ?? null,
    pointer: entry.pointer ?? null,
    line: entry.line ?? null,
    column: entry.column ?? null,
    message: entry.message,
    hint: entry.hint ?? null,
  });
  return {
    workers: discovery.workers.map((worker) => ({
      kind: worker.kind,
      directory: worker.directory,
      runtime: worker.runtime ?? null,
      flavors: worker.flavors.map((flavor) => ({
        name: flavor.definition.name,
        version: flavor.definition.version,
        file: flavor.file,
        id: flavor.id,
      })),
    })),
    deprecated: discovery.deprecated,
    errors: discovery.errors.map(problem),
    warnings: discovery.warnings.map(problem),
  };
}

function summarizeKind(label: string, workers: WorkerFolder[]): string {
  const runtimes = new Map<string, number>();
  for (const worker of workers) runtimes.set(worker.runtime ?? 'unknown', (runtimes.get(worker.runtime ?? 'unknown') ?? 0) + 1);
  const byRuntime = [...runtimes].sort((a, b) => b[1] - a[1]).map(([runtime, count]) => `${runtime} ${count}`);
  const flavors = workers.reduce((sum, worker) => sum + worker.flavors.length, 0);
  return `${label}: ${workers.length} folders, ${flavors} flavors${byRuntime.length ? ` (${byRuntime.join(', ')})` : ''}`;
}

/** Human report: a summary by kind and runtime, then the problems grouped by file. */
export function formatReport(discovery: Discovery): string {
  const lines: string[] = [];
  for (const [kind, label] of Object.entries(kindLabels)) {
    lines.push(summarizeKind(label, discovery.workers.filter((worker) => worker.kind === kind)));
  }
  if (discovery.deprecated.length > 0) lines.push(`deprecated: ${discovery.deprecated.length} files (skipped)`);
  const tagged: Array<{ severity: Severity; problem: Problem }> = [
    ...discovery.errors.map((problem) => ({ severity: 'error' as const, problem })),
    ...discovery.warnings.map((problem) => ({ severity: 'warning' as const, problem })),
  ];
  const byFile = new Map<string, typeof tagged>();
  for (const entry of tagged) byFile.set(entry.problem.file ?? '', [...(byFile.get(entry.problem.file ?? '') ?? []), entry]);
  for (const file of [...byFile.keys()].sort()) {
    lines.push('', file || '(repository)');
    const entries = (byFile.get(file) ?? []).sort((a, b) => (a.problem.line ?? 0) - (b.problem.line ?? 0));
    for (const { severity, problem } of entries) {
      // The file is the group's heading: each line keeps the position, pointer, code, message and hint.
      const { file: _file, ...rest } = problem;
      lines.push(`  ${severity}: ${formatProblem(rest).replaceAll('\n', '\n  ')}`);
    }
  }
  lines.push('', `${discovery.errors.length} errors, ${discovery.warnings.length} warnings`);
  return `${lines.join('\n')}\n`;
}
