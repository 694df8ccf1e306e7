import path from 'node:path';
import { type CliIo, type Command, type ParsedValues, stringOption } from '../command.js';
import { baselineSpec, channelOption, configOption, jsonOption, repoOption } from '../common-options.js';
import { baselineOption, printValidationErrors } from '../baseline-option.js';
import { catalogWorkers } from '../../catalog/catalog-workers.js';
import { registryEntryVerifier } from '../../catalog/entry-image-verifier.js';
import { produceCatalogs, type CatalogStageResult } from '../../catalog/produce-catalogs.js';
import { refreshCatalogs } from '../../catalog/refresh-catalogs.js';
import { reportTemplatesArchive } from '../../catalog/report-templates-archive.js';
import type { Config } from '../../config/load-config.js';
import { loadCommandConfig } from '../load-command-config.js';
import { discoverRepository } from '../../definitions/discover.js';
import { ExitCode, UsageError } from '../../errors/neurons-error.js';
import { formatProblem } from '../../errors/problem.js';
import { RegistryClientPool } from '../../registry/client-pool.js';
import { runContentStore } from '../../registry/content-store.js';
import { readRepositorySource } from '../../render/source-info.js';
import type { PublishTarget } from '../../publish/targets.js';
import { maskSecrets } from '../../util/mask.js';
import {
  catalogOptionSpecs,
  catalogOptionsUsage,
  catalogTargets,
  expiresInDays,
  signingPolicy,
} from '../catalog-options.js';

export const catalogCommand: Command = {
  name: 'catalog',
  summary: 'Write the engine catalogs, the signed index and the HTML page, from what is in the registry',
  usage: `neurons catalog [--repo DIR] [--config FILE] [--output DIR] [--registry HOST[/NAMESPACE]] [--channel stable|devel] [--no-verify] [--definitions-only] [--refresh] [--baseline FILE] ${catalogOptionsUsage} [--json]`,
  options: {
    repo: repoOption,
    config: configOption,
    output: {
      type: 'string',
      value: 'DIR',
      description: 'the catalog folder',
      default: 'the configuration, NEURONS_OUTPUT, else catalogs/',
      aliases: ['out'],
    },
    registry: {
      type: 'string',
      value: 'HOST[/NAMESPACE]',
      description: 'the registry (and namespace) the images are in',
      default: 'the configuration, NEURONS_REGISTRY, else the local environment',
    },
    channel: channelOption,
    'no-verify': { type: 'boolean', description: 'write entries without reading their images in the registry' },
    'definitions-only': {
      type: 'boolean',
      description: 'definitions without code files (trees that hold only definitions)',
    },
    refresh: {
      type: 'boolean',
      description: 'no build: verify the current publication again, re-sign it with a new serial and expiry',
    },
    baseline: baselineSpec,
    json: jsonOption,
    ...catalogOptionSpecs,
  },
  async run(io, values) {
    const text = (name: string): string | undefined => stringOption(values, name);
    const repo = path.resolve(io.cwd, text('repo') ?? '.');
    // `--registry ghcr.io/thehive-project`: a host and a namespace in one reference, as catalogs name them.
    const registryReference = text('registry');
    const slash = registryReference?.indexOf('/') ?? -1;
    const config = await loadCommandConfig(io, repo, {
      ...(registryReference ? { registry: slash > 0 ? registryReference.slice(0, slash) : registryReference } : {}),
      ...(registryReference && slash > 0 ? { namespace: registryReference.slice(slash + 1) } : {}),
      ...(text('channel') ? { channel: text('channel') as string } : {}),
      ...(text('output') ? { output: path.resolve(io.cwd, text('output') as string) } : {}),
      ...(text('config') ? { configFile: path.resolve(io.cwd, text('config') as string) } : {}),
    });
    const policy = await signingPolicy(io, values);
    const days = expiresInDays(values);
    const baseline = await baselineOption(io, values);
    if (values['refresh']) return refresh(io, values, config, { ...policy, expiresInDays: days });
    const discovery = await discoverRepository(repo, { definitionsOnly: Boolean(values['definitions-only']) });
    // Problems the baseline lists are printed as known and fail nothing: their flavors are left out all the same.
    const { fresh } = printValidationErrors(io, discovery.errors, baseline);
    const workers = catalogWorkers(discovery);
    const [registry] = config.registries;
    if (!registry) return ExitCode.usage;
    const clients = new RegistryClientPool((line) => io.stderr.write(`${line}\n`), {
      content: runContentStore(io.env),
    });
    const targets = catalogTargets(io, values, config.output, config);
    try {
      const started = Date.now();
      const source = await readRepositorySource(
        repo,
        workers.map((worker) => worker.path),
        io.env,
      );
      const result = await produceCatalogs({
        workers,
        registry,
        client: values['no-verify'] ? undefined : clients.for(registry),
        channel: config.channel,
        targets,
        ...policy,
        expiresInDays: days,
        buildInputDigests: new Map(),
        revisions: new Map(
          workers.flatMap((worker) => {
            const revision = source.folder(worker.path).revision;
            return revision ? [[worker.path, revision] as const] : [];
          }),
        ),
        pushed: [],
        reportTemplates: reportTemplatesArchive(discovery),
        now: new Date(),
      });
      const elapsed = Date.now() - started;
      report(io, values, result, targets, elapsed);
      if (fresh.length > 0) return ExitCode.failure;
      return result.missing.length > 0 && !values['allow-partial'] ? ExitCode.failure : ExitCode.ok;
    } finally {
      await clients.close();
      await Promise.all(targets.map((target) => target.close()));
    }
  },
};

