import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Definition } from '../../../src/definitions/types.js';
import { closeMatches, readCatalog, readDefinition, resolveTarget } from '../../../src/runner/resolve-target.js';

const entry = (name: string, version: string, dockerImage: string): Definition => ({
  name,
  version,
  author: 't',
  url: '',
  license: 'AGPL-V3',
  description: '',
  dataTypeList: ['domain'],
  command: 'x',
  baseConfig: name,
  dockerImage,
});
const catalog = [
  entry('HashCalc_MD5', '1.0', 'reg/ns/hashcalc_md5:1'),
  entry('HashCalc_SHA256', '1.1', 'reg/ns/hashcalc_sha256:1'),
  entry('IPClassifier', '3.0', 'reg/ns/ipclassifier:3'),
];

async function jsonFile(content: unknown): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'neurons-target-')), 'file.json');
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('run target resolution', () => {
  it('looks a worker id up in the catalog', () => {
    expect(resolveTarget('HashCalc_SHA256_1_1', catalog, undefined)).toMatchObject({
      image: 'reg/ns/hashcalc_sha256:1',
      workerId: 'HashCalc_SHA256_1_1',
      definition: { name: 'HashCalc_SHA256' },
    });
  });

  it('runs an image as given, with its catalog entry or the explicit definition', () => {
    expect(resolveTarget('reg/ns/ipclassifier:3', catalog, undefined)).toMatchObject({
      image: 'reg/ns/ipclassifier:3',
      workerId: 'IPClassifier_3_0',
    });
    expect(resolveTarget('other:1', catalog, undefined)).toEqual({
      image: 'other:1',
      definition: undefined,
      workerId: undefined,
    });
    const own = entry('Mine', '2.0', '');
    expect(resolveTarget('other:1', undefined, own)).toMatchObject({
      image: 'other:1',
      workerId: 'Mine_2_0',
      definition: own,
    });
  });

  it('reports an unknown worker with its close matches, and a worker id without a catalog', () => {
    expect(() => resolveTarget('HashCalc_MD5_1', catalog, undefined)).toThrow(
      /no worker 'HashCalc_MD5_1' in the catalog; close matches: HashCalc_MD5_1_0/,
    );
    expect(() => resolveTarget('Nothing_Like_It', catalog, undefined)).toThrow(
      expect.objectContaining({ code: 'RUN_UNKNOWN_WORKER' }),
    );
    expect(() => resolveTarget('HashCalc_MD5_1_0', undefined, undefined)).toThrow(
      expect.objectContaining({ code: 'RUN_NO_CATALOG' }),
    );
  });

  it('orders close matches by distance', () => {
    expect(closeMatches('hashcalc_sha1_1_0', ['HashCalc_SHA256_1_1', 'HashCalc_SHA1_1_0', 'IPClassifier_3_0'])).toEqual(
      ['HashCalc_SHA1_1_0', 'HashCalc_SHA256_1_1'],
    );
  });

  it('reads catalogs and definitions, normalizing configuration items', async () => {
    expect(await readCatalog(await jsonFile(catalog))).toHaveLength(3);
    const definition = await readDefinition(
      await jsonFile({ ...entry('X', '1.0', ''), configurationItems: [{ name: 'key', type: 'string' }] }),
    );
    expect(definition.configurationItems).toEqual([
      { name: 'key', description: '', type: 'string', multi: false, required: false },
    ]);
  });

  it('rejects files that are not catalogs or definitions, with the file and pointer', async () => {
    await expect(readCatalog(await jsonFile({ not: 'an array' }))).rejects.toMatchObject({
      code: 'RUN_CATALOG_INVALID',
    });
    await expect(readCatalog(await jsonFile('[{"name": 1}]'))).rejects.toMatchObject({ problem: { pointer: '/0' } });
    await expect(readDefinition(await jsonFile('{'))).rejects.toMatchObject({ code: 'RUN_DEFINITION_INVALID' });
    await expect(
      readDefinition(await jsonFile({ ...entry('X', '1.0', ''), configurationItems: [{}] })),
    ).rejects.toMatchObject({ problem: { pointer: '/configurationItems/0' } });
    await expect(readDefinition('/nonexistent/def.json')).rejects.toMatchObject({ code: 'RUN_DEFINITION_INVALID' });
  });
});
