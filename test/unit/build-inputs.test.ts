import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildSettingsFingerprint,
  definitionLabels,
  flavorInputs,
  folderInputs,
  ownContent,
  rebuildReasons,
  type InputComponents,
} from '../../src/inputs/build-inputs.js';
import { loadConfig } from '../../src/config/load-config.js';
import { maskSecrets } from '../../src/util/mask.js';

const before: InputComponents = {
  template: 'python/3',
  dockerfile: 'd1',
  context: 'c1',
  base: 'b1',
  settings: 's1',
  definition: 'x1',
};

describe('rebuild reasons', () => {
  it('name what moved: another package index changes the Dockerfile (it names the index) without blaming the template', () => {
    expect(rebuildReasons({ ...before, dockerfile: 'd2', settings: 's2' }, before)).toEqual(['settings']);
    expect(rebuildReasons({ ...before, dockerfile: 'd2', base: 'b2' }, before)).toEqual(['base-image']);
    // A dependency's new release: a refresh of the same code, not a content change.
    expect(
      rebuildReasons({ ...before, dependencies: 'urllib3==2.8.0' }, { ...before, dependencies: 'urllib3==2.7.0' }),
    ).toEqual(['dependencies']);
    expect(
      rebuildReasons({ ...before, dependencies: 'urllib3==2.7.0' }, { ...before, dependencies: 'urllib3==2.7.0' }),
    ).toEqual([]);
    expect(rebuildReasons({ ...before, dockerfile: 'd2' }, before)).toEqual(['template']);
    expect(rebuildReasons({ ...before, template: 'python/4', dockerfile: 'd2', settings: 's2' }, before)).toEqual([
      'settings',
      'template',
    ]);
    expect(rebuildReasons(before, before)).toEqual([]);
    expect(rebuildReasons(before, undefined)).toEqual(['new']);
  });
});

describe('own content against refresh inputs', () => {
  const own = { workerFiles: 'f1', flavorDefinition: 'j1', workerSettings: 'w1' };
  const published: InputComponents = { ...before, ...own };

  it("call a new template, protocol or generated file a refresh while the worker's files and definition are the same", () => {
    // The Go protocol setting: another Dockerfile (the adapter stage), context (its sources) and entry point.
    expect(
      rebuildReasons(
        { ...published, dockerfile: 'd2', context: 'c2', definition: 'x2', workerSettings: 'w2' },
        published,
      ),
    ).toEqual(['settings']);
    // Our template copied into the repository: another template id, in the template label of the flavor Dockerfile.
    expect(rebuildReasons({ ...published, template: 'python/custom', definition: 'x2' }, published)).toEqual([
      'template',
    ]);
    // A generated file alone (a new adapter of ours): the template's.
    expect(rebuildReasons({ ...published, context: 'c2' }, published)).toEqual(['template']);
  });

  it("name the worker's own files and definition, whatever else moved with them", () => {
    expect(rebuildReasons({ ...published, context: 'c2', workerFiles: 'f2' }, published)).toEqual(['files']);
    expect(rebuildReasons({ ...published, definition: 'x2', flavorDefinition: 'j2' }, published)).toEqual([
      'definition',
    ]);
    // A definition field no label carries: the image is the same (same digest, never asked), but a rebuild says so.
    expect(rebuildReasons({ ...published, base: 'b2', flavorDefinition: 'j2' }, published)).toEqual([
      'definition',
      'base-image',
    ]);
    expect(
      rebuildReasons({ ...published, template: 'python/custom', context: 'c2', workerFiles: 'f2' }, published),
    ).toEqual(['files', 'template']);
  });

  it('compare a record without them on what it has: its context, and the definition as the labels carry it', () => {
    const current = { ...published, template: 'python/custom', definition: 'x2' };
    // Without the labels, the flavor Dockerfile is all there is (the old rule).
    expect(rebuildReasons(current, before)).toEqual(['definition', 'template']);
    expect(rebuildReasons(current, before, { current: 'l1', published: 'l1' })).toEqual(['template']);
    expect(rebuildReasons(current, before, { current: 'l2', published: 'l1' })).toEqual(['definition', 'template']);
    // Its context holds generated files too: a changed one cannot be told from the worker's.
    expect(rebuildReasons({ ...published, context: 'c2' }, before, { current: 'l1', published: 'l1' })).toEqual([
      'files',
    ]);
    // Nothing of the worker changed: the new format alone is no reason.
    expect(rebuildReasons(published, before, { current: 'l1', published: 'l1' })).toEqual([]);
  });

  it("reads the definition from labels as the images carry it, not the template's or the source's", () => {
    const labels = {
      'org.opencontainers.image.title': 'HashCalc_MD5',
      'org.opencontainers.image.version': '1.0',
      'io.neurons.worker-id': 'HashCalc_MD5_1_0',
    };
    expect(
      definitionLabels({
        ...labels,
        'io.neurons.template': 'python/custom',
        'org.opencontainers.image.revision': 'abc',
      }),
    ).toBe(definitionLabels(labels));
    expect(definitionLabels({ ...labels, 'org.opencontainers.image.description': 'changed' })).not.toBe(
      definitionLabels(labels),
    );
  });

  it('records the own content beside the components without changing the digest', () => {
    const folder = folderInputs({
      templateId: 'python/3',
      dockerfile: 'FROM x',
      context: Buffer.from('c'),
      baseImages: [],
      settings: 's',
    });
    const plain = flavorInputs(folder, 'ENTRYPOINT ["x"]');
    const recorded = flavorInputs(
      folder,
      'ENTRYPOINT ["x"]',
      ownContent({ files: Buffer.from('f'), definition: Buffer.from('{}'), settings: '{}' }),
    );
    expect(recorded.digest).toBe(plain.digest);
    expect(recorded.components).toMatchObject({
      workerFiles: expect.stringMatching(/^sha256:/),
      flavorDefinition: expect.stringMatching(/^sha256:/),
      workerSettings: expect.stringMatching(/^sha256:/),
    });
    expect(plain.components.workerFiles).toBeUndefined();
  });
});

