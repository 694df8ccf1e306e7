import { link, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import {
  changedNamedFiles,
  indexFileName,
  isObjectName,
  legacySignatureFileName,
  referencedObjects,
  withdrawnNamedFiles,
} from './publication.js';
import { processAlive, syncDirectory, writeFileAtomic } from '../util/atomic-file.js';
import { publishConflict } from './conflict.js';
import type { PublishTarget } from './publish-target.js';

const lockFileName = '.publish.lock';

/**
 * A local folder (served as is by a web server, or read by an engine on the same host). One publisher at a time
 * holds `.publish.lock`; it removes what an interrupted run left (temporary files, a lock whose process is gone),
 * writes the content-addressed files, renames the index into place (the commit), then the named copies, and
 * finally removes the content-addressed files that neither the new index nor the one before it refers to (a reader
 * that read the previous index a moment ago still finds its files).
 */
export function folderTarget(directory: string): PublishTarget {
  let seenIndex: Buffer | undefined | null = null;
  const readOrUndefined = async (file: string): Promise<Buffer | undefined> => {
    try {
      return await readFile(path.join(directory, file));
    } catch {
      return undefined;
    }
  };
  return {
    description: directory,
    locate: (file) => path.join(directory, file),
    async read(file) {
      const bytes = await readOrUndefined(file);
      if (file === indexFileName) seenIndex = bytes;
      return bytes;
    },
    async publish(publication) {
      await mkdir(directory, { recursive: true });
      const release = await acquireLock(directory);
      try {
        await removeTemporaryFiles(directory);
        const live = await readOrUndefined(indexFileName);
        if (seenIndex !== null && !sameBytes(seenIndex, live))
          throw publishConflict(path.join(directory, indexFileName));
        const present = new Set(await readdir(directory));
        for (const [file, bytes] of publication.objects)
          if (!present.has(file)) await writeFileAtomic(path.join(directory, file), bytes);
        await syncDirectory(directory);
        await writeFileAtomic(path.join(directory, indexFileName), publication.index);
        await syncDirectory(directory);
        seenIndex = publication.index;
        for (const [file, bytes] of changedNamedFiles(publication, live))
          await writeFileAtomic(path.join(directory, file), bytes);
        for (const file of [legacySignatureFileName, ...withdrawnNamedFiles(publication, live)])
          await unlink(path.join(directory, file)).catch(() => undefined);
        const keep = new Set([...referencedObjects(publication.index), ...referencedObjects(live)]);
        for (const file of await readdir(directory))
          if (isObjectName(file) && !keep.has(file)) await unlink(path.join(directory, file)).catch(() => undefined);
        await syncDirectory(directory);
      } finally {
        await release();
      }
    },
    async close() {},
  };
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}

/** Temporary files are only ever written under the lock: any found while holding it belong to a run that died. */
async function removeTemporaryFiles(directory: string): Promise<void> {
  for (const file of await readdir(directory))
    if (/^\..+\.tmp$/.test(file)) await unlink(path.join(directory, file)).catch(() => undefined);
}

/**
 * Takes `.publish.lock`, holding the owner's host and pid. The lock is written aside, then linked into place: a link
 * fails when the name exists, so taking it is atomic and a lock is never seen empty. A lock left by a process of this
 * host that is gone (or unreadable) is taken over; a live one is another publisher at work: a conflict, as for any
 * other target.
 */
async function acquireLock(directory: string): Promise<() => Promise<void>> {
  const file = path.join(directory, lockFileName);
  const aside = path.join(directory, `${lockFileName}.${process.pid}.${Date.now().toString(16)}.tmp`);
  await writeFile(aside, JSON.stringify({ host: hostname(), pid: process.pid }));
  try {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await link(aside, file);
        return async () => void (await unlink(file).catch(() => undefined));
      } catch (error) {
        // ENOENT: the publisher holding the lock cleared temporary files, ours among them.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = await readLockOwner(file);
      if (owner && (owner.host !== hostname() || processAlive(owner.pid))) break;
      await unlink(file).catch(() => undefined);
    }
  } finally {
    await unlink(aside).catch(() => undefined);
  }
  throw publishConflict(`${path.join(directory, lockFileName)} (held by another publisher)`);
}

async function readLockOwner(file: string): Promise<{ host: string; pid: number } | undefined> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as { host?: unknown; pid?: unknown };
    return typeof value.host === 'string' && typeof value.pid === 'number'
      ? { host: value.host, pid: value.pid }
      : undefined;
  } catch {
    return undefined;
  }
}
