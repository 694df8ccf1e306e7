import type { CliIo, ParsedValues } from './command.js';
import { formatProblem, type Problem } from '../errors/problem.js';
import { ExitCode } from '../errors/neurons-error.js';
import { problemsOfFolder } from '../definitions/buildable.js';
import type { FolderLog, PipelineReport } from '../pipeline.js';
import { printable } from '../util/printable.js';
import { appendStepOutputs, appendStepSummary } from '../github-actions/job-files.js';
import { groupedLines } from '../github-actions/workflow-commands.js';
import { imageMetadata, pushedDigests, writeImageMetadata } from '../push/image-metadata.js';
import { annotateProblems } from './annotations.js';
import { printValidationErrors, type baselineOption } from './baseline-option.js';
import { outcomeCounts, pipelineSummaryMarkdown } from './github-summary.js';

/*
 * What `neurons build`, `push` and `pipeline` show and write of a run once it is done: the problems, the summary table
 * (or JSON event), the job summary, step outputs and metadata file, and the exit code.
 */

export interface Stages {
  name: 'build' | 'push' | 'pipeline';
  summary: string;
  push: boolean;
  catalog: boolean;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function firstLine(problem: Problem): string {
  return formatProblem(problem).split('\n')[0] ?? '';
}

function summary(report: PipelineReport, dryRun: boolean): string {
  const rows = [['FLAVOR', 'STATUS', 'REASONS', 'IMAGES / PROBLEM']];
  for (const { worker, reason } of report.plan.skipped) rows.push([worker.path, 'skipped', reason, '']);
  for (const { id, file, problems } of report.excluded) {
    const [first] = problems;
    rows.push([
      id ?? file,
      'invalid',
      '-',
      first ? `${firstLine(first)}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}` : '',
    ]);
  }
  for (const outcome of report.outcomes) {
    const detail = outcome.problem
      ? firstLine(outcome.problem)
      : outcome.images.map((image) => image.reference).join(' ');
    // The plan says how each image would be made: assembled for which platforms, or by the engine and why.
    rows.push([
      outcome.id,
      outcome.status,
      outcome.reasons.join(',') || '-',
      dryRun && outcome.status === 'planned' && outcome.how ? `${detail} (${outcome.how})` : detail,
    ]);
  }
  const lines = [table(rows), ...causes(report)];
  for (const problem of report.kept) lines.push(`kept    ${formatProblem(problem)}`);
  for (const problem of report.missing) lines.push(`missing ${formatProblem(problem)}`);
  for (const file of report.catalogFiles) lines.push(`catalog ${file}`);
  if (report.fatal) lines.push(`no catalog written: ${formatProblem(report.fatal.problem)}`);
  const count = (status: string): number => report.outcomes.filter((outcome) => outcome.status === status).length;
  lines.push(
    `${report.folderBuilds} folder build(s); ${count('pushed')} pushed, ${count('built')} built, ${count('unchanged')} unchanged, ${count('planned')} planned, ${count('failed') + report.plan.skipped.length} failed or skipped, ${report.excluded.length} invalid`,
  );
  return lines.join('\n');
}

/**
 * The whole problem of each failure the table gives one line of: a build's last log lines, the module an import
 * check missed. One folder build failing fails all its flavors with the same problem: it is printed once.
 */
function causes(report: PipelineReport): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const outcome of report.outcomes) {
    if (outcome.status !== 'failed' || !outcome.problem) continue;
    const text = formatProblem(outcome.problem);
    if (seen.has(text)) continue;
    seen.add(text);
    lines.push(`failed  ${outcome.id}: ${text}`);
  }
  return lines;
}

/**
 * Exit 1 for any failed flavor, a folder or definition left out for a problem that is not in the baseline, or a
 * catalog entry missing for another reason than a definition left out (already counted). Known problems never fail.
 */
