import { realpath } from 'node:fs/promises';
import type { Problem } from '../errors/problem.js';
import { checkFlavorFile, type FlavorCheck } from './check-flavor.js';
import { createProblem } from './codes.js';
import type { FolderListing } from './list-folders.js';
import { checkPathInFolder } from './paths.js';
import { checkCommandPath } from './rules.js';
import { detectRuntime } from './runtime.js';
import type { DiscoverOptions, Runtime, WorkerFolder } from './types.js';

export interface FolderCheck {
  worker: WorkerFolder;
  flavorChecks: FlavorCheck[];
  errors: Problem[];
  warnings: Problem[];
}

type Limit = <T>(task: () => Promise<T>) => Promise<T>;

/** Checks a worker folder: its flavors, then what they share (runtime) and, unless definitions only, its files. */
export async function checkWorkerFolder(
  repoRealPath: string,
  listing: FolderListing,
  options: DiscoverOptions,
  limit: Limit,
): Promise<FolderCheck> {
  // Once per folder: a folder linked out of the repository shows in every definition's real path.
  const folderRealPath = await limit(() => realpath(listing.absolutePath)).catch(() => listing.absolutePath);
  const flavorChecks = await Promise.all(
    listing.definitionFiles.map((name) =>
      checkFlavorFile(
        { repoRealPath, file: `${listing.path}/${name}`, folderRealPath, isLink: listing.links.has(name) },
        listing.directory,
        limit,
      ),
    ),
  );
  const errors = flavorChecks.flatMap((check) => check.errors);
  const warnings = flavorChecks.flatMap((check) => check.warnings);
  const commands = flavorChecks.flatMap(({ file, flavor, locations }) => {
    const command = flavor?.definition.command;
    return flavor && locations ? [{ file, command: typeof command === 'string' ? command : undefined, locations }] : [];
  });
  const detection = detectRuntime(listing.path, listing.fileNames, commands);
  if (!options.definitionsOnly) {
    errors.push(
      ...detection.errors,
      ...(await checkFolderFiles(folderRealPath, listing, flavorChecks, detection.runtime, limit)),
    );
    if (![...listing.fileNames].some((name) => name.toLowerCase() === 'readme.md')) {
      warnings.push(createProblem('DEF_W_NO_README', { file: listing.path }));
    }
  }
  const worker: WorkerFolder = {
    kind: listing.kind,
    directory: listing.directory,
    path: listing.path,
    runtime: detection.runtime,
    flavors: flavorChecks.flatMap((check) => (check.flavor ? [check.flavor] : [])),
    definitionFiles: flavorChecks.map((check) => check.file),
    errorCount: errors.length,
  };
  return { worker, flavorChecks, errors, warnings };
}

/** `command` and `requirements` must name files inside the folder; a Go command names the binary the build makes. */
async function checkFolderFiles(
  folder: string,
  listing: FolderListing,
  flavorChecks: FlavorCheck[],
  runtime: Runtime | undefined,
  limit: Limit,
): Promise<Problem[]> {
  const checks = flavorChecks.map(async ({ file, flavor, locations }) => {
    if (!flavor || !locations) return [];
    const problems: Problem[] = [];
    const { command, requirements } = flavor.definition;
    const shape = typeof command === 'string' ? checkCommandPath(command, listing.directory) : undefined;
    if (shape?.ok) {
      const place = { file, pointer: '/command', locations };
      const found = await limit(() => checkPathInFolder(folder, shape.relative));
      if (found === 'escape')
        problems.push(
          createProblem('DEF_COMMAND_ESCAPE', place, `\`${command}\` leads out of the folder through a symbolic link`),
        );
      else if (found === 'not-a-file')
        problems.push(createProblem('DEF_COMMAND_MISSING', place, `\`${command}\` is not a file`));
      else if (found === 'missing' && runtime !== 'go')
        problems.push(createProblem('DEF_COMMAND_MISSING', place, `\`${command}\``));
    }
    if (
      typeof requirements === 'string' &&
      requirements.trim() !== '' &&
      !problemAt(flavorChecks, file, '/requirements')
    ) {
      const place = { file, pointer: '/requirements', locations };
      const found = await limit(() => checkPathInFolder(folder, requirements));
      if (found === 'escape')
        problems.push(
          createProblem(
            'DEF_REQUIREMENTS_ESCAPE',
            place,
            `\`${requirements}\` leads out of the folder through a symbolic link`,
          ),
        );
      else if (found !== 'file')
        problems.push(createProblem('DEF_REQUIREMENTS_MISSING', place, `\`${requirements}\` in ${listing.path}`));
    }
    return problems;
  });
  return (await Promise.all(checks)).flat();
}

function problemAt(flavorChecks: FlavorCheck[], file: string, pointer: string): boolean {
  return flavorChecks.some(
    (check) => check.file === file && check.errors.some((problem) => problem.pointer === pointer),
  );
}
