import type Docker from 'dockerode';
import { lazyDocker } from '../../engine/lazy-docker.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type CliIo, type Command, type ParsedValues, stringOption } from '../command.js';
import { EnvironmentError, ExitCode, NeuronsError, UsageError } from '../../errors/neurons-error.js';
import { formatProblem } from '../../errors/problem.js';
import { buildTrustStore, readCaFile } from '../../trust/trust-store.js';
import type { ChangeKind } from '../../update/compare.js';
import { sourceFetcher, type CatalogFetcher } from '../../update/fetch.js';
import { ociFetcher } from '../../update/oci-fetcher.js';
import type { OciCoordinates } from '../../publish/oci-artifact-target.js';
import { readDockerCredentials } from '../../registry/docker-credentials.js';
import { RegistryClient } from '../../registry/client.js';
import { parseRegistryPrefix } from '../../update/prefix.js';
import { dockerPuller, type ImagePuller } from '../../update/pull.js';
import { CortexClient, parseCortexUrl, rescanInstalled, type RescanReport } from '../../update/cortex-rescan.js';
import { EngineInstaller } from '../../update/install.js';
import { resolveSource } from '../../update/source.js';
import { defaultStateDirectory } from '../../update/state.js';
import { runUpdate, type UpdateReport } from '../../update/update.js';
import { maskSecrets, registerSecret } from '../../util/mask.js';
import { SingleFlight } from '../../watch/scheduler.js';
import { parseDuration } from '../../util/duration.js';
import { logRetries } from '../../transport/http-transport.js';

export const updateCommand: Command = {
  name: 'update',
  summary:
    'Bring an engine up to date with a published catalog: verify it, compare, pull the changed images, install it for Cortex',
  usage:
    'neurons update --catalog URL|FILE|DIR|oci://HOST/REPOSITORY:TAG [--key PUB] [--ca FILE] [--state DIR] [--pull] [--registry-prefix P] [--allow-downgrade] [--install DIR [--no-pin] [--cortex-url URL]] [--watch [--interval 15m] [--max-runs N]] [--json]',
  options: {
    catalog: {
      type: 'string',
      value: 'URL|FILE|DIR|oci://HOST/REPOSITORY:TAG',
      description: 'what the publisher wrote; required',
    },
    key: {
      type: 'string',
      value: 'PUB',
      description: "the publisher's neurons-index.pub: verify the signed index and every catalog against it",
    },
    ca: {
      type: 'string',
      value: 'FILE',
      description: 'PEM CA(s) trusted on top of the system roots (catalog server, OCI registry, --cortex-url)',
    },
    state: {
      type: 'string',
      value: 'DIR',
      description: 'where the updater keeps what it applied',
      default: '${XDG_STATE_HOME:-~/.local/state}/neurons/update',
    },
    pull: {
      type: 'boolean',
      description: 'pull the new and changed images through the Docker engine and check their digests',
    },
    'registry-prefix': {
      type: 'string',
      value: 'P',
      description: "pull (and install) the images from a mirror, as Cortex's docker.imageRegistryPrefix would",
    },
    'allow-downgrade': { type: 'boolean', description: 'apply a catalog that goes back to older versions' },
    install: {
      type: 'string',
      value: 'DIR',
      description: 'write the catalogs Cortex reads (DIR/analyzers.json, DIR/responders.json) after every check passed',
    },
    'no-pin': { type: 'boolean', description: 'with --install: keep images by tag instead of name:tag@sha256:...' },
    'cortex-url': {
      type: 'string',
      value: 'URL',
      description:
        'with --install: ask Cortex to rescan each kind whose file changed (API key from NEURONS_CORTEX_API_KEY)',
    },
    watch: { type: 'boolean', description: 'run on a schedule' },
    interval: { type: 'string', value: 'DURATION', description: 'with --watch: the time between runs', default: '15m' },
    'max-runs': { type: 'string', value: 'N', description: 'with --watch: stop after N runs', default: 'no limit' },
    json: { type: 'boolean', description: 'one JSON report per run on standard output' },
  },
  async run(io, values) {
    checkInstallOptions(io, values);
    if (values['watch']) return watchUpdates(io, values);
    return updateOnce(io, values);
  },
};

