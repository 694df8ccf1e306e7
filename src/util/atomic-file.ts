import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes `bytes` beside `target` under a hidden name no other writer uses (`.<name>.<pid>.<hex>.tmp`: unique per
 * call, so two writes of one process never share it) and flushes them to disk. Returns the temporary path; it is
 * removed when writing fails.
 */
async function writeAside(target: string, bytes: Buffer | string, mode: number): Promise<string> {
  const temporary = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const handle = await open(temporary, 'wx', mode);
    try {
      await handle.writeFile(bytes);
      // The umask applies at creation: the mode is set again so a restrictive umask cannot hide the file.
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return temporary;
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/** Writes `file` aside then renames it into place: a reader (or a crash) sees the old file or the new one, whole. */
export async function writeFileAtomic(
  file: string,
  bytes: Buffer | string,
  options: { mode?: number } = {},
): Promise<void> {
  const temporary = await writeAside(file, bytes, options.mode ?? 0o644);
  try {
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/**
 * Replaces files of one folder: every file is first written aside and flushed, then all are renamed into place and
 * the folder itself is flushed (the renames are durable). A failure before the renames leaves every file as it was;
 * whatever happens, nothing written aside is left behind. The files are replaced one by one: a reader may see one
 * file new and another still old for that moment (each file stands alone). A file keeps its mode when it already
 * exists; a new one gets `mode`.
 */
export async function replaceFilesAtomically(
  directory: string,
  files: Map<string, Buffer>,
  options: { mode: number },
): Promise<void> {
  await mkdir(directory, { recursive: true });
  const aside: Array<{ temporary: string; target: string }> = [];
  try {
    for (const [name, bytes] of files) {
      const target = path.join(directory, name);
      const mode = await stat(target).then(
        (found) => found.mode & 0o7777,
        () => options.mode,
      );
      aside.push({ temporary: await writeAside(target, bytes, mode), target });
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

/** Flushes a folder's entries (the renames done in it) to disk; best effort where the file system cannot. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a folder: the renames are still atomic, only their durability is weaker.
  } finally {
    await handle.close();
  }
}

/** Whether a process of this machine is running (a lock whose owner is gone may be taken over). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
