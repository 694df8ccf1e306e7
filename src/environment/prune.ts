import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { EnvironmentState } from '../state/environment-state.js';
import { folderBytes } from '../util/folder-bytes.js';
import { isAlive, runAsync, waitFor } from './processes.js';

/** What pruning one registry of the environment did. */
export interface RegistryPrune {
  registry: 'registry' | 'mirror';
  removed: string[];
  kept: string[];
  bytesBefore: number;
  bytesAfter: number;
}

/** The base images' namespace: every image the environment builds on. Never pruned. */
const baseNamespace = 'base';

/** Where a registry of the environment (distribution's filesystem driver) keeps its repositories, by namespace. */
function repositoriesFolder(registryFolder: string): string {
  return path.join(registryFolder, 'data', 'docker', 'registry', 'v2', 'repositories');
}

/**
 * Removes from one registry of the environment every namespace (the first part of a repository path) but the base
 * images' and those in `keep`, then reclaims their blobs: the registry is stopped (its process `pid`), the
 * namespaces' folders removed from its storage, and distribution's own garbage collection run on it (without
 * `--delete-untagged`, which would take the platform manifests of the indexes kept). The caller starts it again.
 */
export async function pruneRegistryStorage(options: {
  registry: 'registry' | 'mirror';
  folder: string;
  pid: number | undefined;
  keep: ReadonlySet<string>;
  log: (line: string) => void;
}): Promise<RegistryPrune> {
  const repositories = repositoriesFolder(options.folder);
  const namespaces = (await readdir(repositories, { withFileTypes: true }).catch(() => []))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const removed = namespaces.filter((name) => name !== baseNamespace && !options.keep.has(name));
  const kept = namespaces.filter((name) => !removed.includes(name));
  const data = path.join(options.folder, 'data');
  const bytesBefore = await folderBytes(data).catch(() => 0);
  if (removed.length === 0) {
    options.log(`${options.registry}: nothing to remove; kept ${kept.join(', ') || 'nothing'}`);
    return { registry: options.registry, removed, kept, bytesBefore, bytesAfter: bytesBefore };
  }
  if (isAlive(options.pid)) {
    process.kill(options.pid ?? 0, 'SIGTERM');
    await waitFor(
      `${options.registry} to stop`,
      async () => !isAlive(options.pid),
      30_000,
      `stop process ${options.pid} yourself`,
    );
  }
  for (const name of removed) await rm(path.join(repositories, name), { recursive: true, force: true });
  await runAsync('docker-registry', ['garbage-collect', path.join(options.folder, 'config.yml')], {
    what: `garbage collection of the ${options.registry}`,
  });
  const bytesAfter = await folderBytes(data).catch(() => 0);
  options.log(
    `${options.registry}: ${removed.length} namespace(s) removed, ${((bytesBefore - bytesAfter) / 1e6).toFixed(1)} MB reclaimed; kept ${kept.join(', ') || 'nothing'}`,
  );
  return { registry: options.registry, removed, kept, bytesBefore, bytesAfter };
}

/**
 * Both registries of the environment pruned (pruneRegistryStorage): kept are the base images, the environment's own
 * namespace (where a run without `--namespace` publishes) and `keep`. The registries are stopped on the way: run it
 * when nothing uses the environment, then `neurons env up` starts them again.
 */
export async function pruneEnvironment(
  state: EnvironmentState,
  keep: string[],
  log: (line: string) => void,
): Promise<RegistryPrune[]> {
  const kept = new Set([state.registry.namespace, ...keep]);
  const results: RegistryPrune[] = [];
  for (const registry of ['registry', 'mirror'] as const)
    results.push(
      await pruneRegistryStorage({
        registry,
        folder: path.join(state.directory, registry),
        pid: state.pids[registry],
        keep: kept,
        log,
      }),
    );
  return results;
}
