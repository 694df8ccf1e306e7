import type Docker from 'dockerode';
import { lazyDocker } from '../../engine/lazy-docker.js';
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
import { UsageError } from '../../errors/neurons-error.js';
import { baselineOption } from '../baseline-option.js';
import { detectMode, pullRequestNumber } from './detect.js';
import { parseShard } from '../../plan/shards.js';
import { runPipeline, type PipelineOptions } from '../../pipeline.js';
import { groupedFolderLog, reportRun, type Stages } from '../pipeline-report.js';
import { createProgressView, progressModes, type ProgressMode, type ProgressView } from '../progress-view.js';
import { printable, printableJson } from '../../util/printable.js';
import { createSmokeTester } from '../smoke-tester.js';
import { inGithubActions } from '../../github-actions/workflow-commands.js';
import {
  catalogOptionSpecs,
  catalogOptionsUsage,
  catalogTargets,
  expiresInDays,
  signingPolicy,
} from '../catalog-options.js';

async function run(stages: Stages, io: CliIo, values: ParsedValues): Promise<number> {
  const repo = path.resolve(io.cwd, String(values['repo'] ?? '.'));
  if (!existsSync(repo))
    throw new UsageError({
      code: 'REPO_NOT_FOUND',
      file: repo,
      message: 'repository folder not found',
      hint: 'check --repo',
    });
  const concurrency = Number(values['concurrency'] ?? 4);
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
  const docker = lazyDocker();
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

/** What a command resolved before the run: configuration, signing, targets, baseline and how it shows progress. */
interface CommandRun {
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
}

async function runAndReport(stages: Stages, io: CliIo, values: ParsedValues, context: CommandRun): Promise<number> {
  const { baseline, json, emit, view } = context;
  const text = (name: string): string | undefined => stringOption(values, name);
  const metadataFile =
    text('metadata-file') === undefined ? undefined : path.resolve(io.cwd, text('metadata-file') as string);
  const report = await runPipeline(pipelineOptions(stages, io, values, context));
  view.close();
  return reportRun(stages, io, values, { report, baseline, json, emit, metadataFile });
}

/** The options of the pipeline run a command asks for. */
function pipelineOptions(stages: Stages, io: CliIo, values: ParsedValues, context: CommandRun): PipelineOptions {
  const { config, policy, targets, json, docker, view, local, repo, concurrency } = context;
  const text = (name: string): string | undefined => stringOption(values, name);
  const log = (line: string): void => view.log(line);
  return {
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
          env: io.env,
          log,
        }),
    env: io.env,
    log,
    ...(inGithubActions(io.env) && !json ? { folderLog: (worker: string) => groupedFolderLog(io, worker) } : {}),
    progress: (event) => view.event(event),
  };
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
  concurrency: { type: 'string', value: 'N', description: 'folders at once', default: '4' },
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
