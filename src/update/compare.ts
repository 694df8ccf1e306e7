import { compareWorkerVersions } from '../definitions/version.js';
import type { CatalogWorker } from './entries.js';

/** A worker as the last update left it. */
export interface InstalledWorker {
  kind: 'analyzer' | 'responder';
  id: string;
  name: string;
  version: string;
  /** The reference the engine runs (after `--registry-prefix`). */
  image: string;
  digest?: string;
  /** Whether the image was pulled (and its digest checked) by an update. */
  pulled: boolean;
}

/** `changed`: same version, another image or digest (a rebuild, a moved tag, another prefix). */
export type ChangeKind = 'added' | 'upgraded' | 'downgraded' | 'changed' | 'unchanged' | 'removed';

export interface WorkerChange {
  change: ChangeKind;
  kind: 'analyzer' | 'responder';
  name: string;
  /** The new worker id (the previous one for a removed worker). */
  id: string;
  version: string;
  image: string;
  previous?: { id: string; version: string; image: string };
}

export const workerKey = (worker: { kind: string; name: string }): string => `${worker.kind}:${worker.name}`;

/**
 * What the new catalogs change, worker by worker (a worker is its kind and name; the version decides upgrade or
 * downgrade, numerically: 1.10 is above 1.9). A pure function: nothing is read or written.
 */
export function compareWorkers(previous: InstalledWorker[], next: CatalogWorker[]): WorkerChange[] {
  const before = new Map(previous.map((worker) => [workerKey(worker), worker]));
  const changes: WorkerChange[] = [];
  for (const worker of next) {
    const old = before.get(workerKey(worker));
    before.delete(workerKey(worker));
    const base = { kind: worker.kind, name: worker.name, id: worker.id, version: worker.version, image: worker.image };
    if (!old) {
      changes.push({ change: 'added', ...base });
      continue;
    }
    const order = compareWorkerVersions(worker.version, old.version);
    const sameImage =
      old.image === worker.image &&
      (old.digest === undefined || worker.digest === undefined || old.digest === worker.digest);
    const change: ChangeKind =
      order > 0
        ? 'upgraded'
        : order < 0
          ? 'downgraded'
          : old.version === worker.version && sameImage
            ? 'unchanged'
            : 'changed';
    changes.push({ change, ...base, previous: { id: old.id, version: old.version, image: old.image } });
  }
  for (const old of before.values())
    changes.push({
      change: 'removed',
      kind: old.kind,
      name: old.name,
      id: old.id,
      version: old.version,
      image: old.image,
    });
  return changes;
}

/** Whether an update with `--pull` must pull this worker's image: new to this engine, or never pulled. */
export function needsPull(change: WorkerChange, previous: InstalledWorker | undefined): boolean {
  if (change.change === 'removed') return false;
  return change.change !== 'unchanged' || previous?.pulled !== true;
}

export function countChanges(changes: WorkerChange[]): Record<ChangeKind, number> {
  const counts: Record<ChangeKind, number> = {
    added: 0,
    upgraded: 0,
    downgraded: 0,
    changed: 0,
    unchanged: 0,
    removed: 0,
  };
  for (const change of changes) counts[change.change]++;
  return counts;
}