/**
 * `--watch`: the updater on a schedule, one run at a time, backing off after a failure; an unchanged catalog costs
 * one conditional request per interval. Stops on SIGTERM/SIGINT (after the current run) or after `--max-runs`.
 */
async function watchUpdates(io: CliIo, values: ParsedValues): Promise<number> {
  const interval = parseDuration(typeof values['interval'] === 'string' ? values['interval'] : '15m');
  const maxRuns = values['max-runs'] === undefined ? Infinity : Number(values['max-runs']);
  if (!(maxRuns >= 1))
    throw new UsageError({
      code: 'USAGE',
      message: `--max-runs must be a number >= 1, not ${String(values['max-runs'])}`,
    });
  let last: number = ExitCode.ok;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const flight = new SingleFlight(
    async () => {
      try {
        last = await updateOnce(io, values);
      } catch (error) {
        last = error instanceof NeuronsError ? error.exitCode : ExitCode.internal;
        if (error instanceof NeuronsError)
          io.stderr.write(`neurons update: ${maskSecrets(formatProblem(error.problem))}\n`);
        else throw error;
      } finally {
        if (flight.runs >= maxRuns) void flight.stop().then(finish);
      }
      if (last !== ExitCode.ok) throw new Error(`update failed with exit code ${last}`);
    },
    { intervalMs: interval, maxBackoffMs: Math.max(interval, 3_600_000), onError: () => undefined },
  );
  const stop = (): void => void flight.stop().then(finish);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  flight.wake();
  await done;
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  return last;
}

async function updateOnce(io: CliIo, values: ParsedValues): Promise<number> {
  {
    const json = values['json'] === true;
    try {
      const report = await update(io, values);
      io.stdout.write(json ? `${maskSecrets(JSON.stringify(report))}\n` : maskSecrets(formatReport(report)));
      if (!json)
        for (const warning of report.warnings)
          io.stderr.write(`neurons update: warning: ${maskSecrets(formatProblem(warning))}\n`);
      if (report.status !== 'updated' && report.status !== 'up-to-date') return ExitCode.failure;
      // The catalogs are installed whatever Cortex answered: a failed rescan is an environment problem, retried next run.
      const failed = (report.rescan ?? []).filter((rescan) => rescan.status === 'failed');
      for (const rescan of failed)
        if (rescan.problem) io.stderr.write(`neurons update: ${maskSecrets(formatProblem(rescan.problem))}\n`);
      return failed.length > 0 ? ExitCode.environment : ExitCode.ok;
    } catch (error) {
      if (json && error instanceof NeuronsError)
        io.stdout.write(`${JSON.stringify({ status: 'error', error: error.problem })}\n`);
      throw error;
    }
  }
}

/** The update's report, and what Cortex answered when it was asked to rescan (`--cortex-url`). */
export type UpdateCommandReport = UpdateReport & { rescan?: RescanReport[] };

/** `--install` and its companions, checked before any run (a usage error, exit 2, even with --watch). */
function checkInstallOptions(io: CliIo, values: ParsedValues): void {
  if (stringOption(values, 'install') === undefined) {
    for (const option of ['cortex-url', 'no-pin']) {
      if (values[option] !== undefined)
        throw new UsageError({
          code: 'USAGE',
          message: `--${option} needs --install DIR`,
          hint: 'neurons only asks Cortex to rescan (and only pins images in) catalogs it installed itself',
        });
    }
  }
  const cortexUrl = stringOption(values, 'cortex-url');
  if (cortexUrl === undefined) return;
  parseCortexUrl(cortexUrl);
  // Masked from here on, in every line printed, whatever fails.
  registerSecret(io.env['NEURONS_CORTEX_API_KEY']);
  if (!io.env['NEURONS_CORTEX_API_KEY']) {
    throw new UsageError({
      code: 'UPDATE_CORTEX_KEY_MISSING',
      message: '--cortex-url needs the API key of Cortex in NEURONS_CORTEX_API_KEY',
      hint: 'the API key of an org-admin user of Cortex (never on the command line, where ps shows it)',
    });
  }
}

