import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config, ResolvedRegistry } from '../config/load-config.js';
import type { Discovery, Flavor, WorkerFolder } from '../definitions/types.js';
import { imageRepository, registryPath } from '../images/image-name.js';
import { tagsForVersion } from '../images/tags.js';

export interface ImageTarget {
  registry: ResolvedRegistry;
  /** Reference without tag, e.g. `127.0.0.1:5443/neurons/hashcalc_md5`. */
  repository: string;
  /** Repository path in the registry API, e.g. `neurons/hashcalc_md5`. */
  path: string;
  tags: string[];
}

export interface FlavorPlan {
  flavor: Flavor;
  targets: ImageTarget[];
}

/** One folder image: built once, then one thin image per flavor on top of it. */
export interface BuildUnit {
  worker: WorkerFolder;
  /** The requirements file of this build, relative to the folder (Python only). */
  requirements: string | undefined;
  flavors: FlavorPlan[];
}

export interface BuildPlan {
  units: BuildUnit[];
  /** Folders not built, and why. */
  skipped: Array<{ worker: WorkerFolder; reason: string }>;
}

function requirementsOf(repo: string, worker: WorkerFolder, flavor: Flavor): string | undefined {
  if (worker.runtime !== 'python') return undefined;
  const named = flavor.definition.requirements;
  if (named) return named;
  return existsSync(path.join(repo, worker.path, 'requirements.txt')) ? 'requirements.txt' : undefined;
}

/**
 * What would be built, tagged and pushed, and why not for the rest. Folders with validation errors are skipped;
 * `only` (folder names or `kind/folder` paths) narrows the set.
 */
export function buildPlan(repo: string, discovery: Discovery, config: Config, only: string[] = []): BuildPlan {
  const units: BuildUnit[] = [];
  const skipped: BuildPlan['skipped'] = [];
  for (const worker of discovery.workers) {
    if (only.length > 0 && !only.includes(worker.directory) && !only.includes(worker.path)) continue;
    if (worker.errorCount > 0) {
      skipped.push({ worker, reason: `${worker.errorCount} validation error(s)` });
      continue;
    }
    // Flavors that name different requirements files cannot share one folder image.
    const groups = new Map<string, FlavorPlan[]>();
    for (const flavor of worker.flavors) {
      const key = requirementsOf(repo, worker, flavor) ?? '';
      const targets = config.registries.map((registry) => ({
        registry,
        repository: imageRepository(registry, flavor.definition.name),
        path: registryPath(registry, flavor.definition.name),
        tags: tagsForVersion(flavor.definition.version, config.channel, config.latest),
      }));
      groups.set(key, [...(groups.get(key) ?? []), { flavor, targets }]);
    }
    for (const [requirements, flavors] of groups)
      units.push({ worker, requirements: requirements || undefined, flavors });
  }
  return { units, skipped };
}
