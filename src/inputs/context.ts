import type { Ignore } from '@balena/dockerignore';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { NeuronsError } from '../errors/neurons-error.js';
import type { TarEntry } from '../oci/tar.js';

// A CommonJS module whose types declare an ES default export: loaded the way Node really exposes it.
const createIgnore = createRequire(import.meta.url)('@balena/dockerignore') as () => Ignore;

export interface FolderEntryOptions {
  /** Folder-relative paths left out (the flavor definitions: the engine reads them from the catalog, not the image). */
  exclude?: Set<string>;
}

/**
 * The entries of a worker folder for a build context, under `prefix` (e.g. `worker`), sorted, honouring the
 * folder's `.dockerignore` as `docker build` does. A symlink that leaves the folder is an error: the image would not
 * contain what the repository shows.
 */
export async function folderEntries(
  folder: string,
  prefix: string,
  repoRelative: string,
  options: FolderEntryOptions = {},
): Promise<TarEntry[]> {
  const ignoreFile = path.join(folder, '.dockerignore');
  const ignore = createIgnore().add(existsSync(ignoreFile) ? (await readFile(ignoreFile, 'utf8')).split(/\r?\n/) : []);
  // Docker always sends these two, whatever .dockerignore says.
  const kept = new Set(['Dockerfile', '.dockerignore']);
  const excluded = (relative: string): boolean =>
    !kept.has(relative) && (options.exclude?.has(relative) === true || ignore.ignores(relative));
  const entries: TarEntry[] = [];
  const directories = new Set<string>();
  const archiveName = (relative: string): string => (prefix ? `${prefix}/${relative}` : relative);
  const addDirectory = (relative: string): void => {
    if (!relative || directories.has(relative)) return;
    addDirectory(path.posix.dirname(relative) === '.' ? '' : path.posix.dirname(relative));
    directories.add(relative);
    entries.push({ name: archiveName(relative), type: 'directory', mode: 0o755 });
  };
  async function walk(relative: string): Promise<void> {
    const names = (await readdir(path.join(folder, relative))).sort();
    for (const name of names) {
      const childRelative = relative ? `${relative}/${name}` : name;
      const absolute = path.join(folder, childRelative);
      const stats = await lstat(absolute);
      if (stats.isDirectory()) {
        if (!excluded(childRelative)) addDirectory(childRelative);
        await walk(childRelative); // an ignored folder may still hold `!exceptions`
        continue;
      }
      if (excluded(childRelative)) continue;
      addDirectory(relative);
      if (stats.isSymbolicLink()) {
        const target = await readlink(absolute);
        const resolved = path.resolve(path.dirname(absolute), target);
        if (resolved !== folder && !resolved.startsWith(`${folder}${path.sep}`)) {
          throw new NeuronsError({
            code: 'BUILD_SYMLINK_ESCAPE',
            file: `${repoRelative}/${childRelative}`,
            message: `symbolic link points outside the worker folder (${target})`,
            hint: 'copy the file into the worker folder instead of linking to it',
          });
        }
        entries.push({ name: archiveName(childRelative), type: 'symlink', mode: 0o777, linkTarget: target });
      } else if (stats.isFile()) {
        // Only the executable bit is kept from the mode: the rest depends on the machine's umask, not on the repository.
        entries.push({
          name: archiveName(childRelative),
          type: 'file',
          mode: stats.mode & 0o111 ? 0o755 : 0o644,
          data: await readFile(absolute),
        });
      }
    }
  }
  if (prefix) entries.push({ name: prefix, type: 'directory', mode: 0o755 });
  await walk('');
  return entries;
}
