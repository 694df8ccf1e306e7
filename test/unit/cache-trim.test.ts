import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NeuronsError } from '../../src/errors/neurons-error.js';
import { runContentStore } from '../../src/registry/content-store.js';
import { cacheLimit, defaultCacheLimitMb, trimCache, trimCacheIfDue } from '../../src/util/cache-trim.js';

const MB = 1024 * 1024;

describe('the cache between runs, kept under its size limit', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'neurons-cache-trim-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  /** A file of `kb` KB in `folder`, last used `ageHours` ago. */
  async function cached(folder: string, name: string, kb: number, ageHours: number): Promise<void> {
    await mkdir(path.join(directory, folder), { recursive: true });
    const file = path.join(directory, folder, name);
    await writeFile(file, Buffer.alloc(kb * 1024));
    const when = (Date.now() - ageHours * 3600 * 1000) / 1000;
    await utimes(file, when, when);
  }

  it('reads NEURONS_CACHE_MAX_MB, and refuses what is not a whole, positive number of megabytes', () => {
    expect(cacheLimit({})).toBe(defaultCacheLimitMb * MB);
    expect(cacheLimit({ NEURONS_CACHE_MAX_MB: '' })).toBe(defaultCacheLimitMb * MB);
    expect(cacheLimit({ NEURONS_CACHE_MAX_MB: ' 64 ' })).toBe(64 * MB);
    for (const wrong of ['0', '-5', '1.5', '64MB', '99999999']) {
      let thrown: unknown;
      try {
        cacheLimit({ NEURONS_CACHE_MAX_MB: wrong });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, wrong).toBeInstanceOf(NeuronsError);
      expect((thrown as NeuronsError).problem).toMatchObject({
        code: 'CACHE_LIMIT_INVALID',
        file: 'NEURONS_CACHE_MAX_MB',
      });
    }
  });

  it('removes what was used longest ago until the cache is at 80% of its limit, and only its growing folders', async () => {
    // 10 files of 100 KB, the first used 10 hours ago, the last 1 hour ago; a limit of 0.5 MB.
    for (let index = 0; index < 10; index += 1)
      await cached(index % 2 ? 'resolutions' : 'content/sha256', `f${index}`, 100, 10 - index);
    await writeFile(path.join(directory, 'host-python.json'), Buffer.alloc(300 * 1024));
    const result = await trimCache(directory, 0.5 * MB);
    expect(result).toMatchObject({ files: 10, bytes: 1000 * 1024, removedFiles: 6, removedBytes: 600 * 1024 });
    const left = [
      ...(await readdir(path.join(directory, 'content/sha256'))),
      ...(await readdir(path.join(directory, 'resolutions'))),
    ].sort();
    expect(left).toEqual(['f6', 'f7', 'f8', 'f9']);
    expect((await stat(path.join(directory, 'host-python.json'))).size).toBe(300 * 1024);
    // Under its limit, nothing goes.
    expect(await trimCache(directory, 0.5 * MB)).toMatchObject({ files: 4, removedFiles: 0 });
  });

  it('looks at the size once an hour at most, across runs', async () => {
    const env = { NEURONS_CACHE_DIR: directory, NEURONS_CACHE_MAX_MB: '1' };
    for (let index = 0; index < 15; index += 1) await cached('content/sha256', `f${index}`, 100, 15 - index);
    const now = Date.now();
    expect(await trimCacheIfDue(env, now)).toMatchObject({ files: 15, removedFiles: 7 });
    for (let index = 0; index < 5; index += 1) await cached('content/sha256', `g${index}`, 100, 0);
    expect(await trimCacheIfDue(env, now + 30 * 60 * 1000)).toBeUndefined();
    expect(await readdir(path.join(directory, 'content/sha256'))).toHaveLength(13);
    expect(await trimCacheIfDue(env, now + 61 * 60 * 1000)).toMatchObject({ files: 13, removedFiles: 5 });
  });

  it("refuses a wrong limit when a run opens its store, before it writes anything; the run's end trims", async () => {
    const inside = path.join(directory, 'cache');
    expect(() => runContentStore({ NEURONS_CACHE_DIR: inside, NEURONS_CACHE_MAX_MB: 'lots' })).toThrow(
      /NEURONS_CACHE_MAX_MB/,
    );
    await expect(readdir(inside)).rejects.toThrow(/ENOENT/);
    const store = runContentStore({ NEURONS_CACHE_DIR: inside, NEURONS_CACHE_MAX_MB: '1' });
    await store.close?.();
    expect(await readdir(inside)).toEqual(['trimmed']);
  });
});
