import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors/neurons-error.js';
import type { WorkerKind } from './types.js';

export const kindFolders: ReadonlyArray<{ kind: WorkerKind; folder: string }> = [
  { kind: 'analyzer', folder: 'analyzers' },
  { kind: 'responder', folder: 'responders' },
];

/** JSON files a worker folder may hold that are tool configuration, not flavor definitions. */
const toolFiles = new Set([
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'tsconfig.json',
  'jsconfig.json',
  'composer.json',
]);

export interface FolderListing {
  kind: WorkerKind;
  directory: string;
  /** Repository-relative, with forward slashes. */
  path: string;
  absolutePath: string;
  /** Names of everything at the top of the folder. */
  fileNames: Set<string>;
  /** Names of the entries that are symbolic links. */
  links: Set<string>;
  /** Flavor definition file names, sorted. */
  definitionFiles: string[];
  /** Repository-relative paths of `*.json.deprecated` files, sorted. */
  deprecated: string[];
}

type Limit = <T>(task: () => Promise<T>) => Promise<T>;

export function compareNames(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Lists `analyzers/<Dir>/` and `responders/<Dir>/`, analyzers first, folders by name; exactly two levels deep. */
export async function listWorkerFolders(repoDir: string, limit: Limit): Promise<FolderListing[]> {
  const repoStat = await stat(repoDir).catch(() => undefined);
  if (!repoStat?.isDirectory()) {
    throw new UsageError({
      code: 'REPO_NOT_FOUND',
      message: `The repository folder ${repoDir} does not exist`,
      hint: 'Pass the folder that holds analyzers/ and responders/ with --repo, or run the command from it.',
    });
  }
  const kinds = await Promise.all(
    kindFolders.map(async ({ kind, folder }) => ({
      kind,
      folder,
      entries: await readFolder(join(repoDir, folder), limit),
    })),
  );
  if (kinds.every(({ entries }) => entries === undefined)) {
    throw new UsageError({
      code: 'REPO_NO_WORKERS',
      message: `${repoDir} has neither an analyzers/ nor a responders/ folder`,
      hint: 'Pass the root of a Cortex-Analyzers style repository with --repo.',
    });
  }
  const listings = kinds.flatMap(({ kind, folder, entries }) =>
    (entries ?? [])
      .filter((entry) => !entry.name.startsWith('.'))
      .sort((a, b) => compareNames(a.name, b.name))
      .map(async (entry) => listFolder(kind, folder, entry, join(repoDir, folder, entry.name), limit)),
  );
  return (await Promise.all(listings)).filter((listing) => listing !== undefined);
}

async function readFolder(path: string, limit: Limit): Promise<Dirent[] | undefined> {
  return limit(() => readdir(path, { withFileTypes: true })).catch(() => undefined);
}

async function isDirectoryOrLinkToOne(entry: Dirent, path: string): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function listFolder(
  kind: WorkerKind,
  kindFolder: string,
  entry: Dirent,
  absolutePath: string,
  limit: Limit,
): Promise<FolderListing | undefined> {
  if (!(await isDirectoryOrLinkToOne(entry, absolutePath))) return undefined;
  const entries = (await readFolder(absolutePath, limit)) ?? [];
  const path = `${kindFolder}/${entry.name}`;
  const names = entries.map((file) => file.name).sort(compareNames);
  const isFile = new Set(entries.filter((file) => file.isFile() || file.isSymbolicLink()).map((file) => file.name));
  return {
    kind,
    directory: entry.name,
    path,
    absolutePath,
    fileNames: new Set(names),
    links: new Set(entries.filter((file) => file.isSymbolicLink()).map((file) => file.name)),
    definitionFiles: names.filter(
      (name) => isFile.has(name) && name.endsWith('.json') && !name.startsWith('.') && !toolFiles.has(name),
    ),
    deprecated: names
      .filter((name) => isFile.has(name) && name.endsWith('.json.deprecated'))
      .map((name) => `${path}/${name}`),
  };
}
