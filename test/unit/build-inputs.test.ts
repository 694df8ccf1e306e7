import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSettingsFingerprint, folderInputs, rebuildReasons, type InputComponents } from '../../src/build/build-inputs.js';
import { loadConfig } from '../../src/config/load-config.js';
import { maskSecrets } from '../../src/util/mask.js';

const before: InputComponents = { template: 'python/3', dockerfile: 'd1', context: 'c1', base: 'b1', settings: 's1', definition: 'x1' };

describe('rebuild reasons', () => {
  it('name what moved: another package index changes the Dockerfile (it names the index) without blaming the template', () => {
    expect(rebuildReasons({ ...before, dockerfile: 'd2', settings: 's2' }, before)).toEqual(['settings']);
    expect(rebuildReasons({ ...before, dockerfile: 'd2', base: 'b2' }, before)).toEqual(['base-image']);
    // A dependency's new release: a refresh of the same code, not a content change.
    expect(rebuildReasons({ ...before, dependencies: 'urllib3==2.8.0' }, { ...before, dependencies: 'urllib3==2.7.0' })).toEqual(['dependencies']);
    expect(rebuildReasons({ ...before, dependencies: 'urllib3==2.7.0' }, { ...before, dependencies: 'urllib3==2.7.0' })).toEqual([]);
    expect(rebuildReasons({ ...before, dockerfile: 'd2' }, before)).toEqual(['template']);
    expect(rebuildReasons({ ...before, template: 'python/4', dockerfile: 'd2', settings: 's2' }, before)).toEqual(['settings', 'template']);
    expect(rebuildReasons(before, before)).toEqual([]);
    expect(rebuildReasons(before, undefined)).toEqual(['new']);
  });
});

async function settingsWith(indexUrl: string): Promise<string> {
  const repo = await mkdtemp(path.join(tmpdir(), 'neurons-inputs-'));
  const env = { HOME: repo, NEURONS_ENV_DIR: path.join(repo, 'none'), NEURONS_REGISTRY: 'registry.example', NEURONS_PIP_INDEX_URL: indexUrl, NEURONS_PIP_EXTRA_INDEX_URL: indexUrl.replace('/simple', '/extra') };
  return buildSettingsFingerprint(await loadConfig(repo, env, {}));
}

describe('package index credentials are not build inputs', () => {
  it('gives the same settings (and label) whatever the password in NEURONS_PIP_INDEX_URL', async () => {
    const first = await settingsWith('https://ci:first-password@pypi.example/simple');
    const rotated = await settingsWith('https://ci:rotated-p%40ss@pypi.example/simple');
    expect(rotated).toBe(first);
    expect(first).not.toMatch(/ci:|password|p%40ss/);
    const inputs = folderInputs({ templateId: 'python', dockerfile: 'FROM x', context: Buffer.from('c'), baseImages: [], settings: first });
    expect(inputs.components.settings).toBe(folderInputs({ templateId: 'python', dockerfile: 'FROM x', context: Buffer.from('c'), baseImages: [], settings: rotated }).components.settings);
    // Registered as secrets, as written and decoded.
    expect(maskSecrets('rotated-p%40ss rotated-p@ss')).toBe('*** ***');
  });

  it('keeps the settings of a URL without credentials byte for byte, and tells indexes apart', async () => {
    expect(await settingsWith('https://pypi.example/simple')).toBe(JSON.stringify({ packageIndex: ['https://pypi.example/simple', 'https://pypi.example/extra'], npmRegistry: '' }));
    expect(await settingsWith('https://ci:x-password@other.example/simple')).not.toBe(await settingsWith('https://ci:x-password@pypi.example/simple'));
  });
});
