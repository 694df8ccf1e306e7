import path from 'node:path';
import { type Command, stringOption } from '../command.js';
import { catalogWorkers } from '../../catalog/catalog-workers.js';
import { produceCatalogs } from '../../catalog/produce-catalogs.js';
import { loadConfig } from '../../config/load-config.js';
import { discoverRepository } from '../../definitions/discover.js';
import { ExitCode } from '../../errors/neurons-error.js';
import { formatProblem } from '../../errors/problem.js';
import { RegistryClientPool } from '../../registry/client-pool.js';
import { readRepositorySource } from '../../render/source-info.js';
import { maskSecrets } from '../../util/mask.js';
import { catalogOptionSpecs, catalogTargets, expiresInDays, signingKey } from '../catalog-options.js';

export const catalogCommand: Command = {
  name: 'catalog',
  summary: 'Write the engine catalogs, the signed index and the HTML page, from what is in the registry',
  usage: 'neurons catalog [--repo DIR] [--config FILE] [--out DIR] [--registry HOST[/NAMESPACE]] [--channel stable|devel] [--no-verify] [--definitions-only] [--sign KEY] [--publish DIR|URL|github-release:OWNER/REPO@TAG|oci://HOST/REPOSITORY:TAG]... [--allow-partial] [--expires-days N] [--json]',
  options: {
    repo: { type: 'string' },
    config: { type: 'string' },
    out: { type: 'string' },
    registry: { type: 'string' },
    channel: { type: 'string' },
    'no-verify': { type: 'boolean' },
    'definitions-only': { type: 'boolean' },
    json: { type: 'boolean' },
    ...catalogOptionSpecs,
  },
  async run(io, values) {
    const text = (name: string): string | undefined => stringOption(values, name);
    const repo = path.resolve(io.cwd, text('repo') ?? '.');
    // `--registry ghcr.io/thehive-project`: a host and a namespace in one reference, as catalogs name them.
    const registryReference = text('registry');
    const slash = registryReference?.indexOf('/') ?? -1;
    const config = await loadConfig(repo, io.env, {
      ...(registryReference ? { registry: slash > 0 ? registryReference.slice(0, slash) : registryReference } : {}),
      ...(registryReference && slash > 0 ? { namespace: registryReference.slice(slash + 1) } : {}),
      ...(text('channel') ? { channel: text('channel') as string } : {}),
      ...(text('out') ? { output: path.resolve(io.cwd, text('out') as string) } : {}),
      ...(text('config') ? { configFile: path.resolve(io.cwd, text('config') as string) } : {}),
    });
    const discovery = await discoverRepository(repo, { definitionsOnly: Boolean(values['definitions-only']) });
    for (const problem of discovery.errors) io.stderr.write(`error   ${maskSecrets(formatProblem(problem))}\n`);
    const workers = catalogWorkers(discovery);
    const [registry] = config.registries;
    if (!registry) return ExitCode.usage;
    const clients = new RegistryClientPool();
    const targets = catalogTargets(io, values, config.output, config);
    try {
      const started = Date.now();
      const source = await readRepositorySource(repo, workers.map((worker) => worker.path), io.env);
      const result = await produceCatalogs({
        workers,
        registry,
        client: values['no-verify'] ? undefined : clients.for(registry),
        channel: config.channel,
        targets,
        signingKey: await signingKey(io, values),
        expiresInDays: expiresInDays(values),
        buildInputDigests: new Map(),
        revisions: new Map(workers.flatMap((worker) => {
          const revision = source.folder(worker.path).revision;
          return revision ? [[worker.path, revision] as const] : [];
        })),
        pushed: [],
        now: new Date(),
      });
      const elapsed = Date.now() - started;
      if (values['json']) {
        io.stdout.write(`${JSON.stringify({ files: result.files, targets: targets.map((target) => target.description), serial: result.index.serial, catalogs: result.index.catalogs, missing: result.missing, kept: result.kept, reads: result.reads, ms: elapsed })}\n`);
      } else {
        for (const problem of result.kept) io.stdout.write(`kept    ${maskSecrets(formatProblem(problem))}\n`);
        for (const problem of result.missing) io.stdout.write(`missing ${maskSecrets(formatProblem(problem))}\n`);
        for (const [file, { entries }] of Object.entries(result.index.catalogs)) io.stdout.write(`${file.padEnd(26)} ${entries} entries\n`);
        const { manifests, labelled, known } = result.reads;
        if (manifests > 0) io.stdout.write(`verified: ${manifests} image references read, labels of ${labelled} images read and of ${known} known\n`);
        io.stdout.write(`index serial ${result.index.serial}${result.files.includes('index.json.sig') ? ', signed' : ', not signed'}; written to ${targets.map((target) => target.description).join(', ')} in ${elapsed} ms\n`);
      }
      if (discovery.errors.length > 0) return ExitCode.failure;
      return result.missing.length > 0 && !values['allow-partial'] ? ExitCode.failure : ExitCode.ok;
    } finally {
      await clients.close();
      await Promise.all(targets.map((target) => target.close()));
    }
  },
};
