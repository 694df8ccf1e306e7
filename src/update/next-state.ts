import { workerKey, type InstalledWorker } from './compare.js';
import type { CatalogIndex } from '../catalog/index-file.js';
import type { CatalogWorker } from './entries.js';
import type { InstallRecord, SourceState, UpdateState } from './state.js';
import type { UpdateOptions } from './update.js';

/** Whether what the last update did covers what this one is asked: only then may an unchanged catalog stop here. */
export function covers(
  last: SourceState | undefined,
  probe: string,
  wanted: { key: string | undefined; prefix: string | undefined; pull: boolean; installed: boolean },
): last is SourceState & { etag: string } {
  if (!last?.etag || last.probe !== probe || !wanted.installed) return false;
  if (wanted.key !== undefined && last.key !== wanted.key) return false;
  if (last.registryPrefix !== wanted.prefix) return false;
  return !wanted.pull || last.workers.every((worker) => worker.pulled);
}

/** The state after an applied update: the serial seen, the etag, and what each worker is and whether it was pulled. */
export function nextState(
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