async function update(io: CliIo, values: ParsedValues): Promise<UpdateCommandReport> {
  const text = (name: string): string | undefined => stringOption(values, name);
  const catalog = text('catalog');
  if (catalog === undefined)
    throw new UsageError({ code: 'USAGE', message: '--catalog is required', hint: `usage: ${updateCommand.usage}` });
  const source = resolveSource(catalog, io.cwd);
  const keyFile = text('key') === undefined ? undefined : path.resolve(io.cwd, text('key') as string);
  const publicKey = keyFile === undefined ? undefined : await readPublicKey(keyFile);
  const caFile = text('ca') === undefined ? undefined : path.resolve(io.cwd, text('ca') as string);
  const prefix =
    text('registry-prefix') === undefined ? undefined : parseRegistryPrefix(text('registry-prefix') as string);
  const stateDirectory =
    text('state') === undefined ? defaultStateDirectory(io.env) : path.resolve(io.cwd, text('state') as string);
  const installDirectory = text('install') === undefined ? undefined : path.resolve(io.cwd, text('install') as string);
  const cortexUrl = text('cortex-url');
  const installer =
    installDirectory === undefined
      ? undefined
      : new EngineInstaller({
          directory: installDirectory,
          pin: values['no-pin'] !== true,
          rescan: cortexUrl !== undefined,
        });

  const puller = values['pull'] === true ? await enginePuller(io) : undefined;
  const fetcher = source.oci
    ? await registrySourceFetcher(source.oci, caFile, io.env)
    : sourceFetcher(
        source,
        source.remote ? buildTrustStore({ caFiles: caFile ? [caFile] : [], caPems: [], env: io.env }).ca : [],
        logRetries((line) => io.stderr.write(`${line}\n`), 'catalog'),
      );
  let report: UpdateReport;
  try {
    report = await runUpdate({
      source,
      fetcher,
      stateDirectory,
      publicKey,
      registryPrefix: prefix,
      allowDowngrade: values['allow-downgrade'] === true,
      puller,
      now: new Date(),
      installer,
    });
  } finally {
    await fetcher.close();
  }
  const kinds = report.install?.rescan ?? [];
  if (cortexUrl === undefined || kinds.length === 0) return report;
  const client = new CortexClient({
    url: cortexUrl,
    apiKey: io.env['NEURONS_CORTEX_API_KEY'] ?? '',
    ca: buildTrustStore({ caFiles: caFile ? [caFile] : [], caPems: [], env: io.env }).ca,
    attempts: 4,
  });
  try {
    return { ...report, rescan: await rescanInstalled({ client, kinds, stateDirectory, sourceKey: source.key }) };
  } finally {
    await client.close();
  }
}

async function readPublicKey(keyFile: string): Promise<{ pem: string; file: string }> {
  return {
    pem: await readFile(keyFile, 'utf8').catch(() => {
      throw new UsageError({
        code: 'UPDATE_KEY_UNREADABLE',
        file: keyFile,
        message: 'cannot read the public key',
        hint: 'give the neurons-index.pub the publisher handed out',
      });
    }),
    file: keyFile,
  };
}

/** `--pull`: the engine's puller, once the engine answered. */
async function enginePuller(io: CliIo): Promise<ImagePuller> {
  const docker = lazyDocker();
  await docker.ping().catch((error: unknown) => {
    throw new EnvironmentError(
      {
        code: 'UPDATE_DOCKER',
        message: `the Docker engine cannot be used: ${(error as Error).message}`,
        hint: 'check that the engine runs and DOCKER_HOST',
      },
      error,
    );
  });
  return dockerPuller(docker, io.env, (line) => io.stderr.write(`${line}\n`));
}

