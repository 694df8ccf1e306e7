import type Docker from 'dockerode';
import { lazyDocker } from '../../engine/lazy-docker.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type CliIo, type Command, type ParsedValues, stringOption } from '../command.js';
import { EnvironmentError, ExitCode, UsageError } from '../../errors/neurons-error.js';
import { formatProblem } from '../../errors/problem.js';
import { ensureImage } from '../../runner/ensure-image.js';
import { asObject } from '../../runner/job-config.js';
import { readJobReport, type JobReport } from '../../runner/job-report.js';
import { prepareJobFolder, type JobRequest } from '../../runner/prepare-job.js';
import { readCatalog, readDefinition, resolveTarget, type RunTarget } from '../../runner/resolve-target.js';
import { buildRequest, defaultTimeoutSeconds } from '../../runner/job-request.js';
import { runJob } from '../../runner/run-job.js';
import { maskSecrets } from '../../util/mask.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'Run one worker image on one observable, as the engine would, and print its report',
  usage:
    'neurons run <image|worker-id> (--data V | --file PATH) --data-type T [--tlp N] [--pap N] [--message M] [--parameter k=v]... ' +
    '[--config k=v]... [--config-file F] [--definition FILE] [--catalog FILE] [--ca FILE] [--network NET] [--timeout S] [--keep] [--json]',
  positionals: true,
  options: {
    data: { type: 'string', value: 'V', description: 'the observable (responders: a JSON entity)' },
    file: { type: 'string', value: 'PATH', description: 'a file observable' },
    'data-type': {
      type: 'string',
      value: 'T',
      description: "the observable's data type, one of the definition's dataTypeList",
      default: 'file with --file',
    },
    tlp: { type: 'string', value: 'N', description: 'the TLP of the job', default: '2' },
    pap: { type: 'string', value: 'N', description: 'the PAP of the job', default: '2' },
    message: { type: 'string', value: 'M', description: 'the job message', default: 'empty' },
    parameter: {
      type: 'string',
      multiple: true,
      value: 'k=v',
      description: 'a job parameter (string value); repeatable',
    },
    config: {
      type: 'string',
      multiple: true,
      value: 'k=v',
      description: 'a configuration value, typed by its item; repeatable',
    },
    'config-file': { type: 'string', value: 'F', description: 'a JSON object of configuration values' },
    definition: {
      type: 'string',
      value: 'FILE',
      description: 'the flavor definition (defaults and config)',
      default: 'the catalog entry, else none',
    },
    catalog: {
      type: 'string',
      value: 'FILE',
      description: 'the engine catalog worker ids (and definitions) are looked up in',
    },
    ca: { type: 'string', value: 'FILE', description: 'PEM CA(s) written to input/cacerts' },
    network: { type: 'string', value: 'NET', description: 'the Docker network of the job', default: 'host' },
    timeout: {
      type: 'string',
      value: 'S',
      description: 'kill the job after S seconds',
      default: String(defaultTimeoutSeconds),
    },
    keep: { type: 'boolean', description: 'keep the job folder and print its path' },
    json: { type: 'boolean', description: 'print only the report JSON on standard output' },
  },
  async run(io: CliIo, values: ParsedValues, positionals: string[]): Promise<number> {
    const text = (name: string): string | undefined => stringOption(values, name);
    const list = (key: string): string[] => (Array.isArray(values[key]) ? (values[key] as string[]) : []);
    const file = (key: string): string | undefined =>
      text(key) === undefined ? undefined : path.resolve(io.cwd, text(key) as string);

    const [targetName, ...extra] = positionals;
    if (targetName === undefined || extra.length > 0) {
      throw new UsageError({
        code: 'USAGE',
        message:
          targetName === undefined
            ? 'which image or worker id to run?'
            : `one target only, not ${positionals.join(' ')}`,
        hint: `usage: ${runCommand.usage}`,
      });
    }
    const catalogFile = file('catalog');
    const definitionFile = file('definition');
    const target = resolveTarget(
      targetName,
      catalogFile ? await readCatalog(catalogFile) : undefined,
      definitionFile ? await readDefinition(definitionFile) : undefined,
    );
    const { request, timeoutSeconds, problems, warnings } = await buildRequest(io.env, target, { text, list, file });
    for (const warning of warnings) io.stderr.write(`neurons run: warning: ${maskSecrets(formatProblem(warning))}\n`);
    if (problems.length > 0 || request === undefined || timeoutSeconds === undefined) {
      for (const problem of problems) io.stderr.write(`neurons run: ${maskSecrets(formatProblem(problem))}\n`);
      return ExitCode.usage;
    }

    const docker = lazyDocker();
    const job = await mkdtemp(path.join(tmpdir(), 'neurons-run-'));
    const keep = values['keep'] === true;
    try {
      await prepareJobFolder(job, request);
      if (await ensureImage(docker, target.image, io.env)) io.stderr.write(`pulled ${target.image}\n`);
      const timeoutMs = timeoutSeconds * 1000;
      const run = await runJob(docker, target.image, job, { timeoutMs, network: text('network') ?? 'host' }).catch(
        (error: unknown) => {
          throw new EnvironmentError(
            {
              code: 'RUN_ENGINE',
              message: `the Docker engine could not run ${target.image}: ${(error as Error).message}`,
              hint: 'check --network and the image',
            },
            error,
          );
        },
      );
      const outcome = await readJobReport(job, run, timeoutMs);
      if (values['json'] === true) io.stdout.write(`${JSON.stringify(outcome.report)}\n`);
      else io.stdout.write(maskSecrets(formatOutcome(target, request, outcome)));
      if (keep) io.stderr.write(`job folder kept: ${job}\n`);
      return outcome.success ? ExitCode.ok : ExitCode.failure;
    } finally {
      // A worker running as another user may leave files this user cannot remove: say so, do not fail the run.
      if (!keep)
        await rm(job, { recursive: true, force: true }).catch(
          (error: unknown) =>
            void io.stderr.write(`could not remove the job folder ${job}: ${(error as Error).message}\n`),
        );
    }
  },
};

