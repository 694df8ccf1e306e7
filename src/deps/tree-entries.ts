import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { TarEntry } from '../oci/tar.js';

/**
 * A folder's tree as layer entries (relative names), with the modes a layer should have whoever ran the tool:
 * directories 0755, files 0755 when executable by their owner and 0644 otherwise; symbolic links kept as links.
 * Python bytecode caches are left out unless `bytecode` says they were compiled for the image (see compileBytecode):
 * others name the host's paths.
 */
export async function readTree(root: string, relative = '', options: { bytecode?: boolean } = {}): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  for (const name of (await readdir(path.join(root, relative))).sort()) {
    if (name === '__pycache__' && !options.bytecode) continue;
    const child = relative ? `${relative}/${name}` : name;
    const full = path.join(root, child);
    const stats = await lstat(full);
    if (stats.isSymbolicLink())
      entries.push({ name: child, type: 'symlink', mode: 0o777, linkTarget: await readlink(full) });
    else if (stats.isDirectory())
      entries.push({ name: child, type: 'directory', mode: 0o755 }, ...(await readTree(root, child, options)));
    else if (stats.isFile())
      entries.push({ name: child, type: 'file', mode: stats.mode & 0o100 ? 0o755 : 0o644, data: await readFile(full) });
  }
  return entries;
}

/** Entries in name order with every parent folder present once (a layer lists a folder before what it holds). */
export function sortedWithParents(entries: TarEntry[]): TarEntry[] {
  const byName = new Map<string, TarEntry>();
  for (const entry of entries) {
    const parts = entry.name.split('/');
    for (let depth = 1; depth < parts.length; depth += 1) {
      const parent = parts.slice(0, depth).join('/');
      if (!byName.has(parent)) byName.set(parent, { name: parent, type: 'directory', mode: 0o755 });
    }
    byName.set(entry.name, entry);
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
