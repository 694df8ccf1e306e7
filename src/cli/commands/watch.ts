import type Docker from 'dockerode';
import { lazyDocker } from '../../engine/lazy-docker.js';
import { homedir } from 'node:os';
import path from 'node:path';
import { type CliIo, type Command, type ParsedValues, stringOption } from '../command.js';
import { channelOption, configOption, namespaceOption, skipTestsOption } from '../common-options.js';
import { loadCommandConfig } from '../load-command-config.js';
import { NeuronsError, UsageError } from '../../errors/neurons-error.js';
import { runPipeline, type PipelineReport } from '../../pipeline.js';
import {
  catalogOptionSpecs,
  catalogOptionsUsage,
  catalogTargets,
  expiresInDays,
  signingPolicy,
} from '../catalog-options.js';
import { registerSecret } from '../../util/mask.js';
import { printableJson } from '../../util/printable.js';
import { serveWatch, watchPublisher, type WatchLog, type WatchRun } from '../../watch/service.js';
import { watchedSource, type WatchedSource } from '../../watch/source.js';
import { readWatchState } from '../../watch/state.js';
import { createSmokeTester } from '../smoke-tester.js';
import { parseDuration } from '../../util/duration.js';

export const watchCommand: Command = {
  name: 'watch',
  summary: 'Follow a branch and publish what changes: for repositories without CI (a long-running service)',
  usage:
    'neurons watch --repo DIR|GIT_URL [--branch B] [--interval 60s] [--webhook ADDR:PORT --secret-env VAR] [--status ADDR:PORT] [--state DIR] [--once] [--config FILE] [--namespace NS] [--channel stable|devel] [--output DIR] ' +
    `${catalogOptionsUsage} [--skip-tests]`,
  options: {
    repo: {
      type: 'string',
      value: 'DIR|GIT_URL',
      description: 'a local checkout used in place (without --branch), or a repository cloned into the state folder',
    },
    branch: { type: 'string', value: 'B', description: 'the branch to follow', default: 'main when cloning' },
    interval: { type: 'string', value: 'DURATION', description: 'how often to look (90s, 15m, 1h)', default: '60s' },
    webhook: {
      type: 'string',
      value: 'ADDR:PORT',
      description: 'also listen for GitHub push webhooks there (with --secret-env)',
    },
    'secret-env': { type: 'string', value: 'VAR', description: 'the environment variable holding the webhook secret' },
    status: { type: 'string', value: 'ADDR:PORT', description: 'serve /healthz and /status there without a webhook' },
    state: {
      type: 'string',
      value: 'DIR',
      description: 'the state folder (watch.json, clone)',
      default: '${XDG_STATE_HOME:-~/.local/state}/neurons/watch',
    },
    once: { type: 'boolean', description: 'one pass, then exit' },
    config: configOption,
    namespace: namespaceOption,
    channel: channelOption,
    output: {
      type: 'string',
      value: 'DIR',
      description: 'the catalog folder',
      default: 'the configuration, NEURONS_OUTPUT, else catalogs/',
      aliases: ['out'],
    },
    'skip-tests': skipTestsOption,
    ...catalogOptionSpecs,
  },
  async run(io, values) {
    const text = (name: string): string | undefined => stringOption(values, name);
    const repo = text('repo');
    if (!repo)
      throw new UsageError({ code: 'USAGE', message: '--repo is required', hint: 'a local folder or a git URL' });
    const stateDirectory = path.resolve(
      io.cwd,
      text('state') ??
        path.join(
          io.env['XDG_STATE_HOME'] ?? path.join(io.env['HOME'] ?? homedir(), '.local', 'state'),
          'neurons',
          'watch',
        ),
    );
    const secretName = text('secret-env');
    const secret = secretName ? io.env[secretName] : undefined;
    if (text('webhook') && !secret)
      throw new UsageError({
        code: 'USAGE',
        message: 'a webhook needs its secret',
        hint: '--secret-env NAME, with the secret in that variable',
      });
    registerSecret(secret);
    // The same catalog settings as `pipeline`, checked before the service starts: a watcher that must sign and
    // cannot fails at once, not at its first publication.
    const policy = await signingPolicy(io, values);
    const log = (event: object): void =>
      void io.stderr.write(`${printableJson({ time: new Date().toISOString(), ...event })}\n`);
    const source = watchedSource(
      path.isAbsolute(repo) || /^[a-z+]+:\/\//.test(repo) ? repo : path.resolve(io.cwd, repo),
      text('branch'),
      stateDirectory,
    );
    const { publish, state } = watchPublisher({
      source,
      stateDirectory,
      state: await readWatchState(stateDirectory),
      log,
      run: pipelineRun(io, values, source, { docker: lazyDocker(), log, policy }),
    });

    if (values['once']) {
      try {
        await publish();
        return 0;
      } catch (error) {
        if (error instanceof NeuronsError) return error.exitCode;
        throw error;
      }
    }
    await serveWatch({
      publish,
      state,
      repo,
      intervalMs: parseDuration(text('interval') ?? '60s'),
      address: text('webhook') ?? text('status'),
      secret: text('webhook') ? secret : undefined,
      log,
    });
    return 0;
  },
};

