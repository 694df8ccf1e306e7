import path from 'node:path';
import { type CliIo, type Command, type OptionSpec, type ParsedValues, stringOption } from '../command.js';
import {
  baselineSpec,
  configOption,
  detectionOptionDocs,
  jsonOption,
  offlineOption,
  onlyOption,
  repoOption,
} from '../common-options.js';
import { baselineOption } from '../baseline-option.js';
import { splitByBaseline } from '../../definitions/baseline.js';
import { prepareBuildSettings } from '../../engine-build/build-settings.js';
import type { Config } from '../../config/load-config.js';
import { loadCommandConfig } from '../load-command-config.js';
import { splitInvalidFlavors } from '../../definitions/buildable.js';
import { discoverRepository } from '../../definitions/discover.js';
import { detectChanges, type DetectMode, type Detection } from '../../detect/detect.js';
import type { Discovery } from '../../definitions/types.js';
import { ExitCode, UsageError } from '../../errors/neurons-error.js';
import { formatProblem } from '../../errors/problem.js';
import { RegistryClientPool } from '../../registry/client-pool.js';
import { runContentStore } from '../../registry/content-store.js';
import { maskSecrets } from '../../util/mask.js';

// Shared with the pipeline commands; kept here so that `detect` loads no Docker client.
export function detectMode(values: ParsedValues): DetectMode {
  const mode = values['all'] ? 'digest' : (values['mode'] ?? 'auto');
  if (mode !== 'git' && mode !== 'digest' && mode !== 'auto')
    throw new UsageError({
      code: 'USAGE',
      message: `unknown --mode '${String(mode)}'`,
      hint: 'use git, digest or auto',
    });
  return mode;
}

export function pullRequestNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new UsageError({ code: 'USAGE', message: `--pr takes a pull request number, not '${value}'` });
  return Number(value);
}

export const detectionOptions = {
  repo: repoOption,
  config: configOption,
  ...detectionOptionDocs,
  only: onlyOption,
  offline: offlineOption,
  json: jsonOption,
  comment: {
    type: 'boolean',
    description: 'with --pr: post (or edit) one comment on the pull request saying what was found',
  },
  baseline: baselineSpec,
} satisfies OptionSpec;

/** Configuration, discovery and detection from the command line, as `detect` and `plan` share them. */
/**
 * `newProblems`: the validation errors `--baseline` does not list (all of them without one): what makes `detect` and
 * `plan` fail. Invalid flavors are left out either way.
 */
export async function detectFromOptions(
  io: CliIo,
  values: ParsedValues,
): Promise<{
  repo: string;
  config: Config;
  discovery: Discovery;
  detection: Omit<Detection, 'decisions' | 'prepared'>;
  newProblems: number;
}> {
  const text = (name: string): string | undefined => stringOption(values, name);
  const baseline = await baselineOption(io, values);
  const repo = path.resolve(io.cwd, text('repo') ?? '.');
  const config = await loadCommandConfig(
    io,
    repo,
    text('config') ? { configFile: path.resolve(io.cwd, text('config') as string) } : {},
  );
  const discovery = await discoverRepository(repo, { definitionsOnly: false });
  for (const problem of discovery.errors) io.stderr.write(`error   ${maskSecrets(formatProblem(problem))}\n`);
  // As the pipeline builds them: an invalid definition leaves out its own flavor, not its folder.
  const buildable = splitInvalidFlavors(discovery).discovery;
  const clients = new RegistryClientPool(undefined, { content: runContentStore(io.env) });
  let resolver: { close(): Promise<void> } | undefined;
  try {
    // Git alone decides in git mode: no registry is read, not even to pin base images.
    const settings = await prepareBuildSettings(repo, buildable, config, {
      offline: Boolean(values['offline']) || detectMode(values) === 'git',
      env: io.env,
      provenance: false,
      clients,
    });
    resolver = settings.dependencies;
    const {
      decisions: _decisions,
      prepared: _prepared,
      ...detection
    } = await detectChanges({
      repo,
      discovery: buildable,
      config,
      settings,
      clients,
      mode: detectMode(values),
      only: (values['only'] as string[] | undefined) ?? [],
      base: text('base'),
      head: text('head') ?? 'HEAD',
      pullRequest: pullRequestNumber(text('pr')),
      force: false,
      env: io.env,
    });
    return {
      repo,
      config,
      discovery,
      detection,
      newProblems: splitByBaseline(discovery.errors, baseline).fresh.length,
    };
  } finally {
    await resolver?.close();
    await clients.close();
  }
}

