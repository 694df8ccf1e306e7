import { resolve } from 'node:path';
import { type CliIo, type Command, type ParsedValues, stringOption } from '../command.js';
import { baselineSpec, jsonOption, repoOption } from '../common-options.js';
import { baselineOption } from '../baseline-option.js';
import {
  formatBaseline,
  parseBaseline,
  splitByBaseline,
  type Baseline,
  type BaselineSplit,
} from '../../definitions/baseline.js';
import { discoverRepository } from '../../definitions/discover.js';
import type { Discovery, WorkerFolder, WorkerKind } from '../../definitions/types.js';
import { ExitCode } from '../../errors/neurons-error.js';
import { formatProblem, type Problem, type Severity } from '../../errors/problem.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { printable, printableJson } from '../../util/printable.js';
import { appendStepSummary } from '../../github-actions/job-files.js';
import { annotateProblems } from '../annotations.js';
import { validateSummaryMarkdown } from '../github-summary.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check every worker definition of a repository and report all problems at once',
  usage: 'neurons validate [--repo DIR] [--definitions-only] [--baseline FILE] [--write-baseline FILE] [--json]',
  options: {
    repo: repoOption,
    'definitions-only': {
      type: 'boolean',
      description: 'check definitions without looking for code files (trees that hold only definitions)',
    },
    baseline: baselineSpec,
    'write-baseline': {
      type: 'string',
      value: 'FILE',
      description:
        'write the problems found as a baseline file (with --baseline: the known ones still found plus the new ones)',
    },
    json: jsonOption,
  },
  async run(io: CliIo, values: ParsedValues): Promise<number> {
    const repo = typeof values['repo'] === 'string' ? resolve(io.cwd, values['repo']) : io.cwd;
    const baseline = await baselineOption(io, values);
    const discovery = await discoverRepository(repo, { definitionsOnly: values['definitions-only'] === true });
    let accepted: Baseline | undefined = baseline;
    const target = stringOption(values, 'write-baseline');
    if (target !== undefined) {
      // Every problem of today becomes known: the file is what later runs compare with.
      const file = resolve(io.cwd, target);
      const text = formatBaseline(discovery.errors);
      await writeFileAtomic(file, text);
      accepted = parseBaseline(text, file);
      io.stderr.write(`baseline written: ${file} (${accepted.entries.length} problem(s))\n`);
    }
    const split = accepted ? splitByBaseline(discovery.errors, accepted) : undefined;
    const json = values['json'] === true;
    io.stdout.write(
      json ? `${printableJson(toJsonReport(discovery, split), 2)}\n` : printable(formatReport(discovery, split)),
    );
    annotateProblems(io, json ? io.stderr : io.stdout, discovery, new Set(split?.known ?? []));
    await appendStepSummary(io.env, validateSummaryMarkdown(discovery, split));
    return (split ? split.fresh.length : discovery.errors.length) > 0 ? ExitCode.failure : ExitCode.ok;
  },
};

const kindLabels: Record<WorkerKind, string> = { analyzer: 'analyzers', responder: 'responders' };

/**
 * The `--json` document: a stable shape, absent positions as null. With a baseline, each error says whether it is
 * `known`, and `baseline` counts them and lists the entries no problem matches any more.
 */
export function toJsonReport(discovery: Discovery, baseline?: BaselineSplit): unknown {
  const known = new Set(baseline?.known ?? []);
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
    reportTemplates:
      discovery.reportTemplates.state === 'ready'
        ? {
            state: 'ready',
            analyzers: discovery.reportTemplates.folders,
            files: discovery.reportTemplates.entries.map((entry) => entry.name),
          }
        : { state: discovery.reportTemplates.state },
    errors: discovery.errors.map((entry) =>
      baseline ? { ...problem(entry), known: known.has(entry) } : problem(entry),
    ),
    warnings: discovery.warnings.map(problem),
    ...(baseline
      ? { baseline: { known: baseline.known.length, new: baseline.fresh.length, stale: baseline.stale } }
      : {}),
  };
}

function summarizeKind(label: string, workers: WorkerFolder[]): string {
  const runtimes = new Map<string, number>();
  for (const worker of workers)
    runtimes.set(worker.runtime ?? 'unknown', (runtimes.get(worker.runtime ?? 'unknown') ?? 0) + 1);
  const byRuntime = [...runtimes].sort((a, b) => b[1] - a[1]).map(([runtime, count]) => `${runtime} ${count}`);
  const flavors = workers.reduce((sum, worker) => sum + worker.flavors.length, 0);
  return `${label}: ${workers.length} folders, ${flavors} flavors${byRuntime.length ? ` (${byRuntime.join(', ')})` : ''}`;
}

/** Human report: a summary by kind and runtime, then the problems grouped by file (known ones marked so). */
export function formatReport(discovery: Discovery, baseline?: BaselineSplit): string {
  const known = new Set(baseline?.known ?? []);
  const lines: string[] = [];
  for (const [kind, label] of Object.entries(kindLabels)) {
    lines.push(
      summarizeKind(
        label,
        discovery.workers.filter((worker) => worker.kind === kind),
      ),
    );
  }
  if (discovery.deprecated.length > 0) lines.push(`deprecated: ${discovery.deprecated.length} files (skipped)`);
  const templates = discovery.reportTemplates;
  if (templates.state === 'ready')
    lines.push(
      `report templates: ${templates.folders} analyzers, ${templates.entries.length} files (published as report-templates.zip)`,
    );
  if (templates.state === 'invalid') lines.push('report templates: not published (see the errors below)');
  const tagged: Array<{ severity: Severity | 'known error'; problem: Problem }> = [
    ...discovery.errors.map((problem) => ({
      severity: known.has(problem) ? ('known error' as const) : ('error' as const),
      problem,
    })),
    ...discovery.warnings.map((problem) => ({ severity: 'warning' as const, problem })),
  ];
  const byFile = new Map<string, typeof tagged>();
  for (const entry of tagged)
    byFile.set(entry.problem.file ?? '', [...(byFile.get(entry.problem.file ?? '') ?? []), entry]);
  for (const file of [...byFile.keys()].sort()) {
    lines.push('', file || '(repository)');
    const entries = (byFile.get(file) ?? []).sort((a, b) => (a.problem.line ?? 0) - (b.problem.line ?? 0));
    for (const { severity, problem } of entries) {
      // The file is the group's heading: each line keeps the position, pointer, code, message and hint.
      const { file: _file, ...rest } = problem;
      lines.push(`  ${severity}: ${formatProblem(rest).replaceAll('\n', '\n  ')}`);
    }
  }
  if (baseline) {
    lines.push(
      '',
      `${discovery.errors.length} errors (${baseline.known.length} known, ${baseline.fresh.length} new), ${discovery.warnings.length} warnings`,
    );
    if (baseline.stale.length > 0)
      lines.push(`${baseline.stale.length} baseline problem(s) no longer found: write the baseline again to drop them`);
  } else {
    lines.push('', `${discovery.errors.length} errors, ${discovery.warnings.length} warnings`);
  }
  return `${lines.join('\n')}\n`;
}
