import Docker from 'dockerode';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  type CliIo,
  type Command,
  type OptionDoc,
  type OptionSpec,
  type ParsedValues,
  stringOption,
} from '../command.js';
import {
  baselineSpec,
  channelOption,
  configOption,
  detectionOptionDocs,
  namespaceOption,
  offlineOption,
  onlyOption,
  repoOption,
  skipTestsOption,
} from '../common-options.js';
import { loadConfig, type ConfigOverrides } from '../../config/load-config.js';
import { localConfig } from '../../config/local-config.js';
import { loadCommandConfig } from '../load-command-config.js';
import { ExitCode, UsageError } from '../../errors/neurons-error.js';
import { formatProblem, type Problem } from '../../errors/problem.js';
import { splitByBaseline } from '../../definitions/baseline.js';
import { problemsOfFolder } from '../../definitions/buildable.js';
import { baselineOption } from '../baseline-option.js';
import { detectMode, pullRequestNumber } from './detect.js';
import { parseShard } from '../../plan/shards.js';
import { runPipeline, type FolderLog, type PipelineReport } from '../../pipeline.js';
import { createProgressView, progressModes, type ProgressMode, type ProgressView } from '../progress-view.js';
import { printable, printableJson } from '../../util/printable.js';
import { createSmokeTester } from '../smoke-tester.js';
import { appendStepOutputs, appendStepSummary } from '../../github-actions/job-files.js';
import { groupedLines, inGithubActions } from '../../github-actions/workflow-commands.js';
import { imageMetadata, pushedDigests, writeImageMetadata } from '../../push/image-metadata.js';
import { annotateProblems } from '../annotations.js';
import { outcomeCounts, pipelineSummaryMarkdown } from '../github-summary.js';
import {
  catalogOptionSpecs,
  catalogOptionsUsage,
  catalogTargets,
  expiresInDays,
  signingPolicy,
} from '../catalog-options.js';

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

interface Stages {
  name: 'build' | 'push' | 'pipeline';
  summary: string;
  push: boolean;
  catalog: boolean;
}

async function run(stages: Stages, io: CliIo, values: ParsedValues): Promise<number> {
  const repo = path.resolve(io.cwd, String(values['repo'] ?? '.'));
  if (!existsSync(repo))
    throw new UsageError({
      code: 'REPO_NOT_FOUND',
      file: repo,
      message: 'repository folder not found',
      hint: 'check --repo',
    });
  const concurrency = Number(values['concurrency'] ?? 2);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UsageError({
      code: 'USAGE',
      message: `--concurrency must be a whole number >= 1, not ${String(values['concurrency'])}`,
    });
  const text = (name: string): string | undefined => stringOption(values, name);
  const local = Boolean(values['local']);
  if (local && text('registry'))
    throw new UsageError({
      code: 'USAGE',
      message: '--local keeps the images in the engine: --registry does not apply',
      hint: 'leave out --registry (or --local, to push to that registry)',
    });
  if (text('save') && !local)
    throw new UsageError({ code: 'USAGE', message: '--save archives the images of a local run', hint: 'add --local' });
  // A local run needs no registry, and names none: the local environment's notice would mislead it.
  const load = local
    ? (overrides: ConfigOverrides) => loadConfig(repo, io.env, overrides, { requireRegistry: false })
    : (overrides: ConfigOverrides) => loadCommandConfig(io, repo, overrides);
  const loaded = await load({
    ...(text('registry') ? { registry: text('registry') as string } : {}),
    ...(text('namespace') ? { namespace: text('namespace') as string } : {}),
    ...(text('channel') ? { channel: text('channel') as string } : {}),
    ...(text('output') ? { output: path.resolve(io.cwd, text('output') as string) } : {}),
    ...(text('config') ? { configFile: path.resolve(io.cwd, text('config') as string) } : {}),
    ...(values['platform'] ? { platforms: values['platform'] as string[] } : {}),
  });
  const config = local
    ? localConfig(loaded, (text('namespace') ?? io.env['NEURONS_NAMESPACE'])?.toLowerCase())
    : loaded;
  // Checked before anything is built: a CI run that must sign and cannot fails at once.
  const policy = stages.catalog ? await signingPolicy(io, values) : { signingKey: undefined, allowUnsigned: false };
  const targets = stages.catalog ? catalogTargets(io, values, config.output, config) : [];
  const baseline = await baselineOption(io, values);
  const json = Boolean(values['json']);
  const emit = (event: object): void => void io.stdout.write(`${printableJson(event)}\n`);
  const docker = new Docker();
  const view = progressView(io, values, json, emit);
  try {
    return await runAndReport(stages, io, values, {
      config,
      policy,
      targets,
      baseline,
      json,
      emit,
      docker,
      view,
      local,
      repo,
      concurrency,
    });
  } finally {
    view.close();
  }
}

