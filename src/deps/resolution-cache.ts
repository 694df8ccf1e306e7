import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { canonicalJson } from './dependency-key.js';
import { stripCredentials } from './pip-report.js';
import type { ResolvedPackage } from './types.js';

/**
 * A resolution remembered with the index pages it was made from: a later run that finds every page of every
 * resolved package unchanged gets the same answer without running pip (a few GETs instead of seconds of pip); a new
 * release of any of them (a changed page) makes pip resolve again. Nothing here holds a credential.
 */
interface Remembered {
  format: 1;
  packages: ResolvedPackage[];
  /** Page URL (without credentials) -> sha256 of its bytes when resolved. */
  pages: Record<string, string>;
}

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** PEP 503: the page of a project is its normalized name under the index URL. */
export function projectPages(indexUrls: string[], name: string): string[] {
  const normalized = name.toLowerCase().replace(/[-_.]+/g, '-');
  return indexUrls.map((url) => `${stripCredentials(url).replace(/\/*$/, '/')}${normalized}/`);
}

export interface ResolutionCache {
  /** The folder the resolutions are kept in (one small JSON file per key). */
  directory: string;
  /** Reads one index page (with the index's credentials and CA); undefined when the index has no such page. */
  fetchPage: (url: string) => Promise<Buffer | undefined>;
}

/** The key of a resolution: what pip was asked (the requirements' bytes, the target, the indexes without credentials). */
export function resolutionKey(parts: {
  requirements: Buffer;
  platform: string;
  pythonVersion: string | undefined;
  indexUrls: string[];
}): string {
  return sha256(
    canonicalJson({
      format: 1,
      requirements: sha256(parts.requirements),
      platform: parts.platform,
      pythonVersion: parts.pythonVersion,
      indexes: parts.indexUrls.map(stripCredentials),
    }),
  );
}

async function pageDigests(
  cache: ResolutionCache,
  indexUrls: string[],
  packages: ResolvedPackage[],
): Promise<Record<string, string>> {
  const urls = packages.flatMap((item) => projectPages(indexUrls, item.name));
  const digests = await Promise.all(
    urls.map(async (url) => [url, sha256((await cache.fetchPage(url)) ?? '')] as const),
  );
  return Object.fromEntries(digests);
}

/** The remembered resolution for `key` if every page it was made from is unchanged; undefined otherwise. */
export async function recall(cache: ResolutionCache, key: string): Promise<ResolvedPackage[] | undefined> {
  let remembered: Remembered;
  try {
    remembered = JSON.parse(await readFile(path.join(cache.directory, `${key}.json`), 'utf8')) as Remembered;
  } catch {
    return undefined;
  }
  if (remembered.format !== 1 || !Array.isArray(remembered.packages)) return undefined;
  // A page that cannot be read now (the index unreachable, its CA not trusted) confirms nothing: pip answers again.
  const checks = await Promise.all(
    Object.entries(remembered.pages).map(
      async ([url, digest]) => sha256((await cache.fetchPage(url).catch(() => 'unreadable')) ?? '') === digest,
    ),
  );
  return checks.every(Boolean) ? remembered.packages : undefined;
}

export async function remember(
  cache: ResolutionCache,
  key: string,
  indexUrls: string[],
  packages: ResolvedPackage[],
): Promise<void> {
  const remembered: Remembered = { format: 1, packages, pages: await pageDigests(cache, indexUrls, packages) };
  await mkdir(cache.directory, { recursive: true });
  await writeFileAtomic(path.join(cache.directory, `${key}.json`), `${JSON.stringify(remembered)}\n`);
}
