import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Temporary files this module writes: `.<name>.<pid>.<hex>.tmp`, beside the file they become. */
const temporaryPattern = /^\..+\.([0-9]+)\.[0-9a-f]{8}\.tmp$/;

export function isTemporaryFile(name: string): boolean {
  return temporaryPattern.test(name);
}

/** The process that wrote a temporary file, from its name. */
export function temporaryFileOwner(name: string): number | undefined {
  const pid = temporaryPattern.exec(name)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/**
 * Writes `bytes` aside under a name no other writer uses, flushes them to disk, then renames them over `file`: a
 * reader (or a crash) sees the old file or the new one, whole. The temporary file is removed when writing fails.
 */
export async function writeFileAtomic(file: string, bytes: Buffer | string, options: { mode?: number } = {}): Promise<void> {
  const aside = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(aside, 'wx', options.mode ?? 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(aside, file);
  } catch (error) {
    await unlink(aside).catch(() => undefined);
    throw error;
  }
}

/** Flushes a folder's entries (the renames done in it) to disk; best effort where the platform cannot. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r').catch(() => undefined);
  if (!handle) return;
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
