import type { Discovery } from '../definitions/types.js';
import type { BaselineSplit } from '../definitions/baseline.js';
import { formatProblem, type Problem } from '../errors/problem.js';
import { markdownTable } from '../github-actions/markdown.js';
import type { PipelineReport } from '../pipeline.js';
import { stripTerminalEscapes } from '../util/printable.js';

// The job summary (`GITHUB_STEP_SUMMARY`) of each command: what a reviewer looks for first, as Markdown. Secrets are
// masked where the file is written (appendStepSummary).

function oneLine(problem: Problem): string {
  return formatProblem(problem).split('\n')[0] ?? '';
}

/** Counts by status, in the order the text summary gives them. */
export function outcomeCounts(
  report: PipelineReport,
): Record<'pushed' | 'built' | 'unchanged' | 'planned' | 'failed' | 'skipped' | 'invalid', number> {
  const count = (status: string): number => report.outcomes.filter((outcome) => outcome.status === status).length;
  return {
    pushed: count('pushed'),
    built: count('built'),
    unchanged: count('unchanged'),
    planned: count('planned'),
    failed: count('failed'),
    skipped: report.plan.skipped.length,
    invalid: report.excluded.length,
  };
}

/** `build`, `push` and `pipeline`: every flavor with its status and images (reference and digest), then each failure's cause. */
export function pipelineSummaryMarkdown(command: string, report: PipelineReport, dryRun: boolean): string {
  const rows: string[][] = [];
  for (const { worker, reason } of report.plan.skipped) rows.push([worker.path, 'skipped', reason]);
  for (const { id, file, problems } of report.excluded)
    rows.push([id ?? file, 'invalid', problems.map(oneLine).join('\n')]);
  for (const outcome of report.outcomes) {
    const images = outcome.images
      .map((image) => (image.digest ? `${image.reference}\n${image.digest}` : image.reference))
      .join('\n');
    rows.push([outcome.id, outcome.status, outcome.problem ? oneLine(outcome.problem) : images]);
  }
  const counts = outcomeCounts(report);
  const lines = [`### neurons ${command}${dryRun ? ' (dry run: nothing built, pushed or written)' : ''}`, ''];
  lines.push(
    `${report.folderBuilds} folder build(s); ${Object.entries(counts)
      .map(([status, count]) => `${count} ${status}`)
      .join(', ')}`,
    '',
  );
  if (rows.length > 0) lines.push(markdownTable(['Flavor', 'Status', 'Images / problem'], rows), '');
  // Whole causes, once each: one folder build failing fails all its flavors with the same problem.
  const causes = new Map<string, string[]>();
  for (const outcome of report.outcomes) {
    if (outcome.status !== 'failed' || !outcome.problem) continue;
    const text = formatProblem(outcome.problem);
    causes.set(text, [...(causes.get(text) ?? []), outcome.id]);
  }
  if (causes.size > 0)
    lines.push(
      '#### Failures',
      '',
      markdownTable(
        ['Flavors', 'Cause'],
        [...causes].map(([text, ids]) => [ids.join('\n'), text]),
      ),
      '',
    );
  if (report.missing.length > 0)
    lines.push(
      '#### Missing from the catalogs',
      '',
      ...report.missing.map((problem) => `- ${oneLine(problem).replaceAll('<', '&lt;')}`),
      '',
    );
  if (report.catalogFiles.length > 0)
    lines.push('#### Catalogs written', '', ...report.catalogFiles.map((file) => `- \`${file}\``), '');
  if (report.fatal) lines.push(`**No catalog written:** ${oneLine(report.fatal.problem).replaceAll('<', '&lt;')}`, '');
  return stripTerminalEscapes(lines.join('\n'));
}

/** `validate`: counts, then every problem with its file and position. */
export function validateSummaryMarkdown(discovery: Discovery, baseline?: BaselineSplit): string {
  const known = new Set(baseline?.known ?? []);
  const flavors = discovery.workers.reduce((sum, worker) => sum + worker.flavors.length, 0);
  const errors = baseline
    ? `${discovery.errors.length} error(s) (${baseline.known.length} known, ${baseline.fresh.length} new)`
    : `${discovery.errors.length} error(s)`;
  const lines = [
    '### neurons validate',
    '',
    `${discovery.workers.length} worker folder(s), ${flavors} flavor(s); ${errors}, ${discovery.warnings.length} warning(s)`,
    '',
  ];
  const rows = [
    ...discovery.errors.map((problem) => ({ severity: known.has(problem) ? 'known error' : 'error', problem })),
    ...discovery.warnings.map((problem) => ({ severity: 'warning', problem })),
  ].map(({ severity, problem }) => [
    severity,
    problem.file ?? '(repository)',
    problem.line === undefined ? '' : `${problem.line}:${problem.column ?? 1}`,
    problem.code,
    `${problem.message}${problem.pointer ? ` (${problem.pointer})` : ''}${problem.hint ? `\nhint: ${problem.hint}` : ''}`,
  ]);
  if (rows.length > 0) lines.push(markdownTable(['Severity', 'File', 'Line', 'Code', 'Message'], rows), '');
  return stripTerminalEscapes(lines.join('\n'));
}
