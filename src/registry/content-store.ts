import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDirectory } from '../util/cache-directory.js';
import { cacheLimit, trimCacheIfDue } from '../util/cache-trim.js';
import { digestOf } from './registry-api.js';

/** What a digest names, as the registry served it: the bytes and, for a manifest, its media type. */
export interface StoredContent {
  bytes: Buffer;
  mediaType: string;
}

/**
 * Manifests and image configurations by digest, kept between runs. What a digest names never changes, so a run reads
 * from the registry only what it has not seen: where a tag points is always asked of the registry, what the digest it
 * names holds is read once. Each read is checked against its digest: a damaged or tampered file is dropped, and the
 * registry asked again.
 */
export interface ContentStore {
  get(digest: string): Promise<StoredContent | undefined>;
  put(digest: string, content: StoredContent): Promise<void>;
  /** At the end of a run: keeps the cache under its size limit (cache-trim.ts). */
  close?(): Promise<void>;
}

/**
 * Where a run keeps them: `content/` in the cache directory (`NEURONS_CACHE_DIR`, else `$XDG_CACHE_HOME/neurons`).
 * The cache's size limit is checked now, before the run writes anything; the run's end trims the cache if it is due.
 */
export function runContentStore(env: NodeJS.ProcessEnv): ContentStore {
  cacheLimit(env);
  const store = contentStore(path.join(cacheDirectory(env), 'content'));
  return {
    ...store,
    async close() {
      await trimCacheIfDue(env);
    },
  };
}

/** Larger blobs (layers) are never kept: only what a decision or a catalog reads (manifests, configurations). */
export const storedBlobLimit = 256 * 1024;

/**
 * A ContentStore in `directory` (`sha256/<hex>`: the media type, a newline, the bytes). Written aside then renamed,
 * so that a reader never sees half a file; a store that cannot be written to is only slower.
 */
export function contentStore(directory: string): ContentStore {
  const file = (digest: string): string | undefined => {
    const match = /^sha256:([0-9a-f]{64})$/.exec(digest);
    return match ? path.join(directory, 'sha256', match[1] as string) : undefined;
  };
  return {
    async get(digest) {
      const where = file(digest);
      if (!where) return undefined;
      const stored = await readFile(where).catch(() => undefined);
      if (!stored) return undefined;
      const newline = stored.indexOf(0x0a);
      const bytes = stored.subarray(newline + 1);
      if (newline < 0 || digestOf(bytes) !== digest) {
        await rm(where, { force: true }).catch(() => undefined);
        return undefined;
      }
      return { bytes, mediaType: stored.subarray(0, newline).toString('utf8') };
    },
    async put(digest, content) {
      const where = file(digest);
      if (!where || content.bytes.length > storedBlobLimit || /[\r\n]/.test(content.mediaType)) return;
      if (digestOf(content.bytes) !== digest) return;
      const aside = `${where}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await mkdir(path.dirname(where), { recursive: true });
        await writeFile(aside, Buffer.concat([Buffer.from(`${content.mediaType}\n`), content.bytes]));
        await rename(aside, where);
      } catch {
        // A store that cannot be written to is only slower.
        await rm(aside, { force: true }).catch(() => undefined);
      }
    },
  };
}