/**
 * `--refresh`: what is published, verified again and re-signed with a new serial and expiry; no checkout, no build.
 * The registries of the configuration lend their credentials; an entry on any other registry cannot be verified.
 */
async function refresh(
  io: CliIo,
  values: ParsedValues,
  config: Config,
  policy: { signingKey: { pem: string; origin: string } | undefined; allowUnsigned: boolean; expiresInDays: number },
): Promise<number> {
  if (values['no-verify'] || values['definitions-only'])
    throw new UsageError({
      code: 'USAGE',
      message: '--refresh verifies every published entry: it cannot be combined with --no-verify or --definitions-only',
    });
  const clients = new RegistryClientPool((line) => io.stderr.write(`${line}\n`), {
    content: runContentStore(io.env),
  });
  const targets = catalogTargets(io, values, config.output, config);
  try {
    const started = Date.now();
    const result = await refreshCatalogs({
      targets,
      verifier: (known) => registryEntryVerifier(config.registries, clients, known),
      ...policy,
      allowPartial: Boolean(values['allow-partial']),
      now: new Date(),
    });
    report(io, values, result, targets, Date.now() - started);
    return result.missing.length > 0 ? ExitCode.failure : ExitCode.ok;
  } finally {
    await clients.close();
    await Promise.all(targets.map((target) => target.close()));
  }
}

/** What a catalog run prints: the problems, each catalog's entry count, the index serial, signature and expiry. */
function report(
  io: CliIo,
  values: ParsedValues,
  result: CatalogStageResult,
  targets: PublishTarget[],
  elapsed: number,
): void {
  if (values['json']) {
    io.stdout.write(
      `${JSON.stringify({ files: result.files, targets: targets.map((target) => target.description), serial: result.index.serial, catalogs: result.index.catalogs, attachments: result.index.attachments ?? {}, missing: result.missing, kept: result.kept, reads: result.reads, retries: result.retries, ms: elapsed })}\n`,
    );
  } else {
    for (const problem of result.kept) io.stdout.write(`kept    ${maskSecrets(formatProblem(problem))}\n`);
    for (const problem of result.missing) io.stdout.write(`missing ${maskSecrets(formatProblem(problem))}\n`);
    for (const [file, { entries }] of Object.entries(result.index.catalogs))
      io.stdout.write(`${file.padEnd(26)} ${entries} entries\n`);
    for (const [file, { bytes }] of Object.entries(result.index.attachments ?? {}))
      io.stdout.write(`${file.padEnd(26)} ${bytes} bytes\n`);
    const { manifests, labelled, known } = result.reads;
    if (manifests > 0)
      io.stdout.write(
        `verified: ${manifests} image references read, labels of ${labelled} images read and of ${known} known\n`,
      );
    io.stdout.write(
      `index serial ${result.index.serial}${result.index.signed ? ', signed' : ', not signed'}, expires ${result.index.expires}${result.retries > 0 ? ` (published again on top of another publisher ${result.retries}x)` : ''}; written to ${targets.map((target) => target.description).join(', ')} in ${elapsed} ms\n`,
    );
  }
}
