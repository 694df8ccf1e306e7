import { createHash, createPublicKey } from 'node:crypto';
import type { CatalogIndex } from '../catalog/index-file.js';
import { indexExpiry, verifyIndex } from '../catalog/verify-index.js';
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
import { readCatalogEntries, type CatalogWorker } from './entries.js';
import type { CatalogFetcher } from './fetch.js';
import type { EngineInstaller, InstallReport } from './install.js';
import { applyRegistryPrefix } from './prefix.js';
import { pullImages, type ImagePuller, type PullReport } from './pull.js';
import { chooseCatalogs, describeFile, indexFile, type UpdateSource } from './source.js';
import {
  catalogObjectName,
  indexFormat,
  legacyIndexFormat,
  legacySignatureFileName,
  signatureObjectName,
} from '../publish/publication.js';
import { readUpdateState, writeUpdateState, type InstallRecord, type SourceState, type UpdateState } from './state.js';

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

/** Whether what the last update did covers what this one is asked: only then may an unchanged catalog stop here. */
function covers(
  last: SourceState | undefined,
  probe: string,
  wanted: { key: string | undefined; prefix: string | undefined; pull: boolean; installed: boolean },
): last is SourceState & { etag: string } {
  if (!last?.etag || last.probe !== probe || !wanted.installed) return false;
  if (wanted.key !== undefined && last.key !== wanted.key) return false;
  if (last.registryPrefix !== wanted.prefix) return false;
  return !wanted.pull || last.workers.every((worker) => worker.pulled);
}

function parseUnverifiedIndex(bytes: Buffer, location: string): CatalogIndex {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as CatalogIndex | { format: typeof legacyIndexFormat };
    if (
      (value.format === indexFormat || value.format === legacyIndexFormat) &&
      typeof (value as CatalogIndex).catalogs === 'object' &&
      Array.isArray((value as CatalogIndex).flavors)
    )
      return value as CatalogIndex;
  } catch {
    // Reported below, as for any other content.
  }
  throw new NeuronsError({
    code: 'UPDATE_INDEX_INVALID',
    file: location,
    message: 'not a catalog index written by neurons',
    hint: 'point --catalog at the folder the pipeline published, or at one catalog file (analyzers.json)',
  });
}

/**
 * Where the files of an index are (see publish/publication.ts): the signature named by the index's own hash and each
 * catalog by its recorded hash, so that what is read belongs to this index even while a publisher switches to the
 * next one; an index of the layout before that keeps them under their names.
 */
