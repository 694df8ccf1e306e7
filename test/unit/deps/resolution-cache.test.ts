import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  projectPages,
  recall,
  remember,
  resolutionKey,
  type ResolutionCache,
} from '../../../src/deps/resolution-cache.js';

/** An index as pages in memory: what a test changes is what a new release would change on a real one. */
function index(pages: Record<string, string>): ResolutionCache & { pages: Record<string, string>; fetched: string[] } {
  const fetched: string[] = [];
  return {
    directory: '',
    pages,
    fetched,
    fetchPage: (url) => {
      fetched.push(url);
      return Promise.resolve(pages[url] === undefined ? undefined : Buffer.from(pages[url] ?? ''));
    },
  };
}

describe('remembered resolutions', () => {
  const packages = [
    { name: 'requests', version: '2.34.2' },
    { name: 'urllib3', version: '2.7.0' },
  ];
  const url = 'https://user:secret@pypi.example/simple/';

  it('names the PEP 503 page of each project, without credentials', () => {
    expect(projectPages([url], 'Charset_Normalizer')).toEqual(['https://pypi.example/simple/charset-normalizer/']);
  });

  it('hold while every page is unchanged, and not once a dependency has a new release', async () => {
    const cache = index({
      'https://pypi.example/simple/requests/': 'requests 2.34.2',
      'https://pypi.example/simple/urllib3/': 'urllib3 2.7.0',
    });
    cache.directory = await mkdtemp(path.join(tmpdir(), 'neurons-resolutions-'));
    const key = resolutionKey({
      requirements: Buffer.from('requests\n'),
      platform: 'linux/amd64',
      pythonVersion: '3.11',
      indexUrls: [url],
    });
    expect(await recall(cache, key)).toBeUndefined();
    await remember(cache, key, [url], packages);
    expect(await recall(cache, key)).toEqual(packages);
    cache.pages['https://pypi.example/simple/urllib3/'] = 'urllib3 2.7.0 urllib3 2.8.0';
    expect(await recall(cache, key)).toBeUndefined();
  });

  it('are keyed by the question: the requirements, the platform, the Python and the indexes (not their credentials)', () => {
    const base = {
      requirements: Buffer.from('requests\n'),
      platform: 'linux/amd64',
      pythonVersion: '3.11',
      indexUrls: [url],
    };
    const key = resolutionKey(base);
    expect(resolutionKey({ ...base, indexUrls: ['https://other:pw@pypi.example/simple/'] })).toBe(key);
    expect(resolutionKey({ ...base, platform: 'linux/arm64' })).not.toBe(key);
    expect(resolutionKey({ ...base, pythonVersion: '3.12' })).not.toBe(key);
    expect(resolutionKey({ ...base, requirements: Buffer.from('requests==2.34.2\n') })).not.toBe(key);
    expect(key).not.toContain('secret');
  });
});