export const detectCommand: Command = {
  name: 'detect',
  summary: 'List the workers to rebuild, with their reasons, and the removed ones',
  usage:
    'neurons detect [--repo DIR] [--config FILE] [--base REF] [--head REF] [--pr N [--comment]] [--mode git|digest|auto] [--only DIR]... [--offline] [--baseline FILE] [--json]',
  options: detectionOptions,
  async run(io, values) {
    const started = Date.now();
    if (values['comment'] && stringOption(values, 'pr') === undefined)
      throw new UsageError({
        code: 'USAGE',
        message: '--comment needs --pr N',
        hint: 'the comment goes on that pull request',
      });
    const { config, discovery, detection, newProblems } = await detectFromOptions(io, values);
    if (values['json']) {
      const rebuild = detection.rebuild.map(({ kind, directory, flavors, reasons, refused }) => ({
        kind,
        directory,
        flavors,
        reasons,
        refused,
      }));
      io.stdout.write(
        `${JSON.stringify({ rebuild, removed: detection.removed, unchanged: detection.unchanged, mode: detection.mode, source: detection.source, digestChecks: detection.digestChecks })}\n`,
      );
    } else {
      const lines = [
        `mode ${detection.mode}; ${detection.source.kind === 'none' ? '' : `${detection.source.kind} ${detection.source.base ?? ''}..${detection.source.head ?? ''}`}${detection.source.note ? ` (${detection.source.note})` : ''}`,
      ];
      for (const worker of detection.rebuild)
        lines.push(
          `rebuild ${worker.path}  [${worker.reasons.join(', ')}]  ${worker.flavors.join(' ')}${worker.refused.length > 0 ? `  (published version immutable: ${worker.refused.join(' ')}; bump the version or --force)` : ''}`,
        );
      for (const removed of detection.removed)
        lines.push(`removed ${removed.file}${removed.folderRemoved ? ' (folder removed)' : ''}`);
      lines.push(
        `${detection.rebuild.length} folder(s) to rebuild, ${detection.removed.length} definition(s) removed, ${detection.unchanged} flavor(s) unchanged; ${detection.digestChecks} digest check(s) in ${Date.now() - started} ms`,
      );
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    if (values['comment']) {
      // Loaded here only: commenting is the one use of the GitHub client on this path besides --pr itself.
      const { renderDetectionComment, upsertPullRequestComment } = await import('../../detect/pull-request-comment.js');
      const { trustedFetch } = await import('../../transport/trusted-fetch.js');
      const [owner = '', repo = ''] = (io.env['GITHUB_REPOSITORY'] ?? '').split('/');
      const posted = await upsertPullRequestComment(
        {
          owner,
          repo,
          pullNumber: pullRequestNumber(stringOption(values, 'pr')) ?? 0,
          token: io.env['GITHUB_TOKEN'] || undefined,
          baseUrl: io.env['GITHUB_API_URL'] || undefined,
          fetch: trustedFetch(config.trust.caPems, io.env),
        },
        renderDetectionComment(detection, discovery.errors),
      );
      io.stderr.write(`pull request comment ${posted.action}: ${posted.url}\n`);
    }
    return newProblems > 0 ? ExitCode.failure : ExitCode.ok;
  },
};
