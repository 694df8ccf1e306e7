import { describe, expect, it } from 'vitest';
import type { CatalogRecord } from '../../../src/catalog/assemble-catalogs.js';
import { buildIndex, type IndexedFlavor } from '../../../src/catalog/index-file.js';

const repository = 'registry.example/ns/hashcalc_md5';
const record = (overrides: Partial<CatalogRecord>): CatalogRecord => ({
  catalog: 'analyzers.json',
  id: 'HashCalc_MD5_1_0',
  kind: 'analyzer',
  name: 'HashCalc_MD5',
  version: '1.0',
  image: `${repository}:1`,
  digest: 'sha256:10',
  verified: true,
  kept: false,
  workerPath: 'analyzers/HashCalc',
  ...overrides,
});
const index = (
  records: CatalogRecord[],
  previous: IndexedFlavor[] = [],
  buildInputDigests = new Map<string, string>(),
) =>
  buildIndex({
    serial: 2,
    signed: false,
    now: new Date(0),
    expiresInDays: 1,
    registry: 'registry.example/ns',
    files: new Map(),
    entryCounts: new Map(),
    records,
    buildInputDigests,
    revisions: new Map([['analyzers/HashCalc', 'rev-now']]),
    previous,
  });

describe('index flavor records', () => {
  it('say which digest was verified, and give a tag at another image a record of its own', () => {
    const flavors = index([
      record({}),
      record({ catalog: 'analyzers-stable.json', image: `${repository}:1.0` }),
      record({ catalog: 'analyzers-stable.json', image: `${repository}:1.0.1`, digest: 'sha256:other' }),
    ]).flavors;
    expect(flavors.map((flavor) => [flavor.tags, flavor.digest, flavor.verified])).toEqual([
      [['1', '1.0'], 'sha256:10', true],
      [['1.0.1'], 'sha256:other', true],
    ]);
    expect(index([record({ digest: undefined, verified: false })]).flavors[0]?.verified).toBe(false);
  });

  it('give a kept entry the build inputs and revision of its image, not those of the folder as it is now', () => {
    const before: IndexedFlavor = {
      id: 'HashCalc_MD5_1_0',
      kind: 'analyzer',
      name: 'HashCalc_MD5',
      version: '1.0',
      tags: ['1'],
      image: repository,
      digest: 'sha256:10',
      verified: true,
      buildInputDigest: 'sha256:inputs-1.0',
      revision: 'rev-1.0',
    };
    // This run failed to build 1.1: its inputs are not recorded for the 1.0 image kept in its place.
    const [kept] = index(
      [record({ kept: true, workerPath: undefined })],
      [before],
      new Map([['HashCalc_MD5_1_1', 'sha256:inputs-1.1']]),
    ).flavors;
    expect(kept).toMatchObject({ id: 'HashCalc_MD5_1_0', buildInputDigest: 'sha256:inputs-1.0', revision: 'rev-1.0' });
    // Another digest under the same id is another image: nothing carried over.
    const [rebuilt] = index([record({ digest: 'sha256:new' })], [before]).flavors;
    expect(rebuilt).toMatchObject({ buildInputDigest: undefined, revision: 'rev-now' });
  });

  it('give an image this run did not build, with no previous index to carry from, what its labels record', () => {
    const recorded = { buildInputDigest: 'sha256:from-labels', revision: 'rev-of-image' };
    const [read] = buildIndex({
      serial: 1,
      signed: false,
      now: new Date(0),
      expiresInDays: 1,
      registry: 'registry.example/ns',
      files: new Map(),
      entryCounts: new Map(),
      records: [record({ recorded })],
      buildInputDigests: new Map(),
      revisions: new Map(),
      previous: [],
    }).flavors;
    expect(read).toMatchObject(recorded);
    // This run's inputs, then the previous index's, come first: they are of the same image.
    const [built] = index([record({ recorded })], [], new Map([['HashCalc_MD5_1_0', 'sha256:this-run']])).flavors;
    expect(built).toMatchObject({ buildInputDigest: 'sha256:this-run', revision: 'rev-now' });
  });
});
