import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

export type PathCheck = 'file' | 'missing' | 'not-a-file' | 'escape';

/**
 * Resolves `relative` inside the worker folder, following symbolic links: a link that leads out of the folder
 * is an escape even when its name looks harmless. `folderRealPath` is the folder's own real path.
 */
export async function checkPathInFolder(folderRealPath: string, relative: string): Promise<PathCheck> {
  let target: string;
  try {
    target = await realpath(join(folderRealPath, relative));
  } catch {
    return 'missing';
  }
  if (!target.startsWith(folderRealPath + sep)) return 'escape';
  return (await stat(target)).isFile() ? 'file' : 'not-a-file';
}
