import path from 'node:path';
import type { RebuildReason } from '../inputs/build-inputs.js';
import type { Config } from '../config/load-config.js';
import { configFileName } from '../config/load-config.js';
import type { Discovery, WorkerFolder } from '../definitions/types.js';
import type { ChangedFile } from './types.js';

export interface WorkerChange {
  worker: WorkerFolder;
  /** Flavor ids concerned, with their reasons: a definition change concerns one flavor, a code change all. */
  flavors: Map<string, Set<RebuildReason>>;
}

export interface RemovedDefinition {
  /** Repository-relative path of the definition file that is gone (deleted, or renamed `*.deprecated`). */
  file: string;
  kind: 'analyzer' | 'responder';
  directory: string;
  /** The whole folder is gone. */
  folderRemoved: boolean;
}

export interface MappedChanges {
  changed: Map<string, WorkerChange>;
  removed: RemovedDefinition[];
  /** Changed files that concern no worker (documentation, CI files...). */
  unrelated: string[];
}

const workerPath = /^(analyzers|responders)\/([^/]+)\/(.+)$/;

/**
 * Maps changed files to the workers they affect. Pure: the discovery says what exists at the head, the
 * configuration which files outside worker folders matter (itself, templates, declared shared folders).
 */
export function mapChangesToWorkers(
  files: ChangedFile[],
  discovery: Discovery,
  config: Config,
  repo: string,
): MappedChanges {
  const byPath = new Map(discovery.workers.map((worker) => [worker.path, worker]));
  const changed = new Map<string, WorkerChange>();
  const removed: RemovedDefinition[] = [];
  const unrelated: string[] = [];
  const mark = (worker: WorkerFolder, reason: RebuildReason, flavorFile?: string): void => {
    let change = changed.get(worker.path);
    if (!change) changed.set(worker.path, (change = { worker, flavors: new Map() }));
    for (const flavor of worker.flavors) {
      if (flavorFile && flavor.file !== flavorFile) continue;
      const reasons = change.flavors.get(flavor.id) ?? new Set<RebuildReason>();
      reasons.add(reason);
      change.flavors.set(flavor.id, reasons);
    }
  };
  const templateFiles = new Map(
    Object.entries(config.templates).map(([id, file]) => [path.relative(repo, file).split(path.sep).join('/'), id]),
  );
  const sides = files.flatMap((file) => [
    { path: file.path, status: file.status },
    ...(file.previousPath ? [{ path: file.previousPath, status: 'deleted' as const }] : []),
  ]);
  for (const side of sides) {
    const match = workerPath.exec(side.path);
    if (match) {
      const [, kindFolder = '', directory = '', rest = ''] = match;
      const folder = `${kindFolder}/${directory}`;
      const worker = byPath.get(folder);
      const isDefinition = !rest.includes('/') && rest.endsWith('.json');
      if (side.status === 'deleted' && isDefinition && !worker?.flavors.some((flavor) => flavor.file === side.path)) {
        removed.push({
          file: side.path,
          kind: kindFolder === 'analyzers' ? 'analyzer' : 'responder',
          directory,
          folderRemoved: !worker,
        });
        continue;
      }
      if (!worker) continue;
      const flavor = isDefinition ? worker.flavors.find((candidate) => candidate.file === side.path) : undefined;
      if (flavor) mark(worker, side.status === 'added' ? 'new' : 'definition', flavor.file);
      // The definition of a flavor left out for its errors is in no image: it concerns none of the others.
      else if (!(isDefinition && worker.definitionFiles.includes(side.path))) mark(worker, 'files');
      continue;
    }
    if (side.path === configFileName) {
      for (const worker of discovery.workers) mark(worker, 'settings');
      continue;
    }
    const template = templateFiles.get(side.path);
    if (template) {
      for (const worker of discovery.workers)
        if (
          (config.workers[worker.path]?.template ?? config.workers[worker.directory]?.template ?? worker.runtime) ===
          template
        )
          mark(worker, 'template');
      continue;
    }
    const users = discovery.workers.filter((worker) =>
      (config.workers[worker.path]?.uses ?? config.workers[worker.directory]?.uses ?? []).some((folder) =>
        side.path.startsWith(`${folder.replace(/\/$/, '')}/`),
      ),
    );
    for (const worker of users) mark(worker, 'files');
    if (users.length === 0) unrelated.push(side.path);
  }
  // A definition renamed `*.deprecated` shows as a deleted file above; nothing more to do here.
  return { changed, removed, unrelated };
}