async function settingsWith(indexUrl: string): Promise<string> {
  const repo = await mkdtemp(path.join(tmpdir(), 'neurons-inputs-'));
  const env = {
    HOME: repo,
    NEURONS_ENV_DIR: path.join(repo, 'none'),
    NEURONS_REGISTRY: 'registry.example',
    NEURONS_PIP_INDEX_URL: indexUrl,
    NEURONS_PIP_EXTRA_INDEX_URL: indexUrl.replace('/simple', '/extra'),
  };
  return buildSettingsFingerprint(await loadConfig(repo, env, {}));
}

describe('package index credentials are not build inputs', () => {
  it('gives the same settings (and label) whatever the password in NEURONS_PIP_INDEX_URL', async () => {
    const first = await settingsWith('https://ci:first-password@pypi.example/simple');
    const rotated = await settingsWith('https://ci:rotated-p%40ss@pypi.example/simple');
    expect(rotated).toBe(first);
    expect(first).not.toMatch(/ci:|password|p%40ss/);
    const inputs = folderInputs({
      templateId: 'python',
      dockerfile: 'FROM x',
      context: Buffer.from('c'),
      baseImages: [],
      settings: first,
    });
    expect(inputs.components.settings).toBe(
      folderInputs({
        templateId: 'python',
        dockerfile: 'FROM x',
        context: Buffer.from('c'),
        baseImages: [],
        settings: rotated,
      }).components.settings,
    );
    // Registered as secrets, as written and decoded.
    expect(maskSecrets('rotated-p%40ss rotated-p@ss')).toBe('*** ***');
  });

  it('keeps the settings of a URL without credentials byte for byte, and tells indexes apart', async () => {
    expect(await settingsWith('https://pypi.example/simple')).toBe(
      JSON.stringify({ packageIndex: ['https://pypi.example/simple', 'https://pypi.example/extra'], npmRegistry: '' }),
    );
    expect(await settingsWith('https://ci:x-password@other.example/simple')).not.toBe(
      await settingsWith('https://ci:x-password@pypi.example/simple'),
    );
  });
});
