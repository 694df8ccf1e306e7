import { describe, expect, it } from 'vitest';
import { splitInvalidFlavors } from '../../../src/definitions/buildable.js';
import { definitionText, pythonWorker } from './fixture.js';
import { discoverTree } from './helpers.js';

describe('an invalid definition leaves out its own flavor', () => {
  it('keeps the valid flavors of a folder and lists the invalid one with its problems', async () => {
    const discovery = await discoverTree(
      pythonWorker('Echo', {
        'Echo_A.json': definitionText({ name: 'Echo_A' }),
        'Echo_B.json': definitionText({ name: 'Echo_B', version: 'latest' }),
        'Echo_C.json': definitionText({ name: 'Echo_C' }),
        'Echo_D.json': '{ not json',
      }),
    );
    const { discovery: buildable, excluded } = splitInvalidFlavors(discovery);
    expect(buildable.workers).toMatchObject([{ path: 'analyzers/Echo', errorCount: 0 }]);
    expect(buildable.workers[0]?.flavors.map((flavor) => flavor.file)).toEqual([
      'analyzers/Echo/Echo_A.json',
      'analyzers/Echo/Echo_C.json',
    ]);
    expect(excluded.map(({ file, problems }) => [file, problems.map((problem) => problem.code)])).toEqual([
      ['analyzers/Echo/Echo_B.json', ['DEF_VERSION_INVALID']],
      ['analyzers/Echo/Echo_D.json', ['DEF_JSON_SYNTAX']],
    ]);
    // Every definition file is still the folder's: none of them goes into an image as a worker file.
    expect(buildable.workers[0]?.definitionFiles).toEqual(
      ['A', 'B', 'C', 'D'].map((letter) => `analyzers/Echo/Echo_${letter}.json`),
    );
    // The discovery itself is left as it was: validation reports every flavor.
    expect(discovery.workers[0]).toMatchObject({ errorCount: 2 });
    expect(discovery.workers[0]?.flavors).toHaveLength(3);
  });

  it('leaves out the whole folder for a problem of the folder itself', async () => {
    const discovery = await discoverTree({
      'analyzers/Odd/Odd.json': definitionText({ name: 'Odd', command: 'Odd/odd' }),
      'analyzers/Odd/Odd_Bad.json': definitionText({ name: 'Odd_Bad', command: 'Odd/odd', version: 'x' }),
      'analyzers/Odd/odd': '',
      'analyzers/Odd/README.md': '',
    });
    const { discovery: buildable, excluded } = splitInvalidFlavors(discovery);
    expect(discovery.errors.map((problem) => problem.code)).toContain('DEF_UNKNOWN_RUNTIME');
    expect(excluded).toEqual([]);
    expect(buildable.workers[0]).toMatchObject({ errorCount: 2 });
    expect(buildable.workers[0]?.flavors).toHaveLength(2);
  });
});