function failed(report: PipelineReport, allowPartial: boolean, known: Set<Problem>): boolean {
  const isNew = (problem: Problem): boolean => !known.has(problem);
  const skippedNew = report.plan.skipped.some(({ worker }) =>
    problemsOfFolder(worker, report.discovery.errors).some(isNew),
  );
  const excludedNew = report.excluded.some((flavor) => flavor.problems.some(isNew));
  const leftOut = new Set([
    ...report.excluded.map((flavor) => flavor.file),
    ...report.plan.skipped.flatMap(({ worker }) => worker.flavors.map((flavor) => flavor.file)),
  ]);
  const missing = report.missing.filter((problem) => !leftOut.has(problem.file ?? ''));
  return (
    skippedNew ||
    excludedNew ||
    report.outcomes.some((outcome) => outcome.status === 'failed') ||
    (missing.length > 0 && !allowPartial)
  );
}

/** Prints and writes what the run did, and returns its exit code. */
export async function reportRun(
  stages: Stages,
  io: CliIo,
  values: ParsedValues,
  run: {
    report: PipelineReport;
    baseline: Awaited<ReturnType<typeof baselineOption>>;
    json: boolean;
    emit: (event: object) => void;
    metadataFile: string | undefined;
  },
): Promise<number> {
  const { report, baseline, json, emit, metadataFile } = run;
  const { known: knownSet } = printValidationErrors(io, report.discovery.errors, baseline);
  annotateProblems(io, io.stderr, report.discovery, knownSet);
  await publishRunOutputs(stages, io, report, Boolean(values['dry-run']), metadataFile);
  if (json) {
    const { discovery, plan, fatal, excluded, ...rest } = report;
    emit({
      type: 'summary',
      ...rest,
      fatal: fatal?.problem,
      skipped: plan.skipped.map((skip) => ({ path: skip.worker.path, reason: skip.reason })),
      invalid: excluded.map((flavor) => ({
        id: flavor.id ?? null,
        file: flavor.file,
        worker: flavor.worker.path,
        problems: flavor.problems,
      })),
      errors: discovery.errors.map((problem) => (baseline ? { ...problem, known: knownSet.has(problem) } : problem)),
    });
  } else {
    io.stdout.write(
      `${values['dry-run'] ? 'Plan (dry run): nothing is built, pushed or written.\n' : ''}${printable(summary(report, Boolean(values['dry-run'])))}\n`,
    );
  }
  if (report.fatal) {
    io.stderr.write(`neurons ${stages.name}: ${printable(formatProblem(report.fatal.problem))}\n`);
    return report.fatal.exitCode;
  }
  return failed(report, Boolean(values['allow-partial']), knownSet) ? ExitCode.failure : ExitCode.ok;
}

/**
 * A folder's build log folded under its name in a GitHub job's log. Folders build side by side and groups cannot
 * interleave: the lines are held and written as one group when the folder is done.
 */
export function groupedFolderLog(io: CliIo, worker: string): FolderLog {
  const lines: string[] = [];
  return {
    log: (line) => void lines.push(printable(line)),
    end: () => void (lines.length > 0 && io.stderr.write(`${groupedLines(worker, lines)}\n`)),
  };
}

/**
 * What other tools read of a run: the job summary, the step outputs of a push (`digests`, `pushed`, `failed`), and
 * the metadata file; written whatever the outcome, so a partial failure still says what was published. A dry run
 * publishes nothing: only its summary is written.
 */
async function publishRunOutputs(
  stages: Stages,
  io: CliIo,
  report: PipelineReport,
  dryRun: boolean,
  metadataFile: string | undefined,
): Promise<void> {
  await appendStepSummary(io.env, pipelineSummaryMarkdown(stages.name, report, dryRun));
  if (dryRun) return;
  if (stages.push) {
    const counts = outcomeCounts(report);
    await appendStepOutputs(io.env, {
      digests: JSON.stringify(pushedDigests(report.outcomes)),
      pushed: String(counts.pushed),
      failed: String(counts.failed),
    });
  }
  if (metadataFile) await writeImageMetadata(metadataFile, imageMetadata(report.outcomes));
}
