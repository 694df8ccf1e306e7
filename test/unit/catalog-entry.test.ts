import { describe, expect, it } from 'vitest';
import { catalogEntry, catalogFileName } from '../../src/catalog/catalog-entry.js';
import type { Definition } from '../../src/definitions/types.js';

const definition: Definition = {
  name: 'Foo',
  version: '1.0',
  author: 'a',
  url: 'https://example.org',
  license: 'AGPL-V3',
  description: 'd',
  dataTypeList: ['ip'],
  command: 'Foo/foo.py',
  baseConfig: 'Foo',
  config: { check_tlp: true },
};

describe('catalog entries', () => {
  it('drops command and appends dockerImage, keeping the field order', () => {
    const entry = catalogEntry(definition, 'r/ns/foo:1');
    expect(Object.keys(entry)).toEqual([
      'name',
      'version',
      'author',
      'url',
      'license',
      'description',
      'dataTypeList',
      'baseConfig',
      'config',
      'dockerImage',
    ]);
    expect(entry['dockerImage']).toBe('r/ns/foo:1');
    expect(entry).not.toHaveProperty('command');
  });
  it('replaces a dockerImage the definition had, in place', () => {
    const entry = catalogEntry({ ...definition, dockerImage: 'old/foo:0', extra: true }, 'r/ns/foo:1');
    expect(Object.keys(entry).slice(-2)).toEqual(['dockerImage', 'extra']);
    expect(entry['dockerImage']).toBe('r/ns/foo:1');
  });
  it('names the catalog files as the engine expects', () => {
    expect(catalogFileName('analyzer', 'default')).toBe('analyzers.json');
    expect(catalogFileName('responder', 'stable')).toBe('responders-stable.json');
    expect(catalogFileName('analyzer', 'devel')).toBe('analyzers-devel.json');
  });
});