/**
 * What a run shows while it works (`--progress`): by default the live view on a terminal and plain lines elsewhere,
 * on standard error; with `--json` and no `--progress`, the progress events go to standard output, before the summary.
 */
function progressView(io: CliIo, values: ParsedValues, json: boolean, emit: (event: object) => void): ProgressView {
  const mode = stringOption(values, 'progress');
  if (mode !== undefined && !(progressModes as readonly string[]).includes(mode))
    throw new UsageError({
      code: 'USAGE',
      message: `--progress must be ${progressModes.join(', ')}, not ${JSON.stringify(mode)}`,
    });
  if (json && mode === undefined)
    return {
      event: (event) => emit({ type: 'progress', ...event }),
      log: (line) => void io.stderr.write(`${printable(line)}\n`),
      close: () => undefined,
    };
  return createProgressView(
    (mode ?? 'auto') as ProgressMode,
    io.stderr as NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number },
    io.env,
  );
}

async function runAndReport(
  stages: Stages,
  io: CliIo,
  values: ParsedValues,
  context: {
    config: Awaited<ReturnType<typeof loadConfig>>;
    policy: Awaited<ReturnType<typeof signingPolicy>>;
    targets: ReturnType<typeof catalogTargets>;
    baseline: Awaited<ReturnType<typeof baselineOption>>;
    json: boolean;
    emit: (event: object) => void;
    docker: Docker;
    view: ProgressView;
    local: boolean;
    repo: string;
    concurrency: number;
  },
): Promise<number> {
  const { config, policy, targets, baseline, json, emit, docker, view, local, repo, concurrency } = context;
  const text = (name: string): string | undefined => stringOption(values, name);
  const log = (line: string): void => view.log(line);
  const metadataFile =
    text('metadata-file') === undefined ? undefined : path.resolve(io.cwd, text('metadata-file') as string);
  const report = await runPipeline({
    repo,
    config,
    docker,
    only: (values['only'] as string[] | undefined) ?? [],
    dryRun: Boolean(values['dry-run']),
    offline: Boolean(values['offline']),
    force: Boolean(values['force']),
    concurrency,
    shard: text('shard') === undefined ? undefined : parseShard(text('shard') as string),
    mode: detectMode(values),
    base: text('base'),
    head: text('head') ?? 'HEAD',
    pullRequest: pullRequestNumber(text('pr')),
    push: stages.push,
    catalog: stages.catalog,
    local,
    save: text('save') === undefined ? undefined : path.resolve(io.cwd, text('save') as string),
    targets,
    ...policy,
    expiresInDays: expiresInDays(values),
    smoke: values['skip-tests']
      ? undefined
      : createSmokeTester(docker, {
          repo,
          config,
          timeoutMs: Number(io.env['NEURONS_SMOKE_TIMEOUT'] ?? 120) * 1000,
          log,
        }),
    env: io.env,
    log,
    ...(inGithubActions(io.env) && !json ? { folderLog: (worker: string) => groupedFolderLog(io, worker) } : {}),
    progress: (event) => view.event(event),
  });
  view.close();
  const { known } = splitByBaseline(report.discovery.errors, baseline);
  const knownSet = new Set(known);
  for (const problem of report.discovery.errors)
    io.stderr.write(`${knownSet.has(problem) ? 'known  ' : 'error  '} ${printable(formatProblem(problem))}\n`);
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
function groupedFolderLog(io: CliIo, worker: string): FolderLog {
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

const commonOptions = {
  repo: repoOption,
  config: configOption,
  registry: {
    type: 'string',
    value: 'HOST',
    description: 'the registry to push to (replaces the configured ones)',
    default: 'the configuration, NEURONS_REGISTRY, else the local environment',
  },
  namespace: namespaceOption,
  channel: channelOption,
  only: onlyOption,
  platform: {
    type: 'string',
    multiple: true,
    value: 'OS/ARCH',
    description: 'the platforms of the images (linux/amd64, linux/arm64, linux/arm/v7); repeatable or comma-separated',
    default: 'the configuration, NEURONS_PLATFORMS, else linux/amd64 and linux/arm64',
  },
  all: { type: 'boolean', description: 'check every worker against the registry (--mode digest)' },
  ...detectionOptionDocs,
  force: { type: 'boolean', description: 'build and push even what the registry has; overwrite published versions' },
  concurrency: { type: 'string', value: 'N', description: 'folder builds at once', default: '2' },
  'skip-tests': skipTestsOption,
  'dry-run': {
    type: 'boolean',
    description: 'decide (reading the registry) and print the plan: what would be built, tagged and pushed, and why',
  },
  offline: offlineOption,
  baseline: baselineSpec,
  progress: {
    type: 'string',
    value: 'auto|plain|json',
    description:
      'how progress is shown on standard error: a live view of the running workers with their elapsed times (on a terminal), plain lines, or JSON lines',
    default: 'auto: live on a terminal, plain in CI (CI, GitHub Actions), pipes and files',
  },
  json: { type: 'boolean', description: 'one JSON event per line, then a summary event' },
  'metadata-file': {
    type: 'string',
    value: 'FILE',
    description:
      "write every reference pushed, its digest and each platform's manifest digest as JSON (for cosign and scanners); written also when some flavors fail",
  },
} satisfies OptionSpec;

/** Local mode: `build` and `pipeline` only (`push --local` would push nothing). */
const localSpec: OptionDoc = {
  type: 'boolean',
  description:
    'build into the local Docker engine only, no registry: images named localhost/NS/NAME:TAG, decided and verified by their labels in the engine',
};

const saveSpec: OptionDoc = {
  type: 'string',
  value: 'DIR',
  description:
    'with --local: a `docker save` archive of every image built, one NAME_TAG.tar per image, into DIR (a backup for `docker load`)',
};

/** Sharding splits builds; the catalogs are written once, after the shards (so `pipeline` has no `--shard`). */
const shardSpec: OptionDoc = {
  type: 'string',
  value: 'i/N',
  description: 'only the folders of shard i of N, as `neurons plan` splits them',
};

function pipelineLikeCommand(stages: Stages): Command {
  const output = stages.catalog ? ` [--output DIR] ${catalogOptionsUsage}` : '';
  const local = stages.push && !stages.catalog ? {} : { local: localSpec, save: saveSpec };
  return {
    name: stages.name,
    summary: stages.summary,
    usage: `neurons ${stages.name} [--repo DIR] [--config FILE] [--registry HOST] [--namespace NS] [--channel stable|devel]${output} [--only DIR]... [--platform OS/ARCH]... [--all] [--mode git|digest|auto] [--base REF] [--head REF] [--pr N]${stages.catalog ? '' : ' [--shard i/N]'} [--force] [--concurrency N] [--skip-tests] [--dry-run] [--offline]${stages.push && !stages.catalog ? '' : ' [--local [--save DIR]]'} [--baseline FILE] [--metadata-file FILE] [--progress auto|plain|json] [--json]`,
    options: stages.catalog
      ? {
          ...commonOptions,
          ...local,
          ...catalogOptionSpecs,
          output: {
            type: 'string',
            value: 'DIR',
            description: 'the catalog folder',
            default: 'the configuration, NEURONS_OUTPUT, else catalogs/',
            aliases: ['out'],
          },
        }
      : { ...commonOptions, ...local, shard: shardSpec },
    run: (io, values) => run(stages, io, values),
  };
}

export const pipelineCommand = pipelineLikeCommand({
  name: 'pipeline',
  summary: 'Validate, generate, build, test, push and write the catalogs of a worker repository',
  push: true,
  catalog: true,
});
export const buildCommand = pipelineLikeCommand({
  name: 'build',
  summary: 'Validate, generate, build and test the images that the registry lacks (nothing pushed)',
  push: false,
  catalog: false,
});
export const pushCommand = pipelineLikeCommand({
  name: 'push',
  summary: 'Build (from cache) and push the images that the registry lacks, without writing catalogs',
  push: true,
  catalog: false,
});