/** An OCI artifact source: read with the credentials the engine's Docker client has for that registry, if any. */
async function registrySourceFetcher(
  where: OciCoordinates,
  caFile: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<CatalogFetcher> {
  // --ca is read as for HTTP sources; the registry client adds it to the system store.
  const ca = caFile === undefined ? [] : readCaFile(caFile);
  const credentials = await readDockerCredentials(where.host, env);
  return ociFetcher(where, new RegistryClient({ host: where.host, ca, ...(credentials ? { credentials } : {}) }));
}

const order: ChangeKind[] = ['added', 'upgraded', 'downgraded', 'changed', 'removed'];

/** The human report: what changed, worker by worker, what was pulled, what was skipped, and a one-line summary. */
export function formatReport(report: UpdateCommandReport): string {
  const lines: string[] = [];
  const engine = formatInstall(report);
  const trust = report.verified ? `signed index serial ${report.serial ?? '?'}, verified` : 'not verified';
  if (report.status === 'up-to-date') {
    lines.push(
      `up to date: ${report.source} has not changed (${trust}; ${report.requests} request${report.requests === 1 ? '' : 's'})`,
    );
    lines.push(...engine);
    lines.push(`${report.changes.length} workers unchanged`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`${report.source}: ${report.catalogs.join(', ')} (${trust})`);
  for (const kind of order) {
    for (const change of report.changes.filter((candidate) => candidate.change === kind)) {
      const was =
        change.previous && change.previous.version !== change.version ? ` (was ${change.previous.version})` : '';
      lines.push(`  ${kind.padEnd(10)} ${change.id.padEnd(28)} ${change.image}${was}`);
    }
  }
  for (const pull of report.pulls) {
    const digest =
      pull.expected === undefined
        ? 'digest not checked (no signed digest)'
        : pull.digestMatches
          ? `digest ${pull.expected} ok`
          : '';
    lines.push(
      `  ${pull.status === 'pulled' ? 'pulled' : 'FAILED'}     ${pull.image} ${pull.status === 'pulled' ? digest : (pull.error ?? '')}`,
    );
  }
  for (const skipped of report.skipped) lines.push(`  skipped    ${formatProblem(skipped)}`);
  lines.push(...engine);
  for (const problem of report.problems) lines.push(formatProblem(problem));
  const { counts } = report;
  const pulled = report.pulls.filter((pull) => pull.status === 'pulled').length;
  lines.push(
    `${counts.added} added, ${counts.upgraded} upgraded, ${counts.downgraded} downgraded, ${counts.changed} changed, ${counts.removed} removed, ${counts.unchanged} unchanged` +
      `${report.pulls.length > 0 ? `; ${pulled} of ${report.pulls.length} images pulled` : ''}${report.skipped.length > 0 ? `; ${report.skipped.length} entries skipped` : ''}` +
      (report.stateWritten ? '' : '; nothing applied, the previous state is kept'),
  );
  return `${lines.join('\n')}\n`;
}

/** `--install` and `--cortex-url`: each file installed (or left as it was) and each rescan asked. */
function formatInstall(report: UpdateCommandReport): string[] {
  const lines: string[] = [];
  for (const file of report.install?.files ?? []) {
    const pinned = report.install?.pinned ? ', images pinned by digest' : '';
    lines.push(
      `  ${(file.changed ? 'installed' : 'in place').padEnd(10)} ${path.join(report.install?.directory ?? '', file.file)} (for Cortex${pinned})`,
    );
  }
  for (const rescan of report.rescan ?? [])
    lines.push(
      `  ${(rescan.status === 'rescanned' ? 'rescanned' : 'FAILED').padEnd(10)} Cortex rescan of ${rescan.kind}s${rescan.problem ? `: ${rescan.problem.code}` : ''}`,
    );
  return lines;
}
