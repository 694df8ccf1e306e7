import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { serializeJson, sha256Hex } from '../catalog/index-file.js';
import { NeuronsError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';
import { isLocalImage } from '../images/local-images.js';
import { pinnedReference } from '../images/reference.js';
import { replaceFilesAtomically } from '../util/atomic-file.js';
import { workerKey } from './compare.js';
import { catalogKind, readCatalogEntries, type CatalogWorker } from './entries.js';
import { readUpdateState, writeUpdateState, type InstallRecord } from './state.js';

export type WorkerKind = 'analyzer' | 'responder';

/** The names Cortex is pointed at (`analyzer.urls`, `responder.urls`), whichever catalog of the index was applied. */
export const installedFileName = (kind: WorkerKind): string => `${kind}s.json`;

/** What an update verified and applies: each catalog's bytes as fetched and checked, and the workers read from them. */
export interface VerifiedCatalogs {
  catalogs: Map<string, Buffer>;
  /** With `--registry-prefix` applied to `image`, and the index's digest when it gives one. */
  workers: CatalogWorker[];
  /** Whether the index was verified with `--key`. */
  verified: boolean;
}

/** The files to install, by name, and the kind of each; computed before anything is pulled or written. */
export interface InstallPlan {
  files: Map<string, { kind: WorkerKind; bytes: Buffer }>;
  warnings: Problem[];
}

export interface InstallReport {
  directory: string;
  pinned: boolean;
  files: Array<{ file: string; kind: WorkerKind; sha256: string; changed: boolean }>;
  /** Kinds Cortex is to rescan: changed by this run, or changed by an earlier one whose rescan failed. */
  rescan: WorkerKind[];
}

/**
 * The image the engine is to run: `image` (`--registry-prefix` already applied, as the engine's
 * `docker.imageRegistryPrefix` would) pinned to the digest of the index, `name:tag@sha256:...`, which Docker and
 * Cortex both accept. Undefined when pinning is asked and there is no digest to pin to.
 */
export function engineImage(worker: Pick<CatalogWorker, 'image' | 'digest'>, pin: boolean): string | undefined {
  // An image of local mode (`--local`) never left its engine: it has no registry digest to pin (the index records its image id).
  if (!pin || isLocalImage(worker.image)) return worker.image;
  if (worker.digest !== undefined) return pinnedReference(worker.image, worker.digest);
  // A publisher may already have pinned the entry itself.
  return worker.image.includes('@') ? worker.image : undefined;
}

/**
 * The catalogs to install, a pure function: per kind, the entries the update accepted, as published (same fields,
 * same order), except `dockerImage` (see `engineImage`). Entries the update skipped (invalid, with a `command`,
 * duplicates) are left out: a local catalog is read by the engine with fewer checks than a remote one, and a
 * `command` there would run a program of this host.
 *
 * Pinning without a digest: with a verified index, refused (`UPDATE_PIN_NO_DIGEST`: the publisher signed entries
 * it did not check in the registry); without one, the entry stays unpinned and a warning names it.
 */
export function planInstall(verified: VerifiedCatalogs, options: { pin: boolean }): InstallPlan {
  const applied = new Map(verified.workers.map((worker) => [workerKey(worker), worker]));
  const entries = new Map<WorkerKind, Array<Record<string, unknown>>>();
  const unpinned: string[] = [];
  for (const [file, bytes] of verified.catalogs) {
    const kind = catalogKind(file);
    const list = entries.get(kind) ?? [];
    entries.set(kind, list);
    const read = readCatalogEntries(bytes, file, file);
    for (const offered of read.workers) {
      const worker = applied.get(workerKey(offered));
      const definition = read.definitions.get(offered.name);
      // The update keeps the first catalog that lists a worker; the others are not applied.
      if (worker?.catalog !== file || !definition) continue;
      const image = engineImage(worker, options.pin);
      if (image === undefined) unpinned.push(worker.id);
      list.push({ ...definition, dockerImage: image ?? worker.image });
    }
  }
  const warnings: Problem[] = [];
  if (unpinned.length > 0) {
    const problem = {
      code: 'UPDATE_PIN_NO_DIGEST',
      message: `no digest to pin ${unpinned.join(', ')} to: ${verified.verified ? 'the signed index gives none' : 'the catalog is not verified and gives none'}`,
      hint: verified.verified
        ? 'the publisher must publish with image verification (not --no-verify), or install with --no-pin'
        : 'update with --key from an index that gives digests, or install with --no-pin to pin nothing',
    };
    if (verified.verified) throw new NeuronsError(problem);
    warnings.push({ ...problem, message: `${problem.message}; installed by tag` });
  }
  const files = new Map(
    [...entries].map(([kind, list]) => [installedFileName(kind), { kind, bytes: serializeJson(list) }] as const),
  );
  return { files, warnings };
}

/**
 * `--install DIR`: writes the catalogs Cortex reads into DIR, atomically, and keeps a record of them in the update
 * state. The update calls `plan` once the catalogs are verified and `apply` once every image is pulled and checked,
 * so a refused or failed update never reaches DIR.
 */
export class EngineInstaller {
  constructor(
    private readonly options: {
      directory: string;
      pin: boolean;
      /** Cortex will be told (`--cortex-url`). */ rescan: boolean;
    },
  ) {}

  /** Whether DIR still holds, byte for byte, what the last update installed with these options. */
  async isCurrent(record: InstallRecord | undefined): Promise<boolean> {
    if (!record || record.directory !== this.options.directory || record.pinned !== this.options.pin) return false;
    const files = Object.entries(record.files);
    if (files.length === 0) return false;
    for (const [file, sha256] of files) {
      const bytes = await readFile(path.join(this.options.directory, file)).catch(() => undefined);
      if (bytes === undefined || sha256Hex(bytes) !== sha256) return false;
    }
    return true;
  }

  plan(verified: VerifiedCatalogs): InstallPlan {
    return planInstall(verified, { pin: this.options.pin });
  }

  /** Writes the files that differ from DIR's; returns the record for the state and what was done. */
  async apply(
    plan: InstallPlan,
    last: InstallRecord | undefined,
  ): Promise<{ record: InstallRecord; report: InstallReport }> {
    const { directory } = this.options;
    const files: InstallReport['files'] = [];
    const changed = new Map<string, Buffer>();
    const owed = new Set<WorkerKind>(this.options.rescan && last?.directory === directory ? last.rescanPending : []);
    for (const [file, { kind, bytes }] of plan.files) {
      const current = await readFile(path.join(directory, file)).catch(() => undefined);
      const differs = current === undefined || !current.equals(bytes);
      const sha256 = sha256Hex(bytes);
      if (differs) changed.set(file, bytes);
      files.push({ file, kind, sha256, changed: differs });
      // Also owed when DIR already holds the new file but the state does not: a run installed it and stopped before
      // it could record the install (and ask Cortex).
      const recorded = last?.directory === directory ? last.files[file] : undefined;
      if (this.options.rescan && (differs || (recorded !== undefined && recorded !== sha256))) owed.add(kind);
    }
    try {
      if (changed.size > 0) await replaceFilesAtomically(directory, changed, { mode: 0o644 });
    } catch (error) {
      throw new NeuronsError(
        {
          code: 'UPDATE_INSTALL_FAILED',
          file: directory,
          message: `cannot install the catalogs: ${(error as Error).message}`,
          hint: 'check that the --install folder is writable by this user; nothing was applied',
        },
        { cause: error },
      );
    }
    const rescan = (['analyzer', 'responder'] as const).filter((kind) => owed.has(kind));
    const record: InstallRecord = {
      directory,
      pinned: this.options.pin,
      files: Object.fromEntries(files.map((file) => [file.file, file.sha256])),
      rescanPending: rescan,
    };
    return { record, report: { directory, pinned: this.options.pin, files, rescan } };
  }

  /** The report of an update that found nothing new and DIR as it was left (`isCurrent`). */
  unchanged(record: InstallRecord): InstallReport {
    return {
      directory: record.directory,
      pinned: record.pinned,
      files: Object.entries(record.files).map(([file, sha256]) => ({
        file,
        kind: catalogKind(file),
        sha256,
        changed: false,
      })),
      rescan: this.options.rescan ? [...record.rescanPending] : [],
    };
  }
}

/** Cortex rescanned these kinds: the state no longer owes it a rescan of them. */
export async function settleRescan(stateDirectory: string, sourceKey: string, done: WorkerKind[]): Promise<void> {
  const state = await readUpdateState(stateDirectory);
  const install = state.sources[sourceKey]?.install;
  if (!install || !install.rescanPending.some((kind) => done.includes(kind))) return;
  install.rescanPending = install.rescanPending.filter((kind) => !done.includes(kind));
  await writeUpdateState(stateDirectory, state);
}