/** The human report: the outcome, the taxonomies, what the worker produced, or its error message. */
function formatOutcome(target: RunTarget, request: JobRequest, outcome: JobReport): string {
  const what =
    'file' in request.observable
      ? path.basename(request.observable.file)
      : typeof request.observable.data === 'string'
        ? request.observable.data
        : JSON.stringify(request.observable.data);
  const lines = [
    `${target.workerId ? `${target.workerId} (${target.image})` : target.image} on ${request.dataType} ${truncate(what, 80)}`,
  ];
  const report = outcome.report;
  if (!outcome.success) {
    lines.push(
      `failure: ${typeof report['errorMessage'] === 'string' ? report['errorMessage'] : `success is ${JSON.stringify(report['success'])}`}`,
    );
  } else {
    lines.push('success');
    const taxonomies = asObject(report['summary'])?.['taxonomies'];
    for (const taxonomy of Array.isArray(taxonomies) ? taxonomies : []) {
      const item = asObject(taxonomy) ?? {};
      lines.push(
        `  ${String(item['level'] ?? 'info').padEnd(10)} ${String(item['namespace'])}:${String(item['predicate'])} = ${JSON.stringify(item['value'])}`,
      );
    }
    const extracted = Array.isArray(report['artifacts']) ? report['artifacts'].length : 0;
    const operations = Array.isArray(report['operations']) ? report['operations'].length : 0;
    if (extracted > 0) lines.push(`extracted observables: ${extracted}`);
    if (operations > 0) lines.push(`operations: ${operations}`);
  }
  if (outcome.artifactFiles.length > 0) lines.push(`files in output/: ${outcome.artifactFiles.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
