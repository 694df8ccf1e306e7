import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Problem } from '../errors/problem.js';
import { checkWorkerFolder } from './check-folder.js';
import { checkDuplicateIds, checkImageNameCollisions } from './check-ids.js';
import { checkReportTemplates } from './report-templates.js';
import { createLimiter } from '../util/limit.js';
import { compareNames, listWorkerFolders } from './list-folders.js';
import type { Discovery, DiscoverOptions } from './types.js';

/** Files read at the same time: enough to hide latency, few enough to stay far from the file handle limit. */
const readConcurrency = 32;

/**
 * Finds every worker folder of a repository in the Cortex-Analyzers layout and checks its definitions.
 * Collects every problem instead of stopping at the first; throws a UsageError only when `repoDir` is not a
 * repository at all.
 */
export async function discoverRepository(repoDir: string, options: DiscoverOptions): Promise<Discovery> {
  const root = resolve(repoDir);
  const limit = createLimiter(readConcurrency);
  const listings = await listWorkerFolders(root, limit);
  // Definitions are read through the repository's real path, so a link out of it is seen as one.
  const repoRealPath = await realpath(root);
  const folders = await Promise.all(
    listings
      .filter((listing) => listing.definitionFiles.length > 0)
      .map((listing) => checkWorkerFolder(repoRealPath, listing, options, limit)),
  );
  checkDuplicateIds(folders);
  checkImageNameCollisions(folders);
  const workers = folders.map((folder) => folder.worker);
  const templates = options.definitionsOnly
    ? { templates: { state: 'unread' } as const, errors: [], warnings: [] }
    : await checkReportTemplates(
        repoRealPath,
        new Set(
          workers
            .filter((worker) => worker.kind === 'analyzer')
            .flatMap((worker) => worker.flavors.map((flavor) => flavor.id)),
        ),
      );
  return {
    workers,
    deprecated: listings.flatMap((listing) => listing.deprecated),
    errors: sortProblems([...folders.flatMap((folder) => folder.errors), ...templates.errors]),
    warnings: sortProblems([...folders.flatMap((folder) => folder.warnings), ...templates.warnings]),
    reportTemplates: templates.templates,
  };
}

/** By file, then position: problems of one file come together, in reading order. */
function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort(
    (a, b) =>
      compareNames(a.file ?? '', b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
}
