import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Replaces files of one folder so that a reader (or a crash) sees each file whole, old or new, never half:
 * every file is first written aside under a unique hidden name and flushed to disk, then all are renamed into
 * place and the folder itself is flushed (the renames are durable). A failure before the renames leaves every
 * file as it was; whatever happens, nothing written aside is left behind. The files are replaced one by one: a
 * reader may see one file new and another still old for that moment (each file stands alone).
 *
 * A file keeps its mode when it already exists; a new one gets `mode`.
 */
export async function replaceFilesAtomically(directory: string, files: Map<string, Buffer>, options: { mode: number }): Promise<void> {
  await mkdir(directory, { recursive: true });
  const aside: Array<{ temporary: string; target: string }> = [];
  try {
    for (const [name, bytes] of files) {
      const target = path.join(directory, name);
      // Unique per call, not just per process: two installs in one process (--watch) never share a name.
      const temporary = path.join(directory, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
      const mode = await stat(target).then((found) => found.mode & 0o7777, () => options.mode);
      aside.push({ temporary, target });
      const handle = await open(temporary, 'wx', mode);
      try {
        await handle.writeFile(bytes);
        // The umask applies at creation: the mode is set again so a restrictive umask cannot hide the file.
        await handle.chmod(mode);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  } catch (error) {
    await Promise.all(aside.map(({ temporary }) => unlink(temporary).catch(() => undefined)));
    throw error;
  }
  let renamed = 0;
  try {
    for (const { temporary, target } of aside) {
      await rename(temporary, target);
      renamed += 1;
    }
  } finally {
    // A rename that fails (the folder vanished, a read-only remount) must not leave hidden files behind.
    await Promise.all(aside.slice(renamed).map(({ temporary }) => unlink(temporary).catch(() => undefined)));
  }
  await syncDirectory(directory);
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
