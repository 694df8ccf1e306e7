import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { NeuronsError } from '../errors/neurons-error.js';
import type { TarEntry } from './tar.js';

/**
 * The entries of a worker folder for a build context, under `prefix` (e.g. `worker`), sorted. A symlink that
 * leaves the folder is an error: the image would not contain what the repository shows.
 */
export async function folderEntries(folder: string, prefix: string, repoRelative: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  async function walk(relative: string): Promise<void> {
    const names = (await readdir(path.join(folder, relative))).sort();
    for (const name of names) {
      const childRelative = relative ? `${relative}/${name}` : name;
      const absolute = path.join(folder, childRelative);
      const archiveName = prefix ? `${prefix}/${childRelative}` : childRelative;
      const stats = await lstat(absolute);
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
        entries.push({ name: archiveName, type: 'symlink', mode: 0o777, linkTarget: target });
      } else if (stats.isDirectory()) {
        entries.push({ name: archiveName, type: 'directory', mode: 0o755 });
        await walk(childRelative);
      } else if (stats.isFile()) {
        // Only the executable bit is kept from the mode: the rest depends on the machine's umask, not on the repository.
        entries.push({ name: archiveName, type: 'file', mode: stats.mode & 0o111 ? 0o755 : 0o644, data: await readFile(absolute) });
      }
    }
  }
  if (prefix) entries.push({ name: prefix, type: 'directory', mode: 0o755 });
  await walk('');
  return entries;
}