function indexLayout(indexBytes: Buffer): {
  signature: string;
  catalog: (file: string, index: CatalogIndex) => string;
} {
  let format: unknown;
  try {
    format = (JSON.parse(indexBytes.toString('utf8')) as { format?: unknown }).format;
  } catch {
    format = undefined;
  }
  if (format === legacyIndexFormat) return { signature: legacySignatureFileName, catalog: (file) => file };
  return {
    signature: signatureObjectName(indexBytes),
    catalog: (file, index) => {
      const sha256 = index.catalogs[file]?.sha256;
      return sha256 ? catalogObjectName(sha256) : file;
    },
  };
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
  const warnings: Problem[] = [];
  if (!options.publicKey)
    warnings.push({
      code: 'UPDATE_NOT_VERIFIED',
      file: source.key,
      message:
        'the catalog is not verified (no --key): anyone who can change it or the connection can choose the images',
      hint: "pass --key with the publisher's public key (neurons-index.pub)",
    });

  // With a key the index is always the probe: it changes with every publish (its serial grows), catalogs or not.
  const probe = key !== undefined || source.catalog === undefined ? indexFile : source.catalog;
  // With --install, DIR must still hold what the last update put there (the state may be newer than DIR).
  const installed = options.installer === undefined || (await options.installer.isCurrent(last?.install));
  const conditional = covers(last, probe, {
    key,
    prefix: options.registryPrefix,
    pull: options.puller !== undefined,
    installed,
  })
    ? last
    : undefined;
  const first = await fetcher.get(probe, conditional?.etag);
  const base = { source: source.key, verified: key !== undefined, skipped: [], pulls: [], problems: [] };

  if (first.status === 'not-modified') {
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
      ...base,
      status: 'up-to-date',
      serial: conditional.serial,
      catalogs: [],
      requests: fetcher.requests,
      changes,
      counts: countChanges(changes),
      warnings,
      stateWritten: false,
      ...install,
    };
  }
  if (first.status === 'missing') {
    throw new UsageError({
      code: 'UPDATE_NOT_FOUND',
      file: describeFile(source, probe),
      message: `${probe} is not there`,
      hint:
        probe === indexFile
          ? 'publish with neurons pipeline/catalog (it writes index.json), or name one catalog: --catalog .../analyzers.json'
          : 'check the --catalog path or URL',
    });
  }

  let index: CatalogIndex | undefined;
  const catalogBytes = new Map<string, Buffer>();
  if (probe === indexFile) {
    const location = describeFile(source, indexFile);
    const layout = indexLayout(first.bytes);
    const fetchListed = (listed: CatalogIndex): Promise<void> =>
      fetchCatalogs(
        fetcher,
        source,
        source.catalog ? [source.catalog] : chooseCatalogs(Object.keys(listed.catalogs)),
        catalogBytes,
        (file) => layout.catalog(file, listed),
      );
    if (options.publicKey && key !== undefined) {
      const signature = await fetcher.get(layout.signature);
      const verify = (catalogs: Map<string, Buffer>): CatalogIndex =>
        verifyIndex({
          indexBytes: first.bytes,
          signature: signature.status === 'ok' ? signature.bytes.toString('utf8') : undefined,
          publicKeyPem: options.publicKey?.pem ?? '',
          lastSerial: state.serials[key],
          now: options.now,
          catalogs,
          source: location,
        });
      // The signature, the serial and the expiry first: nothing the index lists is fetched before it is trusted.
      index = verify(new Map());
      await fetchListed(index);
      verify(catalogBytes);
    } else {
      index = parseUnverifiedIndex(first.bytes, location);
      await fetchListed(index);
    }
  } else {
    catalogBytes.set(probe, first.bytes);
  }

  const skipped: Problem[] = [];
  const workers: CatalogWorker[] = [];
  const seen = new Set<string>();
  for (const [file, bytes] of catalogBytes) {
    const read = readCatalogEntries(bytes, file, describeFile(source, file));
    skipped.push(...read.skipped);
    for (const worker of read.workers) {
      if (seen.has(workerKey(worker))) continue;
      seen.add(workerKey(worker));
      const repository = withoutTag(worker.catalogImage);
      const tag = worker.catalogImage.split('@')[0]?.slice(repository.length + 1) ?? '';
      // The record of this tag: two tags of one flavor at different images have a record each.
      const digest =
        index?.flavors.find(
          (flavor) => flavor.id === worker.id && flavor.image === repository && flavor.tags.includes(tag),
        )?.digest ?? undefined;
      workers.push({ ...worker, image: applyRegistryPrefix(worker.catalogImage, options.registryPrefix), digest });
    }
  }

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
  const downgrades = changes.filter((change) => change.change === 'downgraded');
  if (downgrades.length > 0 && !options.allowDowngrade) {
    const named = downgrades
      .map((change) => `${change.name} ${change.previous?.version ?? '?'} -> ${change.version}`)
      .join(', ');
    report.problems.push({
      code: 'UPDATE_DOWNGRADE',
      file: source.key,
      message: `the catalog goes back to older versions: ${named}`,
      hint: 'if the publisher withdrew a version on purpose, run again with --allow-downgrade',
    });
    return { ...report, status: 'downgrade-refused' };
  }
  // Planned before anything is pulled: an entry that cannot be installed stops the update here.
  const plan = options.installer?.plan({ catalogs: catalogBytes, workers, verified: key !== undefined });
  warnings.push(...(plan?.warnings ?? []));

  const pulled = new Set<string>();
  if (options.puller) {
    const byImage = new Map<string, { image: string; workers: string[]; expected: string | undefined }>();
    for (const change of changes) {
      if (!needsPull(change, previous.get(workerKey(change)))) continue;
      const worker = workers.find((candidate) => workerKey(candidate) === workerKey(change));
      const target = byImage.get(change.image) ?? { image: change.image, workers: [], expected: worker?.digest };
      target.workers.push(change.id);
      byImage.set(change.image, target);
    }
    report.pulls = await pullImages(options.puller, [...byImage.values()]);
    for (const pull of report.pulls) if (pull.status === 'pulled') pulled.add(pull.image);
    const failed = report.pulls.filter((pull) => pull.status === 'failed');
    if (failed.length > 0) {
      for (const pull of failed)
        report.problems.push({
          code: pull.digestMatches === false ? 'UPDATE_DIGEST_MISMATCH' : 'UPDATE_PULL_FAILED',
          message: `${pull.image}: ${pull.error ?? 'failed'}`,
          hint:
            pull.digestMatches === false
              ? 'the registry serves another image than the publisher signed: do not run it'
              : 'check the registry, `docker login` for it, and --registry-prefix',
        });
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

async function fetchCatalogs(
  fetcher: CatalogFetcher,
  source: UpdateSource,
  files: string[],
  into: Map<string, Buffer>,
  storedAs: (file: string) => string,
): Promise<void> {
  if (files.length === 0)
    throw new NeuronsError({
      code: 'UPDATE_NO_CATALOG',
      file: describeFile(source, indexFile),
      message: 'the index lists no analyzers or responders catalog',
      hint: 'publish the catalogs with neurons pipeline/catalog',
    });
  for (const file of files) {
    const fetched = await fetcher.get(storedAs(file));
    if (fetched.status !== 'ok')
      throw new NeuronsError({
        code: 'UPDATE_NOT_FOUND',
        file: describeFile(source, storedAs(file)),
        message: `${file} is listed in the index but not there`,
        hint: 'the publisher wrote the index without its catalogs, or removed them: publish again',
      });
    into.set(file, fetched.bytes);
  }
}

/** `registry/path/name:tag@digest` -> `registry/path/name`, the form the index records images in. */
function withoutTag(reference: string): string {
  const [name = ''] = reference.split('@');
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

function nextState(
  state: UpdateState,
  options: UpdateOptions,
  applied: {
    key: string | undefined;
    probe: string;
    etag: string | undefined;
    index: CatalogIndex | undefined;
    workers: CatalogWorker[];
    pulled: Set<string>;
    previous: Map<string, InstalledWorker>;
    install: InstallRecord | undefined;
  },
): UpdateState {
  const { key, index } = applied;
  const serials = { ...state.serials };
  if (key !== undefined && index) serials[key] = Math.max(serials[key] ?? 0, index.serial);
  const workers: InstalledWorker[] = applied.workers.map((worker) => {
    const old = applied.previous.get(workerKey(worker));
    const stillPulled =
      old?.pulled === true &&
      old.image === worker.image &&
      old.version === worker.version &&
      (old.digest === undefined || old.digest === worker.digest);
    return {
      kind: worker.kind,
      id: worker.id,
      name: worker.name,
      version: worker.version,
      image: worker.image,
      ...(worker.digest === undefined ? {} : { digest: worker.digest }),
      pulled: applied.pulled.has(worker.image) || stillPulled,
    };
  });
  const entry: SourceState = {
    updated: options.now.toISOString(),
    probe: applied.probe,
    ...(applied.etag === undefined ? {} : { etag: applied.etag }),
    ...(key === undefined ? {} : { key }),
    ...(options.registryPrefix === undefined ? {} : { registryPrefix: options.registryPrefix }),
    ...(index === undefined ? {} : { serial: index.serial, expires: index.expires }),
    workers,
    ...(applied.install === undefined ? {} : { install: applied.install }),
  };
  return { ...state, serials, sources: { ...state.sources, [options.source.key]: entry } };
}
