import { describe, expect, it } from 'vitest';
import { readCatalogEntries } from '../../../src/update/entries.js';
import { chooseCatalogs, resolveSource } from '../../../src/update/source.js';
import { entry } from './catalog-server.js';

const read = (entries: unknown, file = 'analyzers.json') =>
  readCatalogEntries(Buffer.from(JSON.stringify(entries)), file, file);

describe('reading a catalog as the engine does', () => {
  it('keeps valid entries and skips, with a reason each, those the engine drops', () => {
    const { workers, skipped } = read([
      entry('Good', '1.0'),
      { ...entry('WithCommand', '1.0'), command: 'run.py' },
      { ...entry('BadType', '1.0'), dataTypeList: 'domain' },
      { name: 'Missing', version: '1.0' },
      { ...entry('NoImage', '1.0'), dockerImage: undefined },
      entry('Good', '2.0'),
      42,
    ]);
    expect(workers.map((worker) => worker.id)).toEqual(['Good_1_0']);
    expect(skipped.map((problem) => problem.code)).toEqual([
      'UPDATE_ENTRY_COMMAND',
      'UPDATE_ENTRY_INVALID',
      'UPDATE_ENTRY_INVALID',
      'UPDATE_ENTRY_NO_IMAGE',
      'UPDATE_ENTRY_DUPLICATE',
      'UPDATE_ENTRY_INVALID',
    ]);
    expect(skipped[1]?.message).toMatch(/BadType.*dataTypeList/);
    expect(skipped[1]?.pointer).toBe('/2');
  });

  it('reads the kind from the file name and refuses what is not an array', () => {
    expect(read([entry('R', '1.0')], 'responders-stable.json').workers[0]?.kind).toBe('responder');
    expect(() => read({ name: 'x' })).toThrow(expect.objectContaining({ code: 'UPDATE_CATALOG_INVALID' }));
  });
});

describe('what --catalog names', () => {
  it('a base URL or index means the index; a catalog file means that catalog', () => {
    expect(resolveSource('https://h.example/catalogs', '/')).toMatchObject({
      base: 'https://h.example/catalogs/',
      catalog: undefined,
      remote: true,
    });
    expect(resolveSource('https://h.example/c/index.json', '/')).toMatchObject({
      base: 'https://h.example/c/',
      catalog: undefined,
    });
    expect(resolveSource('https://h.example/c/analyzers-stable.json', '/')).toMatchObject({
      base: 'https://h.example/c/',
      catalog: 'analyzers-stable.json',
    });
    expect(() => resolveSource('ftp://h.example/c/', '/')).toThrow(
      expect.objectContaining({ code: 'UPDATE_SOURCE_INVALID' }),
    );
    expect(() => resolveSource('/no/such/folder', '/')).toThrow(
      expect.objectContaining({ code: 'UPDATE_SOURCE_MISSING' }),
    );
  });

  it('takes one catalog per kind from an index: default, else devel, else stable', () => {
    expect(
      chooseCatalogs(['analyzers-stable.json', 'analyzers.json', 'responders-stable.json', 'responders.json']),
    ).toEqual(['analyzers.json', 'responders.json']);
    expect(chooseCatalogs(['analyzers-devel.json', 'responders-stable.json'])).toEqual([
      'analyzers-devel.json',
      'responders-stable.json',
    ]);
  });
});
