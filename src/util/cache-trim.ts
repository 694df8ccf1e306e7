import { readdir, rm, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors/neurons-error.js';
import { cacheDirectory } from './cache-directory.js';

/** What the cache holds by default at most, in MB (`NEURONS_CACHE_MAX_MB`). */
export const defaultCacheLimitMb = 256;

/** The folders of the cache that grow with what a run reads: manifests and configurations, pip's resolutions. */
const trimmedFolders = ['content/sha256', 'resolutions'];

/** A trim takes the cache below this share of its limit, so that the next runs do not trim again at once. */
const trimTarget = 0.8;

/** How often a run looks at the cache's size: listing thousands of files is not for every run. */
const trimEveryMs = 60 * 60 * 1000;

/** The file whose time says when the cache was last looked at. */
const markerName = 'trimmed';

/** `NEURONS_CACHE_MAX_MB` in bytes (default 256 MB; empty is unset): a whole, positive number of megabytes. */
export function cacheLimit(env: NodeJS.ProcessEnv): number {
  const given = env['NEURONS_CACHE_MAX_MB']?.trim();
  if (given === undefined || given === '') return defaultCacheLimitMb * 1024 * 1024;
  if (!/^[1-9]\d{0,6}$/.test(given))
    throw new UsageError({
      code: 'CACHE_LIMIT_INVALID',
      file: 'NEURONS_CACHE_MAX_MB',
      message: `NEURONS_CACHE_MAX_MB is '${given.slice(0, 40)}', not a whole, positive number of megabytes`,
      hint: `set it to a size such as ${defaultCacheLimitMb}, or unset it for the default`,
    });
  return Number(given) * 1024 * 1024;
}

export interface TrimResult {
  files: number;
  bytes: number;
  removedFiles: number;
  removedBytes: number;
}

interface CachedFile {
  file: string;
  size: number;
  /** When it was last written or, where the file system records it, read. */
  used: number;
}

async function cachedFiles(directory: string): Promise<CachedFile[]> {
  const found: CachedFile[] = [];
  for (const folder of trimmedFolders) {
    const names = await readdir(path.join(directory, folder)).catch(() => [] as string[]);
    for (const name of names) {
      const file = path.join(directory, folder, name);
      const facts = await stat(file).catch(() => undefined);
      if (facts?.isFile()) found.push({ file, size: facts.size, used: Math.max(facts.atimeMs, facts.mtimeMs) });
    }
  }
  return found;
}

/**
 * Takes the cache in `directory` under `limitBytes` when it is above: the files used longest ago go first (the read
 * time where the file system keeps it, else the write time). Everything there is found again on a miss, so any file
 * may go; a file another run is writing is renamed into place whole, and one it is reading it has open.
 */
export async function trimCache(directory: string, limitBytes: number): Promise<TrimResult> {
  const files = await cachedFiles(directory);
  const bytes = files.reduce((sum, item) => sum + item.size, 0);
  const result = { files: files.length, bytes, removedFiles: 0, removedBytes: 0 };
  if (bytes <= limitBytes) return result;
  files.sort((a, b) => a.used - b.used);
  let left = bytes;
  for (const item of files) {
    if (left <= limitBytes * trimTarget) break;
    await rm(item.file, { force: true }).catch(() => undefined);
    left -= item.size;
    result.removedFiles += 1;
    result.removedBytes += item.size;
  }
  return result;
}

/**
 * Trims the run's cache (`NEURONS_CACHE_DIR`) if no run has looked at its size for an hour; undefined when it was not
 * due. A cache that cannot be read or written is left as it is: it only makes runs slower.
 */
export async function trimCacheIfDue(env: NodeJS.ProcessEnv, now = Date.now()): Promise<TrimResult | undefined> {
  const directory = cacheDirectory(env);
  const marker = path.join(directory, markerName);
  const last = await stat(marker).catch(() => undefined);
  if (last && now - last.mtimeMs < trimEveryMs && last.mtimeMs <= now) return undefined;
  try {
    await mkdir(directory, { recursive: true });
    await writeFile(marker, '');
    await utimes(marker, now / 1000, now / 1000);
    return await trimCache(directory, cacheLimit(env));
  } catch {
    return undefined;
  }
}
