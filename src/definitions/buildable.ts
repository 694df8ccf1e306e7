import type { Problem } from '../errors/problem.js';
import type { Discovery, WorkerFolder } from './types.js';

/** A definition left out of the build for its own errors; the rest of its folder is built. */
export interface ExcludedFlavor {
  worker: WorkerFolder;
  /** The definition file, repository-relative. */
  file: string;
  /** The engine's worker id, when the definition could be read that far. */
  id: string | undefined;
  problems: Problem[];
}

export interface BuildableSplit {
  /**
   * The same discovery, each folder narrowed to its valid flavors. A folder with a problem of its own (its runtime
   * cannot be detected) keeps every flavor and its error count: it is not built at all.
   */
  discovery: Discovery;
  excluded: ExcludedFlavor[];
}

/** The problems about a folder or anything in it. */
export function problemsOfFolder(worker: WorkerFolder, problems: Problem[]): Problem[] {
  return problems.filter(
    (problem) => problem.file === worker.path || (problem.file ?? '').startsWith(`${worker.path}/`),
  );
}

/** The definition file a problem is about, when it is one of the folder's own (`<kind>/<Dir>/<Flavor>.json`). */
function definitionFileOf(worker: WorkerFolder, problem: Problem): string | undefined {
  const file = problem.file ?? '';
  const prefix = `${worker.path}/`;
  return file.startsWith(prefix) && file.endsWith('.json') && !file.slice(prefix.length).includes('/')
    ? file
    : undefined;
}

/**
 * One invalid definition excludes its own flavor, not its folder nor the fleet: a folder of 31 flavors with 5 broken
 * ones still publishes 26. Problems that are not about one definition (an unknown runtime) exclude the folder.
 * Pure: the discovery given is not changed.
 */
export function splitInvalidFlavors(discovery: Discovery): BuildableSplit {
  const excluded: ExcludedFlavor[] = [];
  const workers = discovery.workers.map((worker) => {
    if (worker.errorCount === 0) return worker;
    const own = problemsOfFolder(worker, discovery.errors);
    if (own.length === 0 || own.some((problem) => definitionFileOf(worker, problem) === undefined)) return worker;
    const byFile = new Map<string, Problem[]>();
    for (const problem of own) {
      const file = definitionFileOf(worker, problem) as string;
      byFile.set(file, [...(byFile.get(file) ?? []), problem]);
    }
    for (const [file, problems] of byFile)
      excluded.push({ worker, file, id: worker.flavors.find((flavor) => flavor.file === file)?.id, problems });
    return { ...worker, flavors: worker.flavors.filter((flavor) => !byFile.has(flavor.file)), errorCount: 0 };
  });
  return { discovery: { ...discovery, workers }, excluded };
}