/**
 * A watcher's run: the whole pipeline, pushing and publishing the catalogs as `pipeline` does (the output folder and
 * every `--publish` target, signed by the same policy).
 */
function pipelineRun(
  io: CliIo,
  values: ParsedValues,
  source: WatchedSource,
  context: { docker: Docker; log: WatchLog; policy: Awaited<ReturnType<typeof signingPolicy>> },
): WatchRun {
  const { docker, log, policy } = context;
  const text = (name: string): string | undefined => stringOption(values, name);
  return async (head, base) => {
    const config = await loadCommandConfig(
      io,
      source.directory,
      {
        ...(text('config') ? { configFile: path.resolve(io.cwd, text('config') as string) } : {}),
        ...(text('namespace') ? { namespace: text('namespace') as string } : {}),
        ...(text('channel') ? { channel: text('channel') as string } : {}),
        ...(text('output') ? { output: path.resolve(io.cwd, text('output') as string) } : {}),
      },
      (line) => log({ event: 'log', line }),
    );
    const targets = catalogTargets(io, values, config.output, config);
    let report: PipelineReport;
    try {
      report = await runPipeline({
        repo: source.directory,
        config,
        docker,
        only: [],
        dryRun: false,
        offline: false,
        force: false,
        concurrency: 4,
        shard: undefined,
        // Since the last published commit: git names the candidates, build inputs decide.
        mode: 'auto',
        base,
        head,
        pullRequest: undefined,
        push: true,
        catalog: true,
        targets,
        ...policy,
        expiresInDays: expiresInDays(values),
        smoke: values['skip-tests']
          ? undefined
          : createSmokeTester(docker, {
              repo: source.directory,
              config,
              env: io.env,
              log: (line) => log({ event: 'log', line }),
            }),
        env: io.env,
        log: (line) => log({ event: 'log', line }),
        progress: (event) => log({ event: 'progress', ...event }),
      });
    } finally {
      // A long-running watcher keeps no connection of a finished run.
      await Promise.all(targets.map((target) => target.close()));
    }
    return {
      pushed: report.outcomes.filter((outcome) => outcome.status === 'pushed').map((outcome) => outcome.id),
      unchanged: report.outcomes.filter((outcome) => outcome.status === 'unchanged').length,
      failed: [
        ...report.outcomes
          .filter((outcome) => outcome.status === 'failed')
          .map((outcome) => ({ id: outcome.id, code: outcome.problem?.code ?? 'FAILED' })),
        // Left out for its errors: the others were published, but this commit is not, whole.
        ...report.excluded.map((flavor) => ({
          id: flavor.id ?? flavor.file,
          code: flavor.problems[0]?.code ?? 'INVALID',
        })),
      ],
      skipped: report.plan.skipped.length,
      fatal: report.fatal,
    };
  };
}
