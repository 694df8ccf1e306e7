import { createHash, createPublicKey } from 'node:crypto';
import { indexExpiry } from '../catalog/verify-index.js';
import { NeuronsError, UsageError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';
import {
  compareWorkers,
  countChanges,
  needsPull,
  workerKey,
  type ChangeKind,
  type InstalledWorker,
  type WorkerChange,
} from './compare.js';
import type { CatalogWorker } from './entries.js';
import type { CatalogFetcher } from './fetch.js';
import type { EngineInstaller, InstallReport } from './install.js';
import { covers, nextState } from './next-state.js';
import { pullImages, type ImagePuller, type PullReport } from './pull.js';
import { collectWorkers, readCatalogs } from './read-catalogs.js';
import { describeFile, indexFile, type UpdateSource } from './source.js';
import { readUpdateState, writeUpdateState, type SourceState } from './state.js';

export interface UpdateOptions {
  source: UpdateSource;
  fetcher: CatalogFetcher;
  stateDirectory: string;
  /** Undefined: nothing is verified (a warning says so). */
  publicKey: { pem: string; file: string } | undefined;
  registryPrefix: string | undefined;
  allowDowngrade: boolean;
  /** Undefined: images are not pulled. */
  puller: ImagePuller | undefined;
  now: Date;
  /** `--install DIR`: the verified catalogs are installed for the engine, last, before the state is written. */
  installer?: EngineInstaller | undefined;
}

export type UpdateStatus = 'up-to-date' | 'updated' | 'downgrade-refused' | 'pull-failed';

export interface UpdateReport {
  status: UpdateStatus;
  source: string;
  verified: boolean;
  serial: number | undefined;
  catalogs: string[];
  requests: number;
  changes: WorkerChange[];
  counts: Record<ChangeKind, number>;
  /** Catalog entries left out, as the engine leaves them out. */
  skipped: Problem[];
  warnings: Problem[];
  pulls: PullReport[];
  /** Why the update was refused (downgrades, failed pulls); empty when it was applied. */
  problems: Problem[];
  stateWritten: boolean;
  /** What `--install` wrote (or found in place); absent without `--install` or when the update was refused. */
  install?: InstallReport;
}

/** SHA-256 of the key's DER form: the same key in any PEM layout has one fingerprint. */
export function keyFingerprint(pem: string, file: string): string {
  try {
    return createHash('sha256')
      .update(createPublicKey(pem).export({ type: 'spki', format: 'der' }))
      .digest('hex');
  } catch (error) {
    throw new UsageError({
      code: 'UPDATE_KEY_INVALID',
      file,
      message: `not a public key: ${(error as Error).message}`,
      hint: 'give the neurons-index.pub that `neurons keys generate` wrote',
    });
  }
}

/**
 * `neurons update`: fetch (one conditional request when nothing changed), verify, read the entries as the engine
 * does, compare with the last update, refuse downgrades, pull and check digests, install the catalogs for the engine
 * (`installer`); the state is written last, and only when every step succeeded, so a refused or failed update leaves
 * the previous state (and the installed catalogs) as they were.
 */
export async function runUpdate(options: UpdateOptions): Promise<UpdateReport> {
  const { source, fetcher } = options;
  const state = await readUpdateState(options.stateDirectory);
  const last = state.sources[source.key];
  const key = options.publicKey ? keyFingerprint(options.publicKey.pem, options.publicKey.file) : undefined;
  const warnings: Problem[] = options.publicKey ? [] : [notVerified(source)];

  // With a key the index is always the probe: it changes with every publish (its serial grows), catalogs or not.
  const probe = key !== undefined || source.catalog === undefined ? indexFile : source.catalog;
  const conditional = await conditionalOn(last, probe, key, options);
  const first = await fetcher.get(probe, conditional?.etag);
  const base = { source: source.key, verified: key !== undefined, skipped: [], pulls: [], problems: [] };

  if (first.status === 'not-modified') {
    return upToDate(conditional, { options, probe, key, base, requests: fetcher.requests, warnings });
  }
  if (first.status === 'missing') throw probeMissing(source, probe);

  const { index, catalogBytes } = await readCatalogs(first.bytes, probe, {
    source,
    fetcher,
    publicKey: options.publicKey,
    key,
    lastSerial: key === undefined ? undefined : state.serials[key],
    now: options.now,
  });
  const { skipped, workers } = collectWorkers(catalogBytes, index, source, options.registryPrefix);

  const previous = new Map((last?.workers ?? []).map((worker) => [workerKey(worker), worker]));
  const changes = compareWorkers(last?.workers ?? [], workers);
  const report: UpdateReport = {
    ...base,
    status: 'updated',
    serial: index?.serial,
    catalogs: [...catalogBytes.keys()],
    requests: fetcher.requests,
    changes,
    counts: countChanges(changes),
    skipped,
    warnings,
    stateWritten: false,
  };
  const downgrade = downgradeProblem(changes, source, options.allowDowngrade);
  if (downgrade) {
    report.problems.push(downgrade);
    return { ...report, status: 'downgrade-refused' };
  }
  // Planned before anything is pulled: an entry that cannot be installed stops the update here.
  const plan = options.installer?.plan({ catalogs: catalogBytes, workers, verified: key !== undefined });
  warnings.push(...(plan?.warnings ?? []));

  const pulled = new Set<string>();
  if (options.puller) {
    report.pulls = await pullImages(options.puller, pullTargets(changes, previous, workers));
    for (const pull of report.pulls) if (pull.status === 'pulled') pulled.add(pull.image);
    const failed = report.pulls.filter((pull) => pull.status === 'failed');
    if (failed.length > 0) {
      report.problems.push(...failed.map(pullProblem));
      return { ...report, status: 'pull-failed' };
    }
  }

  const install = plan && options.installer ? await options.installer.apply(plan, last?.install) : undefined;
  await writeUpdateState(
    options.stateDirectory,
    nextState(state, options, {
      key,
      probe,
      etag: first.etag,
      index,
      workers,
      pulled,
      previous,
      install: install?.record,
    }),
  );
  return { ...report, stateWritten: true, ...(install ? { install: install.report } : {}) };
}

function notVerified(source: UpdateSource): Problem {
  return {
    code: 'UPDATE_NOT_VERIFIED',
    file: source.key,
    message: 'the catalog is not verified (no --key): anyone who can change it or the connection can choose the images',
    hint: "pass --key with the publisher's public key (neurons-index.pub)",
  };
}

/** The last update of this source, when its etag may make this request conditional. */
async function conditionalOn(
  last: SourceState | undefined,
  probe: string,
  key: string | undefined,
  options: UpdateOptions,
): Promise<(SourceState & { etag: string }) | undefined> {
  // With --install, DIR must still hold what the last update put there (the state may be newer than DIR).
  const installed = options.installer === undefined || (await options.installer.isCurrent(last?.install));
  return covers(last, probe, {
    key,
    prefix: options.registryPrefix,
    pull: options.puller !== undefined,
    installed,
  })
    ? last
    : undefined;
}

/** The report of an unchanged catalog (the server answered 304), after the checks a frozen index must still pass. */
function upToDate(
  conditional: (SourceState & { etag: string }) | undefined,
  context: {
    options: UpdateOptions;
    probe: string;
    key: string | undefined;
    base: Pick<UpdateReport, 'source' | 'verified' | 'skipped' | 'pulls' | 'problems'>;
    requests: number;
    warnings: Problem[];
  },
): UpdateReport {
  const { options, probe, key } = context;
  const { source } = options;
  if (!conditional)
    throw new NeuronsError({
      code: 'UPDATE_HTTP',
      file: describeFile(source, probe),
      message: 'the server answered 304 to a request without If-None-Match',
      hint: 'the catalog server is broken',
    });
  // Nothing was fetched, but a frozen index must still run out: the expiry recorded when it was verified is checked.
  if (key !== undefined && (indexExpiry(conditional.expires) ?? 0) <= options.now.getTime()) {
    throw new NeuronsError({
      code: 'INDEX_EXPIRED',
      file: describeFile(source, indexFile),
      message: `the index expired on ${conditional.expires} and the server still serves it unchanged`,
      hint: 'the publisher must publish a fresh index (it may be frozen by an attacker)',
    });
  }
  const changes: WorkerChange[] = conditional.workers.map((worker) => ({
    change: 'unchanged',
    kind: worker.kind,
    name: worker.name,
    id: worker.id,
    version: worker.version,
    image: worker.image,
  }));
  const install =
    options.installer && conditional.install ? { install: options.installer.unchanged(conditional.install) } : {};
  return {
    ...context.base,
    status: 'up-to-date',
    serial: conditional.serial,
    catalogs: [],
    requests: context.requests,
    changes,
    counts: countChanges(changes),
    warnings: context.warnings,
    stateWritten: false,
    ...install,
  };
}

function probeMissing(source: UpdateSource, probe: string): UsageError {
  return new UsageError({
    code: 'UPDATE_NOT_FOUND',
    file: describeFile(source, probe),
    message: `${probe} is not there`,
    hint:
      probe === indexFile
        ? 'publish with neurons pipeline/catalog (it writes index.json), or name one catalog: --catalog .../analyzers.json'
        : 'check the --catalog path or URL',
  });
}

/** The problem that refuses an update going back to older versions, unless downgrades are allowed. */
function downgradeProblem(changes: WorkerChange[], source: UpdateSource, allowDowngrade: boolean): Problem | undefined {
  const downgrades = changes.filter((change) => change.change === 'downgraded');
  if (downgrades.length === 0 || allowDowngrade) return undefined;
  const named = downgrades
    .map((change) => `${change.name} ${change.previous?.version ?? '?'} -> ${change.version}`)
    .join(', ');
  return {
    code: 'UPDATE_DOWNGRADE',
    file: source.key,
    message: `the catalog goes back to older versions: ${named}`,
    hint: 'if the publisher withdrew a version on purpose, run again with --allow-downgrade',
  };
}

/** The images to pull, once each, with the workers that use them and the digest the index records. */
function pullTargets(
  changes: WorkerChange[],
  previous: Map<string, InstalledWorker>,
  workers: CatalogWorker[],
): Array<{ image: string; workers: string[]; expected: string | undefined }> {
  const byImage = new Map<string, { image: string; workers: string[]; expected: string | undefined }>();
  for (const change of changes) {
    if (!needsPull(change, previous.get(workerKey(change)))) continue;
    const worker = workers.find((candidate) => workerKey(candidate) === workerKey(change));
    const target = byImage.get(change.image) ?? { image: change.image, workers: [], expected: worker?.digest };
    target.workers.push(change.id);
    byImage.set(change.image, target);
  }
  return [...byImage.values()];
}

function pullProblem(pull: PullReport): Problem {
  return {
    code: pull.digestMatches === false ? 'UPDATE_DIGEST_MISMATCH' : 'UPDATE_PULL_FAILED',
    message: `${pull.image}: ${pull.error ?? 'failed'}`,
    hint:
      pull.digestMatches === false
        ? 'the registry serves another image than the publisher signed: do not run it'
        : 'check the registry, `docker login` for it, and --registry-prefix',
  };
}
