import Docker from 'dockerode';
import path from 'node:path';
import type { Command } from '../command.js';
import { loadConfig } from '../../config/load-config.js';
import { ExitCode, UsageError } from '../../errors/neurons-error.js';
import { formatProblem } from '../../errors/problem.js';
import { runPipeline, type PipelineReport } from '../../pipeline.js';
import { maskSecrets } from '../../util/mask.js';
import { existsSync } from 'node:fs';

function summary(report: PipelineReport): string {
  const lines: string[] = [];
  for (const { worker, reason } of report.plan.skipped) lines.push(`skipped ${worker.path}: ${reason}`);
  for (const outcome of report.outcomes) {
    if (outcome.status === 'pushed') lines.push(`ok      ${outcome.id}  ${outcome.images.map((image) => image.reference).join(' ')}`);
    else lines.push(`FAILED  ${outcome.id}  ${outcome.problem ? formatProblem(outcome.problem) : ''}`);
  }
  for (const problem of report.missing) lines.push(`missing ${formatProblem(problem)}`);
  for (const file of report.catalogFiles) lines.push(`catalog ${file}`);
  if (report.fatal) lines.push(`no catalog written: ${formatProblem(report.fatal.problem)}`);
  return lines.join('\n');
}

function planText(report: PipelineReport): string {
  const lines = ['Plan (dry run): nothing is built, pushed or written.'];
  for (const unit of report.plan.units) {
    lines.push(`build ${unit.worker.path} [${unit.worker.runtime}]${unit.requirements ? ` requirements ${unit.requirements}` : ''}`);
    for (const { flavor, targets } of unit.flavors) {
      for (const target of targets) lines.push(`  ${flavor.id} -> ${target.tags.map((tag) => `${target.repository}:${tag}`).join(', ')}`);
    }
  }
  for (const { worker, reason } of report.plan.skipped) lines.push(`skip  ${worker.path}: ${reason}`);
  return lines.join('\n');
}

function failed(report: PipelineReport): boolean {
  return report.plan.skipped.length > 0 || report.outcomes.some((outcome) => outcome.status === 'failed') || report.missing.length > 0;
}

export const pipelineCommand: Command = {
  name: 'pipeline',
  summary: 'Validate, generate Dockerfiles, build, tag, push and write the catalogs of a worker repository',
  usage: 'neurons pipeline [--repo DIR] [--config FILE] [--registry HOST] [--namespace NS] [--channel stable|devel] [--output DIR] [--only DIR]... [--dry-run] [--offline] [--json]',
  options: {
    repo: { type: 'string' },
    config: { type: 'string' },
    registry: { type: 'string' },
    namespace: { type: 'string' },
    channel: { type: 'string' },
    output: { type: 'string' },
    only: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    offline: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(io, values) {
    const repo = path.resolve(io.cwd, String(values['repo'] ?? '.'));
    if (!existsSync(repo)) throw new UsageError({ code: 'REPO_NOT_FOUND', file: repo, message: 'repository folder not found', hint: 'check --repo' });
    const overrides = Object.fromEntries(
      (['registry', 'namespace', 'channel', 'output'] as const).flatMap((key) => (typeof values[key] === 'string' ? [[key, values[key]]] : [])),
    ) as Record<'registry' | 'namespace' | 'channel' | 'output', string>;
    const config = await loadConfig(repo, io.env, {
      ...overrides,
      ...(typeof values['config'] === 'string' ? { configFile: values['config'] } : {}),
      ...(overrides.output ? { output: path.resolve(io.cwd, overrides.output) } : {}),
    });
    const report = await runPipeline({
      repo,
      config,
      docker: new Docker(),
      only: (values['only'] as string[] | undefined) ?? [],
      dryRun: Boolean(values['dry-run']),
      offline: Boolean(values['offline']),
      env: io.env,
      log: (line) => void io.stderr.write(`${maskSecrets(line)}\n`),
    });
    for (const problem of report.discovery.errors) io.stderr.write(`error   ${formatProblem(problem)}\n`);
    if (values['json']) {
      const { discovery, plan, fatal, ...rest } = report;
      io.stdout.write(`${maskSecrets(JSON.stringify({ ...rest, fatal: fatal?.problem, skipped: plan.skipped.map((skip) => ({ path: skip.worker.path, reason: skip.reason })), errors: discovery.errors }, null, 2))}\n`);
    } else {
      io.stdout.write(`${maskSecrets(values['dry-run'] ? planText(report) : summary(report))}\n`);
    }
    if (report.fatal) {
      io.stderr.write(`neurons pipeline: ${maskSecrets(formatProblem(report.fatal.problem))}\n`);
      return report.fatal.exitCode;
    }
    return failed(report) ? ExitCode.failure : ExitCode.ok;
  },
};
