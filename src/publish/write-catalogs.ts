import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes every catalog file aside first, then renames them into place: a reader never sees a half-written file,
 * and a failure before the renames leaves the previous catalogs untouched.
 */
export async function writeCatalogs(output: string, catalogs: Map<string, unknown[]>): Promise<string[]> {
  await mkdir(output, { recursive: true });
  const written: string[] = [];
  for (const [fileName, entries] of catalogs) {
    await writeFile(path.join(output, `.${fileName}.tmp`), `${JSON.stringify(entries, null, 2)}\n`);
  }
  for (const fileName of catalogs.keys()) {
    await rename(path.join(output, `.${fileName}.tmp`), path.join(output, fileName));
    written.push(path.join(output, fileName));
  }
  return written;
}
