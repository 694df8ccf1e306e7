import { describe, expect, it } from 'vitest';
import { catalogWorkers } from '../../../src/catalog/catalog-workers.js';
import { definitionText, pythonWorker } from './fixture.js';
import { discoverTree, located } from './helpers.js';

/** A node responder folder with one definition. */
function responder(folder: string, definition: Record<string, unknown>) {
  return {
    [`responders/${folder}/${folder}.json`]: definitionText({
      baseConfig: folder,
      command: `${folder}/run.js`,
      ...definition,
    }),
    [`responders/${folder}/run.js`]: '',
    [`responders/${folder}/README.md`]: '',
  };
}

describe('image names are unique across kinds and case', () => {
  it('refuses an analyzer and a responder of the same name and version, naming both files', async () => {
    const discovery = await discoverTree({
      ...pythonWorker('Echo', { 'Echo.json': definitionText() }),
      ...responder('Echo', { name: 'Echo' }),
    });
    expect(located(discovery.errors)).toEqual([
      { code: 'DEF_IMAGE_NAME_COLLISION', file: 'analyzers/Echo/Echo.json', pointer: '/name', line: 2, column: 11 },
      { code: 'DEF_IMAGE_NAME_COLLISION', file: 'responders/Echo/Echo.json', pointer: '/name', line: 2, column: 11 },
    ]);
    expect(discovery.errors[0]?.message).toContain('responders/Echo/Echo.json');
    expect(discovery.errors[0]?.message).toContain('`echo`');
    expect(discovery.errors[1]?.message).toContain('analyzers/Echo/Echo.json');
    expect(discovery.workers.map((worker) => worker.errorCount)).toEqual([1, 1]);
    // Neither may be a catalog entry: both would name one image.
    expect(catalogWorkers(discovery)).toEqual([]);
  });

  it('refuses names that differ only in case, whatever the kinds and versions', async () => {
    const discovery = await discoverTree({
      ...pythonWorker('Echo', {
        'Echo.json': definitionText(),
        'ECHO_Old.json': definitionText({ name: 'ECHO', version: '0.9' }),
      }),
      ...responder('Block', { name: 'block' }),
      ...responder('Blocker', { name: 'Block', version: '2.0' }),
    });
    expect(discovery.errors.map(({ code, file }) => `${code} ${file}`)).toEqual([
      'DEF_IMAGE_NAME_COLLISION analyzers/Echo/ECHO_Old.json',
      'DEF_IMAGE_NAME_COLLISION analyzers/Echo/Echo.json',
      'DEF_IMAGE_NAME_COLLISION responders/Block/Block.json',
      'DEF_IMAGE_NAME_COLLISION responders/Blocker/Blocker.json',
    ]);
    expect(discovery.errors[2]?.message).toContain('responders/Blocker/Blocker.json (responder `Block`)');
  });

  it('accepts one worker in several versions, and different names', async () => {
    const discovery = await discoverTree({
      ...pythonWorker('Echo', { 'Echo.json': definitionText(), 'Echo_2.json': definitionText({ version: '2.0' }) }),
      ...responder('Block', { name: 'Block' }),
    });
    expect(discovery.errors).toEqual([]);
  });
});
